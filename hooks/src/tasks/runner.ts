import { isFinal } from '@tollgate/contract/phases';
import { randomUUID } from 'node:crypto';
import { sleep } from '@tollgate/operator/util/backoff';
import type { Logger } from 'pino';
import { messageOf } from '../errors.js';
import { canaryKey } from '@tollgate/contract/metadata';
import type { CanaryRef } from '../payload.js';
import type { Task, TaskMode, TaskResult } from './task.js';

/** Who asked for a task: the canary, its release run (checksum or revision) and the request. */
export interface TaskOwner {
  readonly canary: CanaryRef;
  readonly runId: string;
  readonly requestId: string;
}

export type RunStatus = 'succeeded' | 'failed' | 'timeout' | 'stopped';
export type RunOutcome =
  { status: 'succeeded'; body: string } | { status: Exclude<RunStatus, 'succeeded'>; message: string; output?: string };
export type StartOutcome = { status: 'started' | 'already-running'; id: string };

export interface TaskInfo {
  readonly id: string;
  readonly type: string;
  readonly mode: TaskMode;
  readonly summary: string;
  readonly canary: string;
  readonly runId: string;
  readonly startedAt: string;
}

/** Receives task starts and ends, e.g. to count them. */
export interface TaskObserver {
  started(type: string, mode: TaskMode): void;
  finished(type: string, mode: TaskMode, status: RunStatus, seconds: number): void;
}

/** MAX_RUNNING_TASKS are running already. */
export class CapacityError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} tasks are running already (MAX_RUNNING_TASKS): try again later`);
    this.name = 'CapacityError';
  }
}

export class ShuttingDownError extends Error {
  constructor() {
    super('the service is shutting down');
    this.name = 'ShuttingDownError';
  }
}

class TaskTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms / 1000}s`);
  }
}

class TaskStoppedError extends Error {
  constructor(readonly why: string) {
    super(`stopped: ${why}`);
  }
}

export interface TaskRunnerOptions {
  readonly maxRunning: number;
  readonly backgroundTimeoutMs: number;
  readonly blockingTimeoutMs: number;
  readonly logger: Logger;
  readonly observer?: TaskObserver;
  readonly newId?: () => string;
}

interface Running {
  readonly id: string;
  readonly key: string;
  readonly task: Task;
  readonly owner: TaskOwner;
  readonly controller: AbortController;
  readonly startedAt: number;
  readonly done: Promise<RunOutcome>;
}

/**
 * Runs tasks with a bound on how many run at once and a timeout each. Background tasks are de-duplicated by
 * canary, run and command, and stopped when their run ends: a payload for the same canary with another
 * checksum/revision, or with phase Succeeded or Failed.
 */
export class TaskRunner {
  private readonly running = new Map<string, Running>();
  private readonly background = new Map<string, Running>();
  private closing = false;

  constructor(private readonly opts: TaskRunnerOptions) {}

  get size(): number {
    return this.running.size;
  }

  /**
   * Runs a task to its end, or until `caller` aborts (the client went away); throws CapacityError or
   * ShuttingDownError when it cannot start.
   */
  runBlocking(task: Task, owner: TaskOwner, caller?: AbortSignal): Promise<RunOutcome> {
    this.admit();
    const r = this.launch(task, owner, '', Math.min(this.opts.blockingTimeoutMs, this.opts.backgroundTimeoutMs));
    const hangUp = (): void => this.stop(r, 'the caller disconnected');
    caller?.addEventListener('abort', hangUp, { once: true });
    return r.done.finally(() => caller?.removeEventListener('abort', hangUp));
  }

  /** Starts a task unless the same one runs already for this canary and run. */
  startBackground(task: Task, owner: TaskOwner): StartOutcome {
    const key = [canaryKey(owner.canary), owner.runId, task.type, task.key].join('\n');
    const existing = this.background.get(key);
    if (existing) return { status: 'already-running', id: existing.id };
    this.admit();
    return { status: 'started', id: this.launch(task, owner, key, this.opts.backgroundTimeoutMs).id };
  }

