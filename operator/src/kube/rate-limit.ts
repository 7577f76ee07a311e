import { AsyncLocalStorage } from 'node:async_hooks';
import { REAL_CLOCK, type QueueClock, type Urgency } from './clock.js';

/**
 * The priority of the API requests made in the current async context: 'due' inside a work-queue handler of a key
 * whose requested time had come (an analysis step), 'event' otherwise. When tokens are short, 'due' goes first.
 */
const priority = new AsyncLocalStorage<Urgency>();

/** Runs fn with its API requests (and those of everything it awaits) at priority p. */
export function withPriority<T>(p: Urgency, fn: () => T): T {
  return priority.run(p, fn);
}

export function currentPriority(): Urgency {
  return priority.getStore() ?? 'event';
}

/** Observes the limiter: requests waiting for a token, and the time each request waited (0 when it did not), by priority. */
interface LimiterObserver {
  waiting(count: number): void;
  waited(seconds: number, priority: Urgency): void;
}

export interface TokenBucketOptions {
  /** Tokens added per second (--kube-api-qps). */
  qps: number;
  /** Tokens held at most: the burst allowed after a quiet spell (--kube-api-burst). */
  burst: number;
  clock?: QueueClock;
  observer?: LimiterObserver;
}

/** No token came within the request's deadline. */
export class RateLimitTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`waited ${waitedMs}ms for the client's API rate limit (--kube-api-qps) without a token`);
    this.name = 'RateLimitTimeout';
  }
}

export interface TakeOptions {
  priority?: Urgency;
  /** Longest wait; none when undefined. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Waiter {
  since: number;
  grant(): void;
}

/**
 * A token bucket in the manner of client-go's: `qps` tokens a second, at most `burst` held; each request takes one.
 * Waiting requests are served in order, those at priority 'due' before those at 'event'.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly queues: Record<Urgency, Waiter[]> = { due: [], event: [] };
  private timer: unknown;
  private readonly clock: QueueClock;

  constructor(private readonly opts: TokenBucketOptions) {
    if (!(opts.qps > 0) || !(opts.burst >= 1)) throw new RangeError(`qps must be > 0 and burst >= 1 (got ${opts.qps}, ${opts.burst})`);
    this.clock = opts.clock ?? REAL_CLOCK;
    this.tokens = opts.burst;
    this.last = this.clock.now();
  }

  get waiting(): number {
    return this.queues.due.length + this.queues.event.length;
  }

  /** Resolves once a token is taken; rejects with RateLimitTimeout past timeoutMs, or with the signal's reason. */
  take(o: TakeOptions = {}): Promise<void> {
    this.refill();
    if (this.waiting === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.opts.observer?.waited(0, o.priority ?? currentPriority());
      return Promise.resolve();
    }
    if (o.signal?.aborted) return Promise.reject(abortReason(o.signal));
    return new Promise((resolve, reject) => this.enqueue(o, resolve, reject));
  }

  private enqueue(o: TakeOptions, resolve: () => void, reject: (err: unknown) => void): void {
    const urgency = o.priority ?? currentPriority();
    const queue = this.queues[urgency];
    const since = this.clock.now();
    let deadline: unknown;
    const leave = (): void => {
      const at = queue.indexOf(waiter);
      if (at >= 0) queue.splice(at, 1);
      if (deadline !== undefined) this.clock.clearTimer(deadline);
      o.signal?.removeEventListener('abort', onAbort);
      this.opts.observer?.waiting(this.waiting);
      if (this.waiting === 0) this.idle();
    };
    const onAbort = (): void => {
      leave();
      reject(abortReason(o.signal!));
    };
    const waiter: Waiter = {
      since,
      grant: () => {
        leave();
        this.opts.observer?.waited((this.clock.now() - since) / 1000, urgency);
        resolve();
      },
    };
    queue.push(waiter);
    this.opts.observer?.waiting(this.waiting);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.timeoutMs !== undefined) {
      deadline = this.clock.setTimer(
        () => {
          deadline = undefined;
          leave();
          reject(new RateLimitTimeout(this.clock.now() - since));
        },
        Math.max(0, o.timeoutMs),
      );
    }
    this.schedule();
  }

  /** Sets the timer for the next token while anyone waits. */
  private schedule(): void {
    if (this.timer !== undefined || this.waiting === 0) return;
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.opts.qps));
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.grant();
      this.schedule();
    }, ms);
  }

  /** Nobody waits: no timer is left behind (a process can exit, a test can end). */
  private idle(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private grant(): void {
    this.refill();
    while (this.tokens >= 1) {
      const next = this.queues.due[0] ?? this.queues.event[0];
      if (!next) return;
      this.tokens -= 1;
      next.grant();
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) * this.opts.qps) / 1000);
    this.last = now;
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}
