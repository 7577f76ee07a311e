import { createHash } from 'node:crypto';

/**
 * A Canary's analysis schedule: its ticks fall at `offsetMs + k * intervalMs` (k an integer, times in ms since
 * the epoch). The offset is a stable hash of the Canary's namespace/name within the interval, so Canaries released
 * in the same second tick at times spread over the interval instead of all in that second.
 */
export interface TickSchedule {
  readonly intervalMs: number;
  readonly offsetMs: number;
}

/** The offset of key's ticks in [0, intervalMs): the same for the same key and interval, on every replica. */
export function tickOffset(key: string, intervalMs: number): number {
  if (!(intervalMs >= 1)) return 0;
  const h = createHash('sha256').update(key).digest().readUIntBE(0, 6);
  return h % Math.floor(intervalMs);
}

export function tickSchedule(key: string, intervalMs: number): TickSchedule {
  return { intervalMs, offsetMs: tickOffset(key, intervalMs) };
}

/**
 * When the step after one taken at lastMs is due: the first tick at least half an interval after lastMs.
 * So two steps are never closer than half an interval (a metric measured over the last interval mostly sees
 * the current weight) nor, the operator's lag aside, further apart than one and a half intervals; a step taken
 * on its tick (or less than half an interval late) is followed by the next tick, exactly one interval later.
 */
export function nextTickAt(s: TickSchedule, lastMs: number): number {
  if (!(s.intervalMs >= 1)) return lastMs;
  const earliest = lastMs + Math.ceil(s.intervalMs / 2);
  const k = Math.ceil((earliest - s.offsetMs) / s.intervalMs);
  return s.offsetMs + k * s.intervalMs;
}

/**
 * Whether an analysis step is due: at the tick nextTickAt gives after the last step. Returns the wait (0 when
 * due). No step yet, or an unreadable time, is due at once.
 */
export function untilTick(s: TickSchedule, lastAnalysisTime: string | undefined, now: number): number {
  const due = dueAt(s, lastAnalysisTime);
  return due === undefined ? 0 : Math.max(0, due - now);
}

/** The tick the step after lastAnalysisTime is due at; undefined when there is no readable last step. */
export function dueAt(s: TickSchedule, lastAnalysisTime: string | undefined): number | undefined {
  const last = Date.parse(lastAnalysisTime ?? '');
  return Number.isNaN(last) ? undefined : nextTickAt(s, last);
}
