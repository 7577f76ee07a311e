import { dueAt, nextTickAt, tickOffset, tickSchedule, untilTick, type TickSchedule } from '../src/core/schedule.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

const at = (iso: string): number => Date.parse(iso);
const MIN = 60_000;

describe('tickOffset', () => {
  it('given the same key and interval, then the offset is the same (every replica, every restart)', () => {
    expect(tickOffset('apps/podinfo', MIN)).toBe(tickOffset('apps/podinfo', MIN));
  });

  it.each<[string, number]>([
    ['a 1m interval', MIN],
    ['a 10s interval', 10_000],
    ['a 1ms interval', 1],
    ['a fractional interval', 1.5],
  ])('given %s, then every offset lies in [0, interval)', (_t, interval) => {
    for (let i = 0; i < 200; i++) {
      const o = tickOffset(`ns/canary-${i}`, interval);
      expect(Number.isInteger(o) && o >= 0 && o < Math.max(1, interval)).toBe(true);
    }
  });

  it.each<[string, number]>([
    ['zero', 0],
    ['negative', -5],
    ['NaN', NaN],
  ])('given a %s interval, then the offset is 0', (_t, interval) => {
    expect(tickOffset('a/b', interval)).toBe(0);
  });

  it('given 2,000 Canaries with a 1m interval, then their ticks spread over the minute: no second holds more than twice its share (67, not 2,000)', () => {
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const s = Math.floor(tickOffset(`team-${i % 40}/canary-${i}`, MIN) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    expect(perSecond.size).toBe(60);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(67);
  });
});

describe('nextTickAt', () => {
  const s: TickSchedule = { intervalMs: MIN, offsetMs: 15_000 };
  it.each<[string, string, string]>([
    ['a step on its tick', '2026-01-01T00:00:15Z', '2026-01-01T00:01:15Z'],
    ['a step 10s late', '2026-01-01T00:00:25Z', '2026-01-01T00:01:15Z'],
    ['a step exactly half an interval late', '2026-01-01T00:00:45Z', '2026-01-01T00:01:15Z'],
    ['a step more than half an interval late', '2026-01-01T00:00:46Z', '2026-01-01T00:02:15Z'],
    ['a run started 1s before a tick', '2026-01-01T00:01:14Z', '2026-01-01T00:02:15Z'],
    ['a run started 31s before a tick', '2026-01-01T00:00:44Z', '2026-01-01T00:01:15Z'],
  ])('given %s, then the next step is due at the right tick', (_t, last, next) => {
    expect(new Date(nextTickAt(s, at(last))).toISOString()).toBe(new Date(at(next)).toISOString());
  });

  it('given any last step, then the next is half an interval to one and a half intervals later, on a tick', () => {
    for (let last = at('2026-01-01T00:00:00Z'); last < at('2026-01-01T00:03:00Z'); last += 997) {
      const next = nextTickAt(s, last);
      expect(next - last).toBeGreaterThanOrEqual(MIN / 2);
      expect(next - last).toBeLessThan(1.5 * MIN);
      expect((next - s.offsetMs) % MIN).toBe(0);
    }
  });

  it('given steps taken on time, then they are exactly one interval apart', () => {
    let t = nextTickAt(s, at('2026-01-01T00:00:00Z'));
    for (let i = 0; i < 5; i++) {
      const next = nextTickAt(s, t + 200);
      expect(next - t).toBe(MIN);
      t = next;
    }
  });
});

describe('untilTick and dueAt', () => {
  const s = tickSchedule('apps/podinfo', 10_000);
  const last = '2026-01-01T00:00:00Z';
  const due = nextTickAt(s, at(last));

  it.each<[string, string | undefined, number, number]>([
    ['no step yet', undefined, at(last), 0],
    ['an unreadable time', 'yesterday', at(last), 0],
    ['a step just taken', last, at(last), due - at(last)],
    ['a step whose tick has come', last, due, 0],
    ['a step whose tick is past', last, due + 5_000, 0],
    ['a step 1ms before its tick', last, due - 1, 1],
  ])('given %s, then the wait is right', (_t, lastAnalysisTime, now, wait) => {
    expect(untilTick(s, lastAnalysisTime, now)).toBe(wait);
  });

  it('given no readable step, then there is no due time (no tick lag is measured)', () => {
    expect(dueAt(s, undefined)).toBeUndefined();
    expect(dueAt(s, 'nonsense')).toBeUndefined();
    expect(dueAt(s, last)).toBe(due);
  });
});

describe('a Canary on its own schedule (controller)', () => {
  it('given a run started at T0, then each step falls on a tick of its own, the requeue aims at the next tick and a late step counts its lag from that tick', async () => {
    const w = new World().apply(aDeployment(), aCanary({ interval: '10s' }));
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    const t0 = w.now;
    const due = nextTickAt(tickSchedule(`${NS}/podinfo`, 10_000), t0);
    expect(await w.reconcile()).toBe(due - t0);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });

    w.now = due - 1;
    expect(await w.reconcile()).toBe(1);
    expect(w.vsWeight()).toBe(0);

    w.now = due;
    expect(await w.reconcile()).toBe(10_000);
    expect(w.vsWeight()).toBe(25);
    expect(Date.parse(w.canary.status!.lastAnalysisTime!)).toBe(due);

    w.now = due + 10_000 + 3_000;
    expect(await w.reconcile()).toBe(7_000);
    expect(w.vsWeight()).toBe(50);
    const lag = (await w.deps.metrics.tickLag.get()).values;
    expect(lag.find((v) => v.metricName === 'tollgate_analysis_tick_lag_seconds_sum')?.value).toBe(3);
    expect(lag.find((v) => v.metricName === 'tollgate_analysis_tick_lag_seconds_count')?.value).toBe(1);
  });
});
