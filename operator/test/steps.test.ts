import type { CheckResult } from '../src/api/types.js';
import type { ResolvedAnalysis } from '../src/core/analysis.js';
import { decideStep, type RunState, type StepOutcome } from '../src/core/steps.js';
import { analysisWith } from './fakes/analysis.js';

const analysis = analysisWith;
const state = (s: Partial<RunState> = {}): RunState => ({ canaryWeight: 0, failedChecks: 0, iterations: 0, mirrored: false, ...s });

const pass: CheckResult = { name: 'request-success-rate', ok: true, value: 100, min: 99 };
const fail: CheckResult = {
  name: 'request-duration',
  ok: false,
  value: 900,
  max: 500,
  reason: 'AboveMax',
  message: 'request-duration 900 > 500',
};
const fail2: CheckResult = { name: 'errors', ok: false, reason: 'NoData', message: 'no data' };

describe('decideStep on failed checks', () => {
  it.each<[string, number, number, StepOutcome['kind'], number]>([
    ['the first failure below a threshold of 3', 3, 0, 'failed-check', 1],
    ['the second failure below a threshold of 3', 3, 1, 'failed-check', 2],
    ['the failure that reaches a threshold of 3', 3, 2, 'rollback', 3],
    ['a failure past the threshold', 3, 5, 'rollback', 6],
    ['the first failure with threshold 1', 1, 0, 'rollback', 1],
  ])('given %s, then the outcome is %p with failedChecks %p', (_title, threshold, failedChecks, kind, count) => {
    const out = decideStep(analysis({ threshold, stepWeight: 10 }), state({ failedChecks, canaryWeight: 20 }), [pass, fail]);
    expect(out).toEqual({ kind, failedChecks: count, failed: [fail] });
  });

  it('given several failed checks in one step, then they count as one failure and all are reported', () => {
    const out = decideStep(analysis({ threshold: 5, stepWeight: 10 }), state(), [fail, pass, fail2]);
    expect(out).toEqual({ kind: 'failed-check', failedChecks: 1, failed: [fail, fail2] });
  });

  it.each<ResolvedAnalysis['strategy']>(['canary', 'blue-green', 'ab-testing'])(
    'given the %s strategy, then a failure never advances',
    (strategy) => {
      const out = decideStep(analysis({ strategy, threshold: 2, stepWeight: 10, iterations: 3 }), state({ iterations: 5 }), [fail]);
      expect(out.kind).toBe('failed-check');
    },
  );

  it('given no checks at all, then the step passes', () => {
    expect(decideStep(analysis({ stepWeight: 10 }), state(), [])).toEqual({ kind: 'advance', canaryWeight: 10, mirrored: false });
  });
});

describe('decideStep for the canary strategy', () => {
  it.each<[string, Partial<ResolvedAnalysis>, Partial<RunState>, StepOutcome]>([
    ['the first step', { stepWeight: 25, maxWeight: 50 }, { canaryWeight: 0 }, { kind: 'advance', canaryWeight: 25, mirrored: false }],
    ['a middle step', { stepWeight: 25, maxWeight: 50 }, { canaryWeight: 25 }, { kind: 'advance', canaryWeight: 50, mirrored: false }],
    ['the step at maxWeight', { stepWeight: 25, maxWeight: 50 }, { canaryWeight: 50 }, { kind: 'promote', canaryWeight: 50 }],
    [
      'a step that would pass maxWeight',
      { stepWeight: 20, maxWeight: 50 },
      { canaryWeight: 40 },
      { kind: 'advance', canaryWeight: 50, mirrored: false },
    ],
    [
      'stepWeights',
      { stepWeights: [5, 20, 60], maxWeight: 60 },
      { canaryWeight: 5 },
      { kind: 'advance', canaryWeight: 20, mirrored: false },
    ],
    [
      'the last stepWeights entry',
      { stepWeights: [5, 20, 60], maxWeight: 60 },
      { canaryWeight: 60 },
      { kind: 'promote', canaryWeight: 60 },
    ],
  ])('given %s, then %j', (_title, a, s, outcome) => {
    expect(decideStep(analysis(a), state(s), [pass])).toEqual(outcome);
  });

  it('given mirror on and no traffic yet, then the first step mirrors without shifting traffic', () => {
    const a = analysis({ stepWeight: 25, maxWeight: 50, mirror: true });
    expect(decideStep(a, state(), [pass])).toEqual({ kind: 'advance', canaryWeight: 0, mirrored: true });
  });

  it('given mirror on and the mirror step done, then the next step shifts traffic and stops mirroring', () => {
    const a = analysis({ stepWeight: 25, maxWeight: 50, mirror: true });
    expect(decideStep(a, state({ mirrored: true }), [pass])).toEqual({ kind: 'advance', canaryWeight: 25, mirrored: false });
  });

  it('given mirror on and traffic already shifted, then no second mirror step happens', () => {
    const a = analysis({ stepWeight: 25, maxWeight: 50, mirror: true });
    expect(decideStep(a, state({ canaryWeight: 25 }), [pass])).toEqual({ kind: 'advance', canaryWeight: 50, mirrored: false });
  });

  it('given a whole run of passing steps, then the weights follow the plan and end in promotion with traffic kept', () => {
    const a = analysis({ stepWeight: 30, maxWeight: 100, mirror: true });
    let s = state();
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const out = decideStep(a, s, [pass]);
      if (out.kind === 'promote') {
        seen.push(`promote@${out.canaryWeight}`);
        break;
      }
      if (out.kind !== 'advance') throw new Error(`unexpected ${out.kind}`);
      seen.push(out.mirrored ? 'mirror' : String(out.canaryWeight));
      s = { ...s, canaryWeight: out.canaryWeight, mirrored: s.mirrored || out.mirrored, iterations: s.iterations + 1 };
    }
    expect(seen).toEqual(['mirror', '30', '60', '90', '100', 'promote@100']);
  });
});

