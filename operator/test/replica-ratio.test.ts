import { effectiveWeight, ratioPlan, type RatioInput, type RatioPlan } from '../src/core/replica-ratio.js';

describe('ratioPlan', () => {
  const base: RatioInput = { weight: 0, total: 10, running: true, promoting: false };

  it.each<[string, Partial<RatioInput>, RatioPlan]>([
    ['10 replicas at weight 20', { weight: 20 }, { canary: 2, primary: 8 }],
    ['10 replicas at weight 50', { weight: 50 }, { canary: 5, primary: 5 }],
    ['weight 0 between runs: canary at zero, primary at full size', { weight: 0, running: false }, { canary: 0, primary: 10 }],
    ['weight 0 in a run: one canary pod outside the apex, primary at full size', { weight: 0 }, { canary: 1, primary: 10 }],
    ['weight 0 in a run: the canary HPA minimum holds', { weight: 0, canary: { min: 2 } }, { canary: 2, primary: 10 }],
    ['a weight too small for one pod still gets one', { weight: 1 }, { canary: 1, primary: 9 }],
    ['one replica: the total grows by the canary pod', { weight: 20, total: 1 }, { canary: 1, primary: 1 }],
    ['weight 100: the primary keeps one pod', { weight: 100 }, { canary: 10, primary: 1 }],
    ['rounding to the nearest pod', { weight: 25, total: 6 }, { canary: 2, primary: 4 }],
    ['the primary HPA minimum holds', { weight: 60, primary: { min: 5 } }, { canary: 6, primary: 5 }],
    ['the primary HPA maximum holds', { weight: 0, running: false, total: 12, primary: { max: 8 } }, { canary: 0, primary: 8 }],
    ['the primary HPA maximum holds while scaled down', { weight: 10, total: 12, primary: { min: 2, max: 6 } }, { canary: 1, primary: 6 }],
    ['the canary HPA minimum holds', { weight: 10, canary: { min: 3 } }, { canary: 3, primary: 7 }],
    ['the canary HPA maximum holds', { weight: 80, canary: { max: 4 } }, { canary: 4, primary: 6 }],
    ['promoting: the primary back at full size, the canary keeps its share', { weight: 40, promoting: true }, { canary: 4, primary: 10 }],
    ['the end of the release', { weight: 0, running: false, promoting: false }, { canary: 0, primary: 10 }],
    ['out-of-range weights are clamped', { weight: 140 }, { canary: 10, primary: 1 }],
    ['a negative weight is 0', { weight: -3, running: false }, { canary: 0, primary: 10 }],
    ['a total below one is one', { weight: 50, total: 0 }, { canary: 1, primary: 1 }],
  ])('%s', (_title, input, plan) => {
    expect(ratioPlan({ ...base, ...input })).toEqual(plan);
  });
});

describe('effectiveWeight', () => {
  it.each<[number, number, number]>([
    [2, 8, 20],
    [1, 2, 33],
    [0, 5, 0],
    [0, 0, 0],
    [3, 0, 100],
    [-1, 4, 0],
  ])('given %p canary and %p primary pods ready, then the weight is %p', (canary, primary, weight) => {
    expect(effectiveWeight(canary, primary)).toBe(weight);
  });
});
