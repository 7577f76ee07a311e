import type { Logger } from 'pino';
import type { CanaryRef } from '../payload.js';

/** background: answered 202 at once and run on; blocking: the response waits for the result. */
export type TaskMode = 'background' | 'blocking';

interface TaskContext {
  /** Aborted on timeout, when the run ends (new revision, final phase) and at shutdown. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/** ok: body is what a blocking task answers with 200. Not ok: answered 500 with the message and output. */
export type TaskResult = { ok: true; body: string } | { ok: false; message: string; output?: string };

/** One unit of work built from a webhook's metadata. */
export interface Task {
  readonly type: string;
  readonly mode: TaskMode;
  /** What it does, for GET /tasks and logs, credentials replaced by ***: the command line, or "GET <url> x3". */
  readonly summary: string;
  /** What makes two background tasks the same: the command line or URL with its credentials (never shown). */
  readonly key: string;
  run(ctx: TaskContext): Promise<TaskResult>;
}

export interface TaskRequest {
  readonly canary: CanaryRef;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Builds a task from a request; throws a RejectedError when the metadata asks for something invalid. */
export type TaskFactory = (req: TaskRequest) => Task;
