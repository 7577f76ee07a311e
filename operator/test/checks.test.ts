import type { CanaryMetric } from '../src/api/types.js';
import { DURATION, SUCCESS_RATE } from '../src/api/metric-names.js';
import type { CheckResult } from '../src/api/types.js';
import { checksWith, evaluateMetric, markDryRun, noData, rangeOf, unmeasured, verdictOf, type CheckVerdict } from '../src/core/checks.js';

describe('rangeOf', () => {
  it.each<[string, CanaryMetric, { min?: number; max?: number }]>([
    ['deprecated threshold on request-success-rate is a minimum', { name: SUCCESS_RATE, threshold: 99 }, { min: 99 }],
    ['deprecated threshold on request-duration is a maximum', { name: DURATION, threshold: 500 }, { max: 500 }],
    ['deprecated threshold on a custom metric is a maximum', { name: 'error-count', threshold: 3 }, { max: 3 }],
    ['threshold 0 is still a bound', { name: 'error-count', threshold: 0 }, { max: 0 }],
    ['thresholdRange min wins over threshold', { name: SUCCESS_RATE, threshold: 50, thresholdRange: { min: 99 } }, { min: 99 }],
    ['thresholdRange max wins over threshold', { name: DURATION, threshold: 50, thresholdRange: { max: 500 } }, { max: 500 }],
    ['thresholdRange with both bounds', { name: 'x', thresholdRange: { min: 1, max: 2 } }, { min: 1, max: 2 }],
    ['thresholdRange min 0 is a bound', { name: 'x', thresholdRange: { min: 0 } }, { min: 0 }],
    ['an empty thresholdRange falls back to threshold', { name: SUCCESS_RATE, threshold: 95, thresholdRange: {} }, { min: 95 }],
    ['no threshold at all', { name: 'x' }, {}],
    ['an empty thresholdRange and no threshold', { name: 'x', thresholdRange: {} }, {}],
  ])('given %s, then the range is %j', (_title, metric, range) => {
    expect(rangeOf(metric)).toEqual(range);
  });

  it('given a thresholdRange, then the returned range is a copy', () => {
    const m: CanaryMetric = { name: 'x', thresholdRange: { min: 1 } };
    const r = rangeOf(m);
    r.min = 5;
    expect(m.thresholdRange).toEqual({ min: 1 });
  });
});

describe('evaluateMetric', () => {
  const rate: CanaryMetric = { name: SUCCESS_RATE, thresholdRange: { min: 99 } };
  const latency: CanaryMetric = { name: DURATION, thresholdRange: { max: 500 } };
  const band: CanaryMetric = { name: 'ratio', thresholdRange: { min: 0.5, max: 1.5 } };

  it.each<[string, CanaryMetric, number, boolean, string | undefined]>([
    ['a success rate above the minimum', rate, 99.5, true, undefined],
    ['a success rate exactly at the minimum', rate, 99, true, undefined],
    ['a success rate just below the minimum', rate, 98.99, false, 'BelowMin'],
    ['a latency below the maximum', latency, 100, true, undefined],
    ['a latency exactly at the maximum', latency, 500, true, undefined],
    ['a latency just above the maximum', latency, 500.01, false, 'AboveMax'],
    ['a value inside a band', band, 1, true, undefined],
    ['a value at the lower edge of a band', band, 0.5, true, undefined],
    ['a value at the upper edge of a band', band, 1.5, true, undefined],
    ['a value below a band', band, 0.49, false, 'BelowMin'],
    ['a value above a band', band, 1.51, false, 'AboveMax'],
    ['any value of an unbounded metric', { name: 'x' }, -1e9, true, undefined],
    ['a negative value with the deprecated success-rate threshold', { name: SUCCESS_RATE, threshold: 0 }, -1, false, 'BelowMin'],
  ])('given %s, then ok is %p with reason %p', (_title, metric, value, ok, reason) => {
    const r = evaluateMetric(metric, value);
    expect(r.ok).toBe(ok);
    expect(r.reason).toBe(reason);
    expect(r.value).toBe(value);
    expect(r.name).toBe(metric.name);
  });

  it('given a failing success rate, then the result carries the bound and a readable message', () => {
    expect(evaluateMetric(rate, 95)).toEqual({
      name: SUCCESS_RATE,
      value: 95,
      min: 99,
      ok: false,
      reason: 'BelowMin',
      message: 'request-success-rate 95 < 99',
    });
  });

  it('given a failing latency with fractions, then the message rounds to three decimals', () => {
    expect(evaluateMetric(latency, 512.34567)).toEqual({
      name: DURATION,
      value: 512.34567,
      max: 500,
      ok: false,
      reason: 'AboveMax',
      message: 'request-duration 512.346 > 500',
    });
  });

  it('given a passing check, then the result has no message, and only the bounds that exist', () => {
    const r = evaluateMetric(latency, 10);
    expect(r).toEqual({ name: DURATION, value: 10, max: 500, ok: true });
    expect('min' in r).toBe(false);
    expect('message' in r).toBe(false);
  });

  // Bug: fmt() in checks.ts strips trailing zeros from toFixed(3) but not the decimal point left behind,
  // so a value that rounds to a whole number is printed as "99." in the check message.
  it('given a value that rounds to a whole number at three decimals, then the message has no dangling decimal point', () => {
    expect(evaluateMetric({ name: SUCCESS_RATE, thresholdRange: { min: 99.5 } }, 98.9999).message).toBe('request-success-rate 99 < 99.5');
  });
});

