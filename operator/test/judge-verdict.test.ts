import type { MetricJudgement } from '../src/api/types.js';
import { classifyMetric, judge, judgementCheck, judgementText, medianRatio, type ClassifySettings } from '../src/judge/verdict.js';

const settings = (o: Partial<ClassifySettings> = {}): ClassifySettings => ({
  name: 'latency',
  direction: 'increase',
  effectSize: 1.2,
  confidence: 0.95,
  minSamples: 10,
  ...o,
});

/** n values spread evenly around a centre (a deterministic stand-in for a sample of a distribution). */
const around = (centre: number, n = 20, spread = 0.1): number[] =>
  Array.from({ length: n }, (_, i) => centre * (1 - spread + (2 * spread * i) / (n - 1)));

describe('classifyMetric', () => {
  it.each<[string, Partial<ClassifySettings>, number[], number[], MetricJudgement['classification']]>([
    ['a canary twice as slow, increase bad', {}, around(200), around(100), 'High'],
    ['a canary twice as slow, either bad', { direction: 'either' }, around(200), around(100), 'High'],
    ['a canary twice as slow, only a decrease bad', { direction: 'decrease' }, around(200), around(100), 'Pass'],
    ['a canary at half the rate, decrease bad', { direction: 'decrease' }, around(50), around(100), 'Low'],
    ['a canary at half the rate, either bad', { direction: 'either' }, around(50), around(100), 'Low'],
    ['a canary at half the rate, only an increase bad', {}, around(50), around(100), 'Pass'],
    ['the same distribution', {}, around(100), around(100), 'Pass'],
    ['10% slower, significant but within the tolerated 1.2', {}, around(110, 40, 0.02), around(100, 40, 0.02), 'Pass'],
    ['10% slower with a tolerance of 1.05', { effectSize: 1.05 }, around(110, 40, 0.02), around(100, 40, 0.02), 'High'],
    ['3x slower on 3 samples each, below minSamples', { minSamples: 3 }, [300, 310, 320], [100, 110, 120], 'Pass'],
    ['too few canary samples', {}, around(200, 9), around(100), 'NoData'],
    ['no primary samples', {}, around(200), [], 'NoData'],
  ])('given %s, then %s', (_what, o, canary, primary, expected) => {
    expect(classifyMetric(settings(o), canary, primary).classification).toBe(expected);
  });

  it('given a slower canary, then the judgement names the medians, the ratio, the p-value and the sample counts', () => {
    const j = classifyMetric(settings(), around(200), around(100));
    expect(j).toMatchObject({ canaryMedian: 200, primaryMedian: 100, ratio: 2, canarySamples: 20, primarySamples: 20 });
    expect(j.pValue).toBeLessThan(1e-6);
    expect(j.message).toMatch(
      /^latency High: canary median 200 vs primary 100, ratio 2 \(tolerated <= 1\.2\), p=[0-9.e-]+ \(significant at 0\.95\), n=20\/20$/,
    );
  });

  it('given a primary median of 0 and a busy canary, then the ratio is left out (infinite) and the metric is High', () => {
    const j = classifyMetric(settings(), around(5), Array<number>(20).fill(0));
    expect(j.classification).toBe('High');
    expect(j.ratio).toBeUndefined();
    expect(j.message).toContain('ratio Infinity');
  });

  it('given 5 against 5 fully apart (exact p = 2/252), then High at 0.95 and Pass at 0.999', () => {
    const canary = [200, 201, 202, 203, 204];
    const primary = [100, 101, 102, 103, 104];
    expect(classifyMetric(settings({ minSamples: 5 }), canary, primary)).toMatchObject({ classification: 'High', pValue: 2 / 252 });
    expect(classifyMetric(settings({ minSamples: 5, confidence: 0.999 }), canary, primary).classification).toBe('Pass');
  });
});

describe('medianRatio', () => {
  it.each<[number, number, number]>([
    [2, 1, 2],
    [0, 0, 1],
    [3, 0, Infinity],
    [0, 4, 0],
  ])('%d / %d = %d', (c, p, r) => {
    expect(medianRatio(c, p)).toBe(r);
  });
});

const m = (name: string, classification: MetricJudgement['classification']): MetricJudgement => ({
  name,
  classification,
  canarySamples: 10,
  primarySamples: 10,
  message: `${name} ${classification}`,
});

describe('judge: score and verdict', () => {
  it.each<[string, MetricJudgement['classification'][], number | undefined, string]>([
    ['every metric passes', ['Pass', 'Pass'], 100, 'Pass'],
    ['one of four High', ['Pass', 'Pass', 'Pass', 'High'], 75, 'Marginal'],
    ['one of two Low', ['Pass', 'Low'], 50, 'Fail'],
    ['one of three NoData: left out of the score', ['Pass', 'Pass', 'NoData'], 100, 'Pass'],
    ['no metric with data', ['NoData', 'NoData'], undefined, 'NoData'],
  ])('given %s, then score %s and verdict %s', (_what, classes, score, verdict) => {
    const j = judge(
      { pass: 95, marginal: 75 },
      classes.map((c, i) => m(`m${i}`, c)),
    );
    expect(j.score).toBe(score);
    expect(j.verdict).toBe(verdict);
  });
});

describe('judgementCheck', () => {
  const of = (verdictOf: MetricJudgement['classification'][]) =>
    judge(
      { pass: 95, marginal: 50 },
      verdictOf.map((c, i) => m(`m${i}`, c)),
    );

  it.each<[string, MetricJudgement['classification'][], 'fail' | 'halt' | 'ignore' | undefined, object]>([
    ['Pass', ['Pass'], undefined, { ok: true, reason: 'JudgePass', value: 100, min: 95 }],
    ['Marginal holds the step', ['Pass', 'High'], undefined, { ok: false, halt: true, reason: 'JudgeMarginal', value: 50 }],
    ['Fail counts', ['High'], undefined, { ok: false, reason: 'JudgeFail', value: 0 }],
    ['NoData fails by default', ['NoData'], undefined, { ok: false, reason: 'NoData' }],
    ['NoData with onNoData halt holds', ['NoData'], 'halt', { ok: false, halt: true, reason: 'NoData' }],
    ['NoData with onNoData ignore passes', ['NoData'], 'ignore', { ok: true, reason: 'NoDataIgnored' }],
  ])('%s', (_what, classes, onNoData, expected) => {
    const c = judgementCheck(of(classes), onNoData);
    expect(c).toMatchObject({ name: 'judge', ...expected });
    if (!('halt' in expected)) expect(c.halt).toBeUndefined();
  });

  it('explains the verdict: the score, the thresholds and every metric', () => {
    expect(judgementText(of(['Pass', 'High']))).toBe('judge score 50 (Marginal: pass >= 95, marginal >= 50): m0 Pass; m1 High');
    expect(judgementText(of(['NoData']))).toBe('judge: no metric has enough data: m0 NoData');
  });
});
