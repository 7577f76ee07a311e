import {
  budgetConsumedPercent,
  burnRate,
  burnRateFor,
  canaryWindows,
  decideSlo,
  pyrraPageRules,
  slothPageRules,
  type SloDecisionInput,
} from '../src/slo/burn-rate.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('burnRate (error ratio / (1 - objective))', () => {
  it.each<[string, number, number, number]>([
    ['0.1% errors under 99.9%: exactly on budget', 0.001, 0.999, 1],
    ['1.44% errors under 99.9%: the fast page threshold', 0.0144, 0.999, 14.4],
    ['2% errors under 99.9%', 0.02, 0.999, 20],
    ['100% errors under 99.9% (SRE Workbook: budget gone in 43 minutes)', 1, 0.999, 1000],
    ['no errors', 0, 0.99, 0],
    ['0.5% errors under 99%', 0.005, 0.99, 0.5],
  ])('%s', (_t, ratio, objective, expected) => {
    expect(burnRate(ratio, objective)).toBeCloseTo(expected, 9);
  });

  it('refuses an objective of 1 or 0 (no budget, or no objective)', () => {
    expect(() => burnRate(0.1, 1)).toThrow(RangeError);
    expect(() => burnRate(0.1, 0)).toThrow(RangeError);
  });
});

describe('page thresholds (SRE Workbook, Sloth, Pyrra)', () => {
  it.each<[string, number, number, number, number]>([
    ['2% of a 30-day budget in 1 h', 0.02, 30 * DAY, HOUR, 14.4],
    ['5% of a 30-day budget in 6 h', 0.05, 30 * DAY, 6 * HOUR, 6],
    ['10% of a 30-day budget in 3 days (the ticket)', 0.1, 30 * DAY, 3 * DAY, 1],
    ['100% of a 30-day budget in 43.2 minutes', 1, 30 * DAY, 43.2 * MIN, 1000],
    ['2% of a 28-day budget in 1 h', 0.02, 28 * DAY, HOUR, 13.44],
  ])('%s', (_t, budget, period, long, expected) => {
    expect(burnRateFor(budget, period, long)).toBeCloseTo(expected, 9);
  });

  it("Sloth's page alert for 30 days: 14.4 over 1h/5m, 6 over 6h/30m", () => {
    expect(slothPageRules()).toEqual([
      { burnRate: 14.4, longMs: HOUR, shortMs: 5 * MIN },
      { burnRate: 6, longMs: 6 * HOUR, shortMs: 30 * MIN },
    ]);
    expect(slothPageRules(28 * DAY).map((r) => r.burnRate)).toEqual([13.44, 5.6]);
  });

  it("Pyrra's critical alerts: 14 and 7, windows scaled from a 28-day window and rounded to the minute", () => {
    expect(pyrraPageRules(28 * DAY)).toEqual([
      { burnRate: 14, longMs: HOUR, shortMs: 5 * MIN },
      { burnRate: 7, longMs: 6 * HOUR, shortMs: 30 * MIN },
    ]);
    // 30d: 1h × 30/28 = 64.3 m, 5m × 30/28 = 5.36 m, 6h × 30/28 = 385.7 m, 30m × 30/28 = 32.1 m
    expect(pyrraPageRules(30 * DAY)).toEqual([
      { burnRate: 14, longMs: 64 * MIN, shortMs: 5 * MIN },
      { burnRate: 7, longMs: 386 * MIN, shortMs: 32 * MIN },
    ]);
  });
});

describe('canaryWindows (short: the interval; long: since the canary took traffic)', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  it.each<[string, number, number, { shortMs: number; longMs: number; checks: number }]>([
    ['one interval after traffic', 10_000, 10_400, { shortMs: 10_000, longMs: 10_000, checks: 1 }],
    ['two and a half intervals after traffic', 10_000, 25_000, { shortMs: 10_000, longMs: 25_000, checks: 2 }],
    ['before one interval: long is never shorter than short', 60_000, 5_000, { shortMs: 60_000, longMs: 60_000, checks: 1 }],
    ['a clock behind the traffic start', 5_000, -3_000, { shortMs: 5_000, longMs: 5_000, checks: 1 }],
    ['sub-second interval rounds to a second', 300, 10_700, { shortMs: 1000, longMs: 10_000, checks: 10 }],
  ])('%s', (_t, interval, elapsed, expected) => {
    expect(canaryWindows(interval, t0, t0 + elapsed)).toEqual(expected);
  });
});

describe('budgetConsumedPercent', () => {
  it.each<[string, { canaryBad: number; periodTotal: number; periodBad: number; objective: number }, number]>([
    // 1,000,000 requests in 30 days under 99.9%: 1,000 bad allowed; 400 spent of which the canary's 50: 650 were left.
    ['50 bad of 650 left', { canaryBad: 50, periodTotal: 1_000_000, periodBad: 400, objective: 0.999 }, (50 / 650) * 100],
    ['no canary errors', { canaryBad: 0, periodTotal: 1_000_000, periodBad: 400, objective: 0.999 }, 0],
    ['the canary spent all that was left', { canaryBad: 100, periodTotal: 100_000, periodBad: 100, objective: 0.999 }, 100],
    ['nothing left before the canary', { canaryBad: 5, periodTotal: 100_000, periodBad: 200, objective: 0.999 }, Infinity],
  ])('%s', (_t, e, expected) => {
    expect(budgetConsumedPercent(e)).toBeCloseTo(expected, 9);
  });
});

describe('decideSlo (multiwindow)', () => {
  const base: SloDecisionInput = {
    shortBurnRate: 1,
    longBurnRate: 1,
    pageBurnRate: 14.4,
    windows: { shortMs: 10_000, longMs: 30_000, checks: 3 },
    minChecks: 2,
  };
  it.each<[string, Partial<SloDecisionInput>, ReturnType<typeof decideSlo>]>([
    ['on budget', {}, 'Pass'],
    ['2% errors under 99.9% over both windows', { shortBurnRate: 20, longBurnRate: 20 }, 'Burning'],
    ['a spike in the last interval only', { shortBurnRate: 50, longBurnRate: 10 }, 'Pass'],
    ['recovered: the long window still burns, the short does not', { shortBurnRate: 2, longBurnRate: 16 }, 'Pass'],
    ['exactly at the threshold is not above it', { shortBurnRate: 14.4, longBurnRate: 14.4 }, 'Pass'],
    [
      'one interval of traffic, minChecks 2',
      { shortBurnRate: 20, longBurnRate: 20, windows: { shortMs: 10_000, longMs: 10_000, checks: 1 } },
      'TooEarly',
    ],
    ['no events in the short window', { shortBurnRate: undefined }, 'NoData'],
    ['budget cap exceeded while the burn rate passes', { budgetConsumedPercent: 12, maxBudgetConsumedPercent: 10 }, 'BudgetExceeded'],
    ['budget cap not reached', { budgetConsumedPercent: 8, maxBudgetConsumedPercent: 10 }, 'Pass'],
  ])('%s', (_t, o, expected) => {
    expect(decideSlo({ ...base, ...o })).toBe(expected);
  });
});