describe('unmeasured', () => {
  it('given a metric that could not be measured, then it is a failed check with the range and no value', () => {
    expect(unmeasured({ name: SUCCESS_RATE, threshold: 99 }, 'NoData', 'no data')).toEqual({
      name: SUCCESS_RATE,
      ok: false,
      reason: 'NoData',
      message: 'no data',
      min: 99,
    });
  });

  it('given an unbounded metric, then the failed check carries no bounds', () => {
    const r = unmeasured({ name: 'custom', query: 'up' }, 'ProviderError', 'boom');
    expect(r).toEqual({ name: 'custom', ok: false, reason: 'ProviderError', message: 'boom' });
    expect('value' in r).toBe(false);
  });
});

describe('evaluateMetric with a value that is not a number', () => {
  it.each([[Number.NaN], [Number.POSITIVE_INFINITY]])('given %p, then the check fails as NoData, never passes', (value) => {
    expect(evaluateMetric({ name: 'latency', thresholdRange: { max: 500 } }, value)).toMatchObject({ ok: false, reason: 'NoData' });
  });
});

describe('noData by onNoData policy', () => {
  const m: CanaryMetric = { name: 'latency', thresholdRange: { max: 500 } };
  it.each<[CanaryMetric['onNoData'], Partial<ReturnType<typeof noData>>]>([
    [undefined, { ok: false, reason: 'NoData', max: 500 }],
    ['fail', { ok: false, reason: 'NoData' }],
    ['halt', { ok: false, halt: true, reason: 'NoData' }],
    ['ignore', { ok: true, reason: 'NoDataIgnored' }],
  ])('given onNoData %p, then the check is %p', (policy, expected) => {
    const r = noData({ ...m, ...(policy ? { onNoData: policy } : {}) }, 'latency: no data');
    expect(r).toMatchObject({ name: 'latency', message: 'latency: no data', ...expected });
    if (policy !== 'halt') expect(r.halt).toBeUndefined();
  });
});

describe('verdictOf', () => {
  it.each<[string, CheckResult, CheckVerdict]>([
    ['a pass', { name: 'a', ok: true }, 'pass'],
    ['a dry-run pass', { name: 'a', ok: true, dryRun: true }, 'pass'],
    ['a failure', { name: 'a', ok: false, reason: 'BelowMin' }, 'failed'],
    ['a halted no-data check', { name: 'a', ok: false, halt: true, reason: 'NoData' }, 'held'],
    ['a dry-run failure', { name: 'a', ok: false, dryRun: true, reason: 'AboveMax' }, 'dry-run-failed'],
    ['a dry-run no-data check with onNoData halt', { name: 'a', ok: false, dryRun: true, halt: true }, 'dry-run-failed'],
    ['a dry-run provider error', { name: 'a', ok: false, dryRun: true, reason: 'ProviderError' }, 'dry-run-failed'],
  ])('given %s, then the verdict is %p', (_title, check, verdict) => {
    expect(verdictOf(check)).toBe(verdict);
  });

  it('given mixed checks, then checksWith keeps those of one verdict in order', () => {
    const checks: CheckResult[] = [
      { name: 'a', ok: false, dryRun: true },
      { name: 'b', ok: false },
      { name: 'c', ok: false, dryRun: true, halt: true },
    ];
    expect(checksWith(checks, 'dry-run-failed').map((c) => c.name)).toEqual(['a', 'c']);
    expect(checksWith(checks, 'failed').map((c) => c.name)).toEqual(['b']);
  });

  it('given a dry-run metric, then its result is marked; another metric is left as it is', () => {
    const r: CheckResult = { name: 'a', ok: false, reason: 'NoData' };
    expect(markDryRun({ name: 'a', dryRun: true }, r)).toEqual({ ...r, dryRun: true });
    expect(markDryRun({ name: 'a' }, r)).toBe(r);
    expect(markDryRun({ name: 'a', dryRun: false }, r)).toBe(r);
  });
});
