/**
 * The canary weight over time, for the chart of a Canary's page. Two sources: the Events the operator writes at
 * each step and at a run's start and end (kept by the API server for an hour by default, so they survive a
 * restart of the dashboard, to the second), and the weights the dashboard's watch saw (to the millisecond, lost
 * on restart). Pure, but for Observed, which keeps what the watch saw.
 */
import type { Canary } from '@tollgate/operator/api/types';
import { eventCount, eventLast, eventStart, type CoreEvent } from '../canary.js';
import { isRunEdge, releases } from '../commands/releases.js';

export interface Point {
  /** Milliseconds since the epoch. */
  t: number;
  weight: number;
}

const STEP = /canary weight (\d+)/;

/** The weights the Events record: each step (Advanced, Promoting), and 0 at each run's start and end. */
export function pointsFromEvents(events: CoreEvent[]): Point[] {
  const out: Point[] = [];
  for (const e of events) {
    const t = eventStart(e);
    if (!t) continue;
    const step = e.reason === 'Advanced' || e.reason === 'Promoting' ? STEP.exec(e.message ?? '') : null;
    if (step) {
      out.push({ t, weight: Number(step[1]) });
      // A step whose message repeats an earlier one is counted on that Event: its last occurrence is a step too.
      if (eventCount(e) > 1 && eventLast(e) > t) out.push({ t: eventLast(e), weight: Number(step[1]) });
    } else if (isRunEdge(e)) out.push({ t, weight: 0 });
  }
  return out;
}

/** When the chart starts: the start of the run before the current one (the current and the last release). */
function chartStart(c: Canary, events: CoreEvent[]): number | undefined {
  const starts = releases(c, events)
    .map((r) => Date.parse(r.start ?? ''))
    .filter(Number.isFinite);
  return starts.length ? starts.slice(0, 2).at(-1) : undefined;
}

/**
 * The chart's points, oldest first: both sources merged from `since` on, a point kept only where the weight
 * changes, and the current weight at `now` so the line reaches the present.
 */
export function timeline(c: Canary, events: CoreEvent[], observed: Point[], now: number): Point[] {
  const since = chartStart(c, events) ?? Number.NEGATIVE_INFINITY;
  const all = [...pointsFromEvents(events), ...observed].filter((p) => p.t >= since).sort((a, b) => a.t - b.t);
  const out: Point[] = [];
  for (const p of all) if (out.at(-1)?.weight !== p.weight) out.push(p);
  out.push({ t: Math.max(now, out.at(-1)?.t ?? now), weight: c.status?.canaryWeight ?? 0 });
  return out;
}

/** The weights the watch saw, per Canary (namespace/name): a point each time the weight changed. Bounded. */
export class Observed {
  private readonly points = new Map<string, Point[]>();

  constructor(private readonly maxPoints = 500) {}

  /** Records the Canary's weight at `now` when it differs from the last one seen. */
  saw(key: string, c: Canary, now: number): void {
    const weight = c.status?.canaryWeight ?? 0;
    const list = this.points.get(key) ?? [];
    if (list.at(-1)?.weight === weight) return;
    list.push({ t: now, weight });
    if (list.length > this.maxPoints) list.splice(0, list.length - this.maxPoints);
    this.points.set(key, list);
  }

  of(key: string): Point[] {
    return this.points.get(key) ?? [];
  }

  forget(key: string): void {
    this.points.delete(key);
  }
}
