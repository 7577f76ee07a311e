import type { Logger } from 'pino';
import { z } from 'zod';
import type { Allowlist, ResolvedCommandLine } from '../command/allowlist.js';
import { runCommand, type ExecResult, type TaskUser } from '../command/exec.js';
import { CommandSyntaxError, parseCommandLine, type CommandLine } from '../command/parse.js';
import { redactCommandLine } from '../command/redact.js';
import { boolFlag, parseMetadata } from './metadata.js';
import type { Task, TaskFactory, TaskMode, TaskResult } from './task.js';

/** How task processes run: their environment, working directory and user. */
interface TaskProcessSettings {
  /** An allowlist of the service's variables, HOME the read-only task home (taskEnvironment). */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly user?: TaskUser;
}

export interface CommandTaskDeps {
  readonly allowlist: Allowlist;
  readonly processes: TaskProcessSettings;
  readonly maxOutputBytes?: number;
}

const commandSchema = z.looseObject({
  cmd: z.string({ error: 'is required' }).trim().min(1, 'is required').max(16_384),
  logCmdOutput: boolFlag,
  returnCmdOutput: boolFlag,
});

interface CommandTaskSpec {
  readonly type: string;
  readonly mode: TaskMode;
  readonly line: ResolvedCommandLine;
  /** The command line with credentials replaced by ***. */
  readonly shown: string;
  readonly logOutput: boolean;
  readonly returnOutput: boolean;
}

/** cmd: Flagger's load-test type. Runs in the background; the command line may hold pipes and &&. */
export const cmdTask =
  (deps: CommandTaskDeps): TaskFactory =>
  (req) => {
    const m = parseMetadata('cmd', commandSchema, req.metadata);
    return commandTask(
      { type: 'cmd', mode: 'background', ...checked(parseCommandLine(m.cmd), deps), logOutput: m.logCmdOutput, returnOutput: false },
      deps,
    );
  };

/** bash: Flagger's blocking type. Parsed exactly like cmd; no bash (or any shell) is ever run. */
export const bashTask =
  (deps: CommandTaskDeps): TaskFactory =>
  (req) => {
    const m = parseMetadata('bash', commandSchema, req.metadata);
    return commandTask(
      {
        type: 'bash',
        mode: 'blocking',
        ...checked(parseCommandLine(m.cmd), deps),
        logOutput: m.logCmdOutput,
        returnOutput: m.returnCmdOutput,
      },
      deps,
    );
  };

/** helm, helmv3, kubectl: metadata.cmd holds the tool's arguments only (`test podinfo -n test`). */
export const toolTask =
  (type: string, tool: string, deps: CommandTaskDeps): TaskFactory =>
  (req) => {
    const m = parseMetadata(type, commandSchema, req.metadata);
    const parsed = parseCommandLine(`${tool} ${m.cmd}`);
    if (parsed.sequence.length !== 1 || parsed.sequence[0]!.length !== 1) {
      throw new CommandSyntaxError(`type ${type} takes ${tool} arguments only: '|' and '&&' are not supported here (use type bash)`, 0);
    }
    return commandTask(
      { type, mode: 'blocking', ...checked(parsed, deps), logOutput: m.logCmdOutput, returnOutput: m.returnCmdOutput },
      deps,
    );
  };

/** Programs resolved and their arguments checked (throws a RejectedError), and the line as shown. */
function checked(line: CommandLine, deps: CommandTaskDeps): { line: ResolvedCommandLine; shown: string } {
  return { line: deps.allowlist.resolveLine(line), shown: redactCommandLine(line) };
}

function commandTask(spec: CommandTaskSpec, deps: CommandTaskDeps): Task {
  return {
    type: spec.type,
    mode: spec.mode,
    summary: spec.shown,
    key: spec.line.source,
    run: async ({ signal, log }) => {
      const res = await runCommand(spec.line, { ...deps.processes, signal, maxOutputBytes: deps.maxOutputBytes });
      logOutput(log, spec, res);
      return resultOf(res, spec.returnOutput);
    },
  };
}

function logOutput(log: Logger, spec: CommandTaskSpec, res: ExecResult): void {
  if (spec.logOutput) log.info({ cmd: spec.shown, output: res.output }, 'command output');
  else if (res.output) log.debug({ cmd: spec.shown, output: res.output }, 'command output');
}

function resultOf(res: ExecResult, returnOutput: boolean): TaskResult {
  if (res.ok) return { ok: true, body: returnOutput ? res.output : 'ok' };
  if (res.reason === 'aborted') return { ok: false, message: 'command stopped', output: res.output };
  if (res.reason === 'spawn') return { ok: false, message: `cannot start ${res.program}: ${res.message}`, output: res.output };
  const how = res.signal ? `was killed by ${res.signal}` : `exited with code ${res.exitCode}`;
  return { ok: false, message: `command failed: ${res.program} ${how}`, output: res.output };
}
