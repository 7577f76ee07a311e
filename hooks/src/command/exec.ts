import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ResolvedCommandLine, ResolvedProcess } from './allowlist.js';
import { OutputBuffer } from './output.js';

export type ExecResult =
  | { ok: true; output: string }
  | { ok: false; reason: 'exit'; program: string; exitCode: number | null; signal: string | null; output: string }
  | { ok: false; reason: 'aborted'; output: string }
  | { ok: false; reason: 'spawn'; program: string; message: string; output: string };

type PipelineResult = { ok: true } | Exclude<ExecResult, { ok: true }>;

/** A uid and gid task processes run under instead of the service's (TASK_UID, TASK_GID). */
export interface TaskUser {
  readonly uid: number;
  readonly gid: number;
}

export interface ExecOptions {
  /** The children's environment (an allowlist of the service's variables, see taskEnvironment). */
  env: NodeJS.ProcessEnv;
  /** Their working directory. */
  cwd?: string;
  /** Run them under this uid and gid (the service needs CAP_SETUID, CAP_SETGID and CAP_KILL). */
  user?: TaskUser;
  /** Aborting kills every process still running: SIGTERM to its process group, SIGKILL after killGraceMs. */
  signal: AbortSignal;
  maxOutputBytes?: number;
  killGraceMs?: number;
}

const DEFAULT_MAX_OUTPUT = 256 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;

/**
 * Runs a resolved command line with child_process.spawn and no shell: pipelines one after the other while
 * each exits 0, the processes of a pipeline joined directly (libuv's socket pairs: a writer whose reader has
 * exited gets EPIPE or ECONNRESET and ends, as with a shell's pipes). stdout of the last process and stderr of all
 * are collected, in arrival order. A pipeline's status is its last process's status, as in a POSIX shell.
 */
export async function runCommand(line: ResolvedCommandLine, opts: ExecOptions): Promise<ExecResult> {
  const output = new OutputBuffer(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  for (const pipeline of line.sequence) {
    if (opts.signal.aborted) return { ok: false, reason: 'aborted', output: output.text() };
    const res = await runPipeline(pipeline, output, opts);
    if (!res.ok) return { ...res, output: output.text() };
  }
  return { ok: true, output: output.text() };
}

async function runPipeline(pipeline: readonly ResolvedProcess[], output: OutputBuffer, opts: ExecOptions): Promise<PipelineResult> {
  const children: ChildProcess[] = [];
  const closed = new Set<ChildProcess>();
  const stopKilling = killOnAbort(children, closed, opts);
  try {
    const failed = startAll(pipeline, children, output, opts);
    const results = await Promise.all(children.map((c, i) => waitFor(c, pipeline[i]!, closed)));
    if (failed) return failed;
    if (opts.signal.aborted) return { ok: false, reason: 'aborted', output: '' };
    return results.find((r) => !r.ok && r.reason === 'spawn') ?? results[results.length - 1]!;
  } finally {
    stopKilling();
  }
}

/** Spawns the processes of a pipeline, each reading the previous one's stdout; a synchronous spawn error stops the rest. */
function startAll(
  pipeline: readonly ResolvedProcess[],
  children: ChildProcess[],
  output: OutputBuffer,
  opts: ExecOptions,
): PipelineResult | undefined {
  let stdin: Readable | 'ignore' = 'ignore';
  for (const p of pipeline) {
    let child: ChildProcess;
    try {
      child = spawnOne(p, stdin, opts);
    } catch (err) {
      for (const c of children) if (c.pid !== undefined) signalGroup(c.pid, 'SIGKILL');
      return { ok: false, reason: 'spawn', program: p.argv[0], message: (err as Error).message, output: '' };
    }
    children.push(child);
    // The next process owns the read end now; closing ours lets the writer get EPIPE when the reader exits.
    if (stdin !== 'ignore') stdin.destroy();
    child.stderr?.on('data', (c: Buffer) => output.append(c));
    stdin = child.stdout!;
  }
  (stdin as Readable).on('data', (c: Buffer) => output.append(c));
  return undefined;
}

function spawnOne(p: ResolvedProcess, stdin: Readable | 'ignore', opts: ExecOptions): ChildProcess {
  // detached: each process leads its own process group, so a kill also reaches anything it started.
  return spawn(p.file, p.argv.slice(1), {
    argv0: p.argv[0],
    env: opts.env,
    cwd: opts.cwd,
    stdio: [stdin, 'pipe', 'pipe'],
    detached: true,
    shell: false,
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
}

/** Resolves when the process has exited and its stdio closed (nothing it started holds them any more). */
function waitFor(child: ChildProcess, p: ResolvedProcess, closed: Set<ChildProcess>): Promise<PipelineResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PipelineResult): void => {
      if (!settled) resolve(r);
      settled = true;
    };
    child.once('error', (err) => done({ ok: false, reason: 'spawn', program: p.argv[0], message: err.message, output: '' }));
    child.once('close', (exitCode, signal) => {
      closed.add(child);
      done(exitCode === 0 ? { ok: true } : { ok: false, reason: 'exit', program: p.argv[0], exitCode, signal, output: '' });
    });
  });
}

/**
 * On abort: SIGTERM to the process group of every child not closed yet (its leader may have exited while
 * something it started still holds the pipes), then SIGKILL to those still open after the grace.
 */
function killOnAbort(children: ChildProcess[], closed: ReadonlySet<ChildProcess>, opts: ExecOptions): () => void {
  let timer: NodeJS.Timeout | undefined;
  const kill = (sig: NodeJS.Signals): void => {
    for (const c of children) if (c.pid !== undefined && !closed.has(c)) signalGroup(c.pid, sig);
  };
  const onAbort = (): void => {
    kill('SIGTERM');
    timer = setTimeout(() => kill('SIGKILL'), opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    timer.unref();
  };
  if (opts.signal.aborted) queueMicrotask(onAbort);
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    opts.signal.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  };
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is gone already
  }
}
