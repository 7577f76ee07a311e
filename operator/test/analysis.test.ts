import { DurationError } from '../src/api/duration.js';
import type { CanaryAnalysis, CanarySpec } from '../src/api/types.js';
import { analysisOf, DEFAULT_INTERVAL_MS, resolveAnalysis, strategyOf, type ResolvedAnalysis } from '../src/core/analysis.js';
import { DEFAULT_ANALYSIS } from './fakes/analysis.js';

const spec = (analysis: CanaryAnalysis | undefined, extra: Partial<CanarySpec> = {}): CanarySpec => ({
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
  service: { port: 9898 },
  ...(analysis ? { analysis } : {}),
  ...extra,
});

const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];

describe('resolveAnalysis defaults', () => {
  it('given an empty analysis on istio, then every Flagger default applies', () => {
    expect(resolveAnalysis(spec({}), 'istio')).toEqual<ResolvedAnalysis>(DEFAULT_ANALYSIS);
    expect(DEFAULT_INTERVAL_MS).toBe(60_000);
  });

  it('given no analysis at all, then the defaults apply as for an empty one', () => {
    expect(resolveAnalysis(spec(undefined), 'istio')).toEqual(resolveAnalysis(spec({}), 'istio'));
  });

  it('given every field set, then each is taken as written', () => {
    const r = resolveAnalysis(
      spec(
        {
          interval: '1m30s',
          threshold: 5,
          maxWeight: 60,
          stepWeight: 15,
          stepWeightPromotion: 25,
          mirror: true,
          sessionAffinity: { cookieName: 'canary' },
          primaryReadyThreshold: 80,
          canaryReadyThreshold: 50,
        },
        { progressDeadlineSeconds: 120, skipAnalysis: true },
      ),
      'istio',
    );
    expect(r).toEqual<ResolvedAnalysis>({
      intervalMs: 90_000,
      threshold: 5,
      maxWeight: 60,
      stepWeight: 15,
      stepWeights: [],
      stepPausesMs: [],
      stepWeightPromotion: 25,
      iterations: 0,
      strategy: 'canary',
      split: true,
      replicaRatio: false,
      match: [],
      mirror: true,
      sessionAffinity: true,
      primaryReadyThreshold: 80,
      canaryReadyThreshold: 50,
      progressDeadlineMs: 120_000,
      skipAnalysis: true,
    });
  });

  it.each([
    [undefined, 1],
    [0, 1],
    [-3, 1],
    [1, 1],
    [7, 7],
  ])('given threshold %p, then the resolved threshold is %p', (threshold, expected) => {
    expect(resolveAnalysis(spec({ stepWeight: 10, ...(threshold !== undefined ? { threshold } : {}) }), 'istio').threshold).toBe(expected);
  });

  it.each([
    ['10s', 10_000],
    ['', 60_000],
    ['2m', 120_000],
  ])('given interval %p, then intervalMs is %p', (interval, ms) => {
    expect(resolveAnalysis(spec({ interval, stepWeight: 10 }), 'istio').intervalMs).toBe(ms);
  });

  it('given an unparsable interval, then it throws a DurationError', () => {
    expect(() => resolveAnalysis(spec({ interval: 'one minute', stepWeight: 10 }), 'istio')).toThrow(DurationError);
  });
});

describe('resolveAnalysis weights', () => {
  it('given stepWeights without stepWeight, then maxWeight is the last entry and the list is kept', () => {
    const r = resolveAnalysis(spec({ stepWeights: [1, 5, 10, 40] }), 'istio');
    expect(r).toMatchObject({ maxWeight: 40, stepWeights: [1, 5, 10, 40], stepWeight: 0 });
  });

  it('given stepWeights and a maxWeight, then the last entry wins over maxWeight', () => {
    expect(resolveAnalysis(spec({ stepWeights: [10, 30], maxWeight: 80 }), 'istio').maxWeight).toBe(30);
  });

  it('given stepWeights and a stepWeight, then stepWeight wins (as in Flagger) and stepWeights is ignored', () => {
    const r = resolveAnalysis(spec({ stepWeight: 20, stepWeights: [10, 30], maxWeight: 80 }), 'istio');
    expect(r).toMatchObject({ stepWeight: 20, stepWeights: [], maxWeight: 80 });
  });

  it('given an empty stepWeights list, then maxWeight falls back to 100', () => {
    expect(resolveAnalysis(spec({ stepWeights: [] }), 'istio')).toMatchObject({ maxWeight: 100, stepWeights: [] });
  });
});

