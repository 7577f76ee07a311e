/** The time a work queue or a rate limiter reads and the timers it sets: the real ones, or a test's. */
export interface QueueClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const REAL_CLOCK: QueueClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** 'due': a requested time has come (a handler's requeueAfter); 'event': a change was seen. */
export type Urgency = 'due' | 'event';