  /** Applies what a payload says about a canary's run to its background tasks; returns how many were stopped. */
  observe(canary: CanaryRef, event: { runId: string; phase?: string }): number {
    let stopped = 0;
    for (const r of [...this.background.values()]) {
      if (r.owner.canary.name !== canary.name || r.owner.canary.namespace !== canary.namespace) continue;
      const why = isFinal(event.phase)
        ? `canary phase is ${event.phase}`
        : event.runId && r.owner.runId !== event.runId
          ? 'a new revision is under analysis'
          : undefined;
      if (why) {
        this.stop(r, why);
        stopped++;
      }
    }
    return stopped;
  }

  list(): TaskInfo[] {
    return [...this.running.values()].map((r) => ({
      id: r.id,
      type: r.task.type,
      mode: r.task.mode,
      summary: r.task.summary,
      canary: canaryKey(r.owner.canary),
      runId: r.owner.runId,
      startedAt: new Date(r.startedAt).toISOString(),
    }));
  }

  /** Refuses new tasks, lets blocking ones finish, and stops background ones still running after graceMs. */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const background = (): Running[] => [...this.running.values()].filter((r) => r.key !== '');
    if (background().length > 0) {
      const grace = new AbortController();
      await Promise.race([Promise.all(background().map((r) => r.done)), sleep(graceMs, grace.signal)]);
      grace.abort();
      for (const r of background()) this.stop(r, 'the service is shutting down');
    }
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private admit(): void {
    if (this.closing) throw new ShuttingDownError();
    if (this.running.size >= this.opts.maxRunning) throw new CapacityError(this.opts.maxRunning);
  }

  private stop(r: Running, why: string): void {
    if (this.background.get(r.key)?.id === r.id) this.background.delete(r.key);
    if (!r.controller.signal.aborted) r.controller.abort(new TaskStoppedError(why));
  }

  private launch(task: Task, owner: TaskOwner, key: string, timeoutMs: number): Running {
    const id = this.opts.newId?.() ?? randomUUID();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TaskTimeoutError(timeoutMs)), timeoutMs).unref();
    const log = this.opts.logger.child({ canary: canaryKey(owner.canary), task: id, type: task.type, requestId: owner.requestId });
    const startedAt = Date.now();
    const done = execute(task, controller.signal, log).then((result) => {
      clearTimeout(timer);
      this.forget(id, key);
      const outcome = outcomeOf(result, controller.signal);
      this.report(task, (Date.now() - startedAt) / 1000, outcome, log);
      return outcome;
    });
    const r: Running = { id, key, task, owner, controller, startedAt, done };
    this.running.set(id, r);
    if (key) this.background.set(key, r);
    this.opts.observer?.started(task.type, task.mode);
    log.info({ summary: task.summary, mode: task.mode, runId: owner.runId }, 'task started');
    return r;
  }

  private forget(id: string, key: string): void {
    this.running.delete(id);
    if (key && this.background.get(key)?.id === id) this.background.delete(key);
  }

  private report(task: Task, seconds: number, outcome: RunOutcome, log: Logger): void {
    this.opts.observer?.finished(task.type, task.mode, outcome.status, seconds);
    if (outcome.status === 'succeeded') log.info({ seconds }, 'task succeeded');
    else if (outcome.status === 'stopped') log.info({ seconds, reason: outcome.message }, 'task stopped');
    else log.warn({ seconds, reason: outcome.message, output: tail(outcome.output) }, 'task failed');
  }
}

function execute(task: Task, signal: AbortSignal, log: Logger): Promise<TaskResult> {
  return Promise.resolve()
    .then(() => task.run({ signal, log }))
    .catch((err: unknown): TaskResult => ({ ok: false, message: messageOf(err) }));
}

function outcomeOf(result: TaskResult, signal: AbortSignal): RunOutcome {
  if (result.ok) return { status: 'succeeded', body: result.body };
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  const output = result.output ? { output: result.output } : {};
  if (reason instanceof TaskTimeoutError)
    return { status: 'timeout', message: `${reason.message}: the task was killed (${result.message})`, ...output };
  if (reason instanceof TaskStoppedError) return { status: 'stopped', message: reason.message, ...output };
  return { status: 'failed', message: result.message, ...output };
}

function tail(output: string | undefined): string | undefined {
  return output && output.length > 2000 ? `...${output.slice(-2000)}` : output;
}
