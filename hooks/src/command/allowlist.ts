import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { RejectedError } from '../errors.js';
import type { CommandLine } from './parse.js';
import type { ArgumentCheck } from './policy/index.js';

export const DEFAULT_ALLOWED_COMMANDS = ['hey', 'curl', 'grep', 'helm', 'kubectl', 'jq', 'sleep', 'echo', 'test', 'true', 'false'] as const;

/** Programs that run other programs or code; allowing one of them allows everything. */
const INTERPRETERS =
  /^(sh|bash|dash|zsh|ksh|ash|fish|csh|tcsh|busybox|env|xargs|nohup|nice|timeout|sudo|su|doas|python[0-9.]*|perl|ruby|node|php|lua|awk|gawk|find|ssh|script)$/;

export class ProgramNotAllowedError extends RejectedError {
  constructor(program: string, allowed: readonly string[], hint = '') {
    super(
      'program_not_allowed',
      `program "${program}" is not allowed${hint}: allowed programs are ${allowed.join(', ')} (ALLOWED_COMMANDS)`,
      {
        program,
        allowed,
      },
    );
    this.name = 'ProgramNotAllowedError';
  }
}

export class ProgramNotFoundError extends RejectedError {
  constructor(program: string, where: string) {
    super('program_not_found', `program "${program}" is allowed but not installed (${where})`, { program });
    this.name = 'ProgramNotFoundError';
  }
}

/** A program found on disk: the file to execute and the argv it gets (argv[0] as written). */
export interface ResolvedProcess {
  readonly file: string;
  readonly argv: readonly [string, ...string[]];
}

/** A CommandLine whose every program was checked against the allowlist and found on disk. */
export interface ResolvedCommandLine {
  readonly source: string;
  readonly sequence: readonly (readonly ResolvedProcess[])[];
}

/**
 * The programs a command may run, by name. Each is pinned when the allowlist is made: looked up once on the
 * PATH given then, to an absolute real path; a task runs that file whatever it writes (a name, or that same
 * absolute path), so a file put later on PATH, or elsewhere under an allowed name, never runs. Each program's
 * arguments go through its argument policy, when it has one.
 */
export class Allowlist {
  private readonly pinned: ReadonlyMap<string, string | undefined>;

  constructor(
    readonly programs: readonly string[],
    searchPath: string,
    private readonly policies: ReadonlyMap<string, ArgumentCheck> = new Map(),
  ) {
    this.pinned = new Map(programs.map((p) => [p, lookUp(p, searchPath)]));
  }

  /** Programs of the list that can run arbitrary code, for a warning at start. */
  interpreters(): string[] {
    return this.programs.filter((p) => INTERPRETERS.test(p));
  }

  /** Programs of the list without an argument policy (they take any arguments), for a warning at start. */
  unchecked(): string[] {
    return this.programs.filter((p) => !this.policies.has(p));
  }

  /** The absolute file each program was pinned to (undefined: not installed). */
  files(): ReadonlyMap<string, string | undefined> {
    return this.pinned;
  }

  /** Resolves every program and checks its arguments; throws the RejectedError of the first problem. */
  resolveLine(line: CommandLine): ResolvedCommandLine {
    return {
      source: line.source,
      sequence: line.sequence.map((pipeline) =>
        pipeline.map((argv) => {
          const file = this.resolve(argv[0]);
          this.policies.get(path.posix.basename(argv[0]))?.(argv.slice(1));
          return { file, argv };
        }),
      ),
    };
  }

  /** The pinned file for argv[0]; throws ProgramNotAllowedError or ProgramNotFoundError. */
  resolve(program: string): string {
    const base = path.posix.basename(program);
    if (!this.pinned.has(base) || base === '.' || base === '..') {
      const hint = /^[A-Za-z_][A-Za-z0-9_]*=/.test(program) ? ' (environment assignments NAME=value are not supported)' : '';
      throw new ProgramNotAllowedError(program, this.programs, hint);
    }
    const file = this.pinned.get(base);
    if (program.includes('/')) this.checkPath(program, file);
    if (file === undefined) throw new ProgramNotFoundError(base, 'not found on PATH');
    return file;
  }

  /** An absolute path must be the pinned file itself (or a link to it). */
  private checkPath(program: string, file: string | undefined): void {
    if (!path.isAbsolute(program)) throw new ProgramNotAllowedError(program, this.programs, ' (use a program name or an absolute path)');
    let real: string;
    try {
      real = realpathSync(program);
    } catch {
      throw new ProgramNotFoundError(program, 'no such file');
    }
    if (!this.pinned.has(path.basename(real))) throw new ProgramNotAllowedError(program, this.programs, ` (it resolves to ${real})`);
    if (file === undefined || real !== file)
      throw new ProgramNotAllowedError(
        program,
        this.programs,
        ` (only ${file ?? 'the program found on PATH at start'} may run under that name)`,
      );
  }
}

/** The real path of the first executable file of that name on the search path. */
function lookUp(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
