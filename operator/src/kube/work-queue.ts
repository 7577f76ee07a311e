import { Backoff } from '../util/backoff.js';
import { REAL_CLOCK, type QueueClock, type Urgency } from './clock.js';
import { withPriority } from './rate-limit.js';

export interface WorkResult {
  /** Process the key again after this many milliseconds (e.g. the next analysis tick). */
  requeueAfterMs?: number;
}

export type WorkHandler = (key: string) => Promise<WorkResult | void>;

export interface WorkQueueOptions {
  workers: number;
  handler: WorkHandler;
  onError: (key: string, err: unknown, retryInMs: number) => void;
  backoff?: { initialMs: number; maxMs: number };
  /** Observes queue depth changes, e.g. for a gauge. */
  onDepth?: (depth: number) => void;
  /** Delayed adds and retries: the real clock unless a test brings its own. */
  clock?: QueueClock;
  /**
   * Workers that keys added by events never occupy (0 by default; at most workers - 1): a due key always finds
   * one free, even when every other worker waits on a slow API or on the client's rate limit for an event's reconcile.
   */
  reservedForDue?: number;
}

/**
 * A keyed work queue in the manner of client-go's: a key waiting in the queue is held once however
 * often it is added; a key being processed is never processed twice at once (an add during processing
 * re-queues it afterwards); failures back off per key; delayed adds keep only the earliest deadline.
 * Keys whose requested time has come (a handler's requeueAfter: the next analysis step) are taken before
 * keys added by events, so a burst of watch events does not delay the steps that are due; the handler of a due key
 * runs at priority 'due' (rate-limit.ts), so its API requests also get tokens first when the client is throttled.
 * With reservedForDue, that many workers never take an event's key, so a due key never waits for a worker held by
 * an event's reconcile that is itself waiting for the API server or for a token.
 */
/** Longest delay of addAfter: one hour, so every key is looked at again at least hourly. */
export const MAX_DELAY_MS = 3_600_000;

export class WorkQueue {
  /** Keys waiting, by class; an entry whose key has since moved to the other class (or was taken) is skipped. */
  private readonly queues: Record<Urgency, string[]> = { due: [], event: [] };
  /** Keys waiting or to be re-queued after processing, with the class they wait in. */
  private readonly dirty = new Map<string, Urgency>();
  private readonly processing = new Set<string>();
  /** Keys added by events being processed: at most eventSlots at once. */
  private eventsInFlight = 0;
  private readonly eventSlots: number;
  private readonly delayed = new Map<string, { at: number; timer: unknown }>();
  private readonly failures = new Map<string, Backoff>();
  private waiting = 0;
  private wake: (() => void) | undefined;
  private stopping = false;
  private readonly running: Promise<void>[] = [];

  private readonly clock: QueueClock;

  constructor(private readonly opts: WorkQueueOptions) {
    this.clock = opts.clock ?? REAL_CLOCK;
    const reserved = Math.max(0, Math.min(Math.floor(opts.reservedForDue ?? 0), opts.workers - 1));
    this.eventSlots = opts.workers - reserved;
  }

  /** Adds the key; 'due' (a requested time that has come) is taken before 'event' (a change seen). */
  add(key: string, urgency: Urgency = 'event'): void {
    if (this.stopping) return;
    const was = this.dirty.get(key);
    if (was === 'due' || was === urgency) return;
    this.dirty.set(key, urgency);
    if (this.processing.has(key)) return;
    this.queues[urgency].push(key);
    if (was === undefined) this.waiting++;
    this.opts.onDepth?.(this.waiting);
    this.wake?.();
  }

  /**
   * Adds the key after ms, at most MAX_DELAY_MS (a longer or non-finite delay would overflow Node's timer
   * into a 1 ms busy loop; a key woken early just computes its delay again). An earlier pending deadline wins.
   */
  addAfter(key: string, delay: number, urgency: Urgency = 'due'): void {
    if (this.stopping) return;
    const ms = Number.isFinite(delay) ? Math.min(delay, MAX_DELAY_MS) : MAX_DELAY_MS;
    if (ms <= 0) return this.add(key, urgency);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimer(existing.timer);
    const timer = this.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key, urgency);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Drops the key's pending delayed add and failure history (e.g. when its object is deleted). */
  forget(key: string): void {
    const d = this.delayed.get(key);
    if (d) this.clock.clearTimer(d.timer);
    this.delayed.delete(key);
    this.failures.delete(key);
  }

  get depth(): number {
    return this.waiting;
  }

  start(): void {
    for (let i = 0; i < this.opts.workers; i++) this.running.push(this.worker());
  }

  /** Stops taking keys, lets the keys being processed finish, and drops the rest. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const d of this.delayed.values()) this.clock.clearTimer(d.timer);
    this.delayed.clear();
    this.wake?.();
    await Promise.all(this.running);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const taken = await this.next();
      if (taken === undefined) return;
      await this.process(taken.key, taken.urgency);
    }
  }

  private async next(): Promise<{ key: string; urgency: Urgency } | undefined> {
    while (!this.stopping) {
      const due = this.take('due');
      const key = due ?? (this.eventsInFlight < this.eventSlots ? this.take('event') : undefined);
      if (key !== undefined) {
        this.waiting--;
        this.opts.onDepth?.(this.waiting);
        this.dirty.delete(key);
        this.processing.add(key);
        if (due === undefined) this.eventsInFlight++;
        return { key, urgency: due !== undefined ? 'due' : 'event' };
      }
      await new Promise<void>((resolve) => {
        const previous = this.wake;
        this.wake = () => {
          this.wake = undefined;
          previous?.();
          resolve();
        };
      });
    }
    return undefined;
  }

  /** The first key waiting in that class, skipping entries left behind by a move to 'due' or by processing. */
  private take(urgency: Urgency): string | undefined {
    const q = this.queues[urgency];
    while (q.length) {
      const key = q.shift()!;
      if (this.dirty.get(key) === urgency && !this.processing.has(key)) return key;
    }
    return undefined;
  }

  /** Runs the handler with its API requests at the key's urgency: a due step's requests get tokens first. */
  private async process(key: string, urgency: Urgency): Promise<void> {
    try {
      const result = await withPriority(urgency, () => this.opts.handler(key));
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      let b = this.failures.get(key);
      if (!b) this.failures.set(key, (b = new Backoff(this.opts.backoff?.initialMs ?? 500, this.opts.backoff?.maxMs ?? 60_000)));
      const retryIn = b.next();
      this.opts.onError(key, err, retryIn);
      this.addAfter(key, retryIn, 'event');
    } finally {
      this.processing.delete(key);
      if (urgency === 'event') this.eventsInFlight--;
      const again = this.dirty.get(key);
      if (again && !this.stopping) {
        this.queues[again].push(key);
        this.waiting++;
        this.opts.onDepth?.(this.waiting);
      }
      // An event slot freed, or the key is back: a worker held back by the cap may take it.
      if (urgency === 'event' || again) this.wake?.();
    }
  }
}