describe('decideStep for blue-green', () => {
  it.each<[number, number, boolean, boolean, StepOutcome]>([
    [3, 0, false, true, { kind: 'advance', canaryWeight: 0, mirrored: false }],
    [3, 2, false, true, { kind: 'advance', canaryWeight: 0, mirrored: false }],
    [3, 2, true, true, { kind: 'advance', canaryWeight: 0, mirrored: true }],
    [3, 3, false, true, { kind: 'promote', canaryWeight: 100 }],
    [3, 3, false, false, { kind: 'promote', canaryWeight: 0 }],
    [3, 7, false, true, { kind: 'promote', canaryWeight: 100 }],
    [0, 0, false, true, { kind: 'advance', canaryWeight: 0, mirrored: false }],
    [0, 1, false, true, { kind: 'promote', canaryWeight: 100 }],
  ])('given %p iterations, %p done, mirror %p and split %p, then %j', (iterations, done, mirror, canSwitch, outcome) => {
    const a = analysis({ strategy: 'blue-green', iterations, mirror, split: canSwitch });
    expect(decideStep(a, state({ iterations: done }), [pass])).toEqual(outcome);
  });
});

describe('decideStep for A/B testing', () => {
  it.each<[number, number, StepOutcome]>([
    [2, 0, { kind: 'advance', canaryWeight: 100, mirrored: false }],
    [2, 1, { kind: 'advance', canaryWeight: 100, mirrored: false }],
    [2, 2, { kind: 'promote', canaryWeight: 100 }],
    [2, 9, { kind: 'promote', canaryWeight: 100 }],
  ])('given %p iterations with %p done, then %j', (iterations, done, outcome) => {
    const a = analysis({ strategy: 'ab-testing', iterations, mirror: true });
    expect(decideStep(a, state({ iterations: done }), [pass])).toEqual(outcome);
  });
});

describe('decideStep with onNoData: halt', () => {
  const halted: CheckResult = { name: 'latency', ok: false, halt: true, reason: 'NoData', message: 'latency: no data' };
  const a = analysis({ strategy: 'canary', stepWeight: 10, maxWeight: 50, threshold: 2 });

  it('given only halted checks, then the step holds: nothing moves and nothing is counted', () => {
    expect(decideStep(a, { canaryWeight: 10, failedChecks: 1, iterations: 2, mirrored: false }, [halted])).toEqual({
      kind: 'hold',
      halted: [halted],
    });
  });

  it('given a halted and a hard failure, then the hard failure counts', () => {
    const hard: CheckResult = { name: 'rate', ok: false, reason: 'BelowMin' };
    expect(decideStep(a, { canaryWeight: 10, failedChecks: 0, iterations: 2, mirrored: false }, [halted, hard])).toEqual({
      kind: 'failed-check',
      failedChecks: 1,
      failed: [hard],
    });
  });
});

describe('decideStep with dry-run metrics', () => {
  const a = analysis({ strategy: 'canary', stepWeight: 10, maxWeight: 50, threshold: 1 });
  const state = { canaryWeight: 10, failedChecks: 0, iterations: 2, mirrored: false };
  const dryFail: CheckResult = { name: 'p99', ok: false, dryRun: true, reason: 'AboveMax', message: 'p99 900 > 500' };
  const dryHeld: CheckResult = { name: 'p50', ok: false, dryRun: true, halt: true, reason: 'NoData' };
  const hard: CheckResult = { name: 'rate', ok: false, reason: 'BelowMin' };

  it('given only failing dry-run checks at threshold 1, then the canary advances: nothing counted, nothing held', () => {
    expect(decideStep(a, state, [dryFail, dryHeld, { name: 'rate', ok: true, value: 100 }])).toEqual({
      kind: 'advance',
      canaryWeight: 20,
      mirrored: false,
    });
  });

  it('given a failing dry-run check and a real failure, then only the real one is counted and named', () => {
    expect(decideStep(a, state, [dryFail, hard])).toEqual({ kind: 'rollback', failedChecks: 1, failed: [hard] });
  });
});