describe('resolveAnalysis strategy per provider', () => {
  it.each<[string, CanaryAnalysis, string, Partial<ResolvedAnalysis>]>([
    ['a weighted canary on istio', { stepWeight: 10 }, 'istio', { strategy: 'canary', iterations: 0 }],
    ['a weighted canary on kubernetes', { stepWeight: 10 }, 'kubernetes', { strategy: 'canary', iterations: 0, replicaRatio: true }],
    ['a stepWeights canary on kubernetes', { stepWeights: [10, 50] }, 'kubernetes', { strategy: 'canary', replicaRatio: true }],
    ['a steps canary on kubernetes', { steps: [{ weight: 30 }] }, 'kubernetes', { strategy: 'canary', replicaRatio: true }],
    ['a weighted canary on istio', { stepWeight: 10 }, 'istio', { replicaRatio: false }],
    ['an analysis without steps on kubernetes', {}, 'kubernetes', { strategy: 'blue-green', iterations: 10, replicaRatio: false }],
    ['iterations 0 on kubernetes', { iterations: 0 }, 'kubernetes', { strategy: 'blue-green', iterations: 10 }],
    ['blue-green with 3 iterations on kubernetes', { iterations: 3 }, 'kubernetes', { strategy: 'blue-green', iterations: 3 }],
    ['blue-green with 4 iterations on istio', { iterations: 4 }, 'istio', { strategy: 'blue-green', iterations: 4 }],
    ['A/B testing on istio', { iterations: 5, match }, 'istio', { strategy: 'ab-testing', iterations: 5 }],
    ['A/B testing on kubernetes', { iterations: 5, match }, 'kubernetes', { strategy: 'ab-testing', iterations: 5 }],
    ['match without iterations on istio', { stepWeight: 10, match }, 'istio', { strategy: 'canary', iterations: 0 }],
  ])('given %s, then it resolves to %p', (_title, analysis, provider, expected) => {
    expect(resolveAnalysis(spec(analysis), provider)).toMatchObject(expected);
  });
});

describe('resolveAnalysis of a DaemonSet on kubernetes', () => {
  it('given a weighted canary, then it runs as blue/green: a DaemonSet has no replicas to share', () => {
    const ds = { ...spec({ stepWeight: 10 }), targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } };
    expect(resolveAnalysis(ds, 'kubernetes')).toMatchObject({ strategy: 'blue-green', iterations: 10, replicaRatio: false });
  });
});

describe('strategyOf', () => {
  it.each<[CanaryAnalysis, string]>([
    [{}, 'canary'],
    [{ stepWeight: 10 }, 'canary'],
    [{ iterations: 0, match }, 'canary'],
    [{ iterations: 1 }, 'blue-green'],
    [{ iterations: 3, match: [] }, 'blue-green'],
    [{ iterations: 3, match }, 'ab-testing'],
  ])('given %j, then the strategy is %p', (analysis, strategy) => {
    expect(strategyOf(analysis)).toBe(strategy);
  });
});

describe('analysisOf and the deprecated canaryAnalysis alias', () => {
  it('given only canaryAnalysis, then it is used', () => {
    const s = spec(undefined, { canaryAnalysis: { interval: '15s', stepWeight: 5, threshold: 3 } });
    expect(analysisOf(s)).toEqual({ interval: '15s', stepWeight: 5, threshold: 3 });
    expect(resolveAnalysis(s, 'istio')).toMatchObject({ intervalMs: 15_000, stepWeight: 5, threshold: 3 });
  });

  it('given both analysis and canaryAnalysis, then analysis wins', () => {
    const s = spec({ stepWeight: 20 }, { canaryAnalysis: { stepWeight: 5 } });
    expect(resolveAnalysis(s, 'istio').stepWeight).toBe(20);
  });

  it('given neither, then analysisOf is an empty object', () => {
    expect(analysisOf(spec(undefined))).toEqual({});
  });
});

describe('resolveAnalysis with maxWeight 0', () => {
  it('given maxWeight 0, then it is read as unset (100), as in Flagger, so nothing is promoted at 0% traffic', () => {
    expect(resolveAnalysis(spec({ stepWeight: 10, maxWeight: 0 }), 'istio').maxWeight).toBe(100);
  });
});

describe('resolveAnalysis for a target that splits traffic by its pods (in place)', () => {
  it('keeps a weighted canary on kubernetes weighted, where a primary copy runs blue/green', () => {
    const s = { targetRef: { kind: 'StatefulSet', name: 'db' }, service: { port: 80 }, analysis: { stepWeight: 25 } } as CanarySpec;
    expect(resolveAnalysis(s, 'kubernetes')).toMatchObject({ strategy: 'blue-green', split: false, iterations: 10 });
    expect(resolveAnalysis(s, 'kubernetes', true)).toMatchObject({ strategy: 'canary', split: true, iterations: 0, stepWeight: 25 });
  });
});
