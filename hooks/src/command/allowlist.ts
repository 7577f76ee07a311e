import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { RejectedError } from '../errors.js';
import type { CommandLine } from './parse.js';

export const DEFAULT_ALLOWED_COMMANDS = ['hey', 'curl', 'grep', 'helm', 'kubectl', 'wrk', 'ghz', 'jq', 'sleep', 'echo', 'test', 'true', 'false'] as const;

/** Programs that run other programs or code; allowing one of them allows everything. */
const INTERPRETERS = /^(sh|bash|dash|zsh|ksh|ash|fish|csh|tcsh|busybox|env|xargs|nohup|nice|timeout|sudo|su|doas|python[0-9.]*|perl|ruby|node|php|lua|awk|gawk|find|ssh|script)$/;

export class ProgramNotAllowedError extends RejectedError {
  constructor(program: string, allowed: readonly string[], hint = '') {
    super('program_not_allowed', `program "${program}" is not allowed${hint}: allowed programs are ${allowed.join(', ')} (ALLOWED_COMMANDS)`, {
      program, allowed,
    });
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
 * The programs a command may run, by basename. A bare name is looked up on PATH; a path must be absolute,
 * and its real path (symlinks resolved) must also end in an allowed name, so `/tmp/x/curl -> /bin/sh` is refused.
 */
export class Allowlist {
  private readonly allowed: ReadonlySet<string>;

  constructor(readonly programs: readonly string[], private readonly searchPath: string) {
    this.allowed = new Set(programs);
  }

  /** Programs of the list that can run arbitrary code, for a warning at start. */
  interpreters(): string[] {
    return this.programs.filter((p) => INTERPRETERS.test(p));
  }

  resolveLine(line: CommandLine): ResolvedCommandLine {
    return {
      source: line.source,
      sequence: line.sequence.map((pipeline) => pipeline.map((argv) => ({ file: this.resolve(argv[0]), argv }))),
    };
  }

  /** The executable file for argv[0]; throws ProgramNotAllowedError or ProgramNotFoundError. */
  resolve(program: string): string {
    const base = path.posix.basename(program);
    if (!this.allowed.has(base) || base === '.' || base === '..') {
      const hint = /^[A-Za-z_][A-Za-z0-9_]*=/.test(program) ? ' (environment assignments NAME=value are not supported)' : '';
      throw new ProgramNotAllowedError(program, this.programs, hint);
    }
    return program.includes('/') ? this.resolvePath(program) : this.lookUp(base);
  }

  private resolvePath(program: string): string {
    if (!path.isAbsolute(program)) throw new ProgramNotAllowedError(program, this.programs, ' (use a program name or an absolute path)');
    let real: string;
    try {
      real = realpathSync(program);
    } catch {
      throw new ProgramNotFoundError(program, 'no such file');
    }
    if (!this.allowed.has(path.basename(real))) throw new ProgramNotAllowedError(program, this.programs, ` (it resolves to ${real})`);
    if (!isExecutableFile(real)) throw new ProgramNotFoundError(program, 'not an executable file');
    return real;
  }

  private lookUp(name: string): string {
    for (const dir of this.searchPath.split(path.delimiter)) {
      if (!path.isAbsolute(dir)) continue;
      const candidate = path.join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
    throw new ProgramNotFoundError(name, 'not found on PATH');
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
