import { sleep as abortableSleep } from '@tollgate/operator/util/backoff';

/** Everything a command does to the outside world besides the API server: injected so tests run without a terminal or a clock. */
export interface Io {
  /** Writes one line (a newline is added) to standard output. */
  stdout(line: string): void;
  /** Writes one line to standard error. */
  stderr(line: string): void;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after ms, or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real process: stdout, stderr, the wall clock, timers. */
export function processIo(): Io {
  return {
    stdout: (line) => void process.stdout.write(`${line}\n`),
    stderr: (line) => void process.stderr.write(`${line}\n`),
    now: () => Date.now(),
    sleep: (ms, signal) => abortableSleep(ms, signal),
  };
}
