import type { CanaryAnalysis } from '../src/api/types.js';
import { resolveAnalysis, type ResolvedAnalysis } from '../src/core/analysis.js';
import { nextCanaryWeight } from '../src/core/weights.js';
import { analysisWith } from './fakes/analysis.js';

const analysis = analysisWith;
const resolved = (a: CanaryAnalysis): ResolvedAnalysis =>
  resolveAnalysis({ targetRef: { kind: 'Deployment', name: 'podinfo' }, service: { port: 80 }, analysis: a }, 'istio');

describe('nextCanaryWeight with stepWeight', () => {
  it.each<[Partial<ResolvedAnalysis>, number, number | 'promote']>([
    [{ stepWeight: 10, maxWeight: 50 }, 0, 10],
    [{ stepWeight: 10, maxWeight: 50 }, 10, 20],
    [{ stepWeight: 10, maxWeight: 50 }, 40, 50],
    [{ stepWeight: 10, maxWeight: 50 }, 50, 'promote'],
    [{ stepWeight: 10, maxWeight: 50 }, 60, 'promote'],
    [{ stepWeight: 20, maxWeight: 50 }, 40, 50],
    [{ stepWeight: 30, maxWeight: 100 }, 90, 100],
    [{ stepWeight: 30, maxWeight: 100 }, 100, 'promote'],
    [{ stepWeight: 60, maxWeight: 150 }, 60, 100],
    [{ stepWeight: 0, maxWeight: 50 }, 0, 'promote'],
    [{ stepWeight: -5, maxWeight: 50 }, 0, 'promote'],
  ])('given %j at weight %p, then the next weight is %p', (a, current, next) => {
    expect(nextCanaryWeight(analysis(a), current)).toBe(next);
  });
});

describe('nextCanaryWeight with stepWeights', () => {
  const a = analysis({ stepWeights: [1, 5, 10, 25, 50], maxWeight: 50 });

  it.each<[number, number | 'promote']>([
    [0, 1],
    [1, 5],
    [3, 5],
    [5, 10],
    [25, 50],
    [50, 'promote'],
    [70, 'promote'],
  ])('given weight %p, then the next weight is %p', (current, next) => {
    expect(nextCanaryWeight(a, current)).toBe(next);
  });

  it('given both stepWeights and a stepWeight in the resolved analysis, then stepWeights is followed', () => {
    expect(nextCanaryWeight(analysis({ stepWeight: 40, stepWeights: [5, 10] }), 5)).toBe(10);
  });
});

/** Every weight the canary strategy passes through: nextCanaryWeight from 0 until it says promote. */
function canaryWeightPlan(a: ResolvedAnalysis): number[] {
  const plan: number[] = [];
  for (let next = nextCanaryWeight(a, 0); next !== 'promote'; next = nextCanaryWeight(a, next)) plan.push(next);
  return plan;
}

describe('the weights nextCanaryWeight passes through', () => {
  it.each<[string, CanaryAnalysis, number[]]>([
    ['stepWeight 10 up to the default maxWeight', { stepWeight: 10 }, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
    ['stepWeight 25 up to maxWeight 50', { stepWeight: 25, maxWeight: 50 }, [25, 50]],
    ['stepWeight 20 that does not divide maxWeight 50 stops at 50', { stepWeight: 20, maxWeight: 50 }, [20, 40, 50]],
    ['stepWeight 30 that does not divide 100 stops at 100', { stepWeight: 30 }, [30, 60, 90, 100]],
    ['stepWeight 60 and maxWeight 100', { stepWeight: 60 }, [60, 100]],
    ['stepWeight larger than maxWeight', { stepWeight: 80, maxWeight: 30 }, [30]],
    ['stepWeights', { stepWeights: [1, 2, 10, 80] }, [1, 2, 10, 80]],
    ['stepWeights ending at 100', { stepWeights: [50, 100] }, [50, 100]],
    ['no step at all', {}, []],
  ])('given %s, then the plan is %j', (_title, a, plan) => {
    expect(canaryWeightPlan(resolved(a))).toEqual(plan);
  });

  it('given any stepWeight and maxWeight, then the plan strictly ascends, never exceeds maxWeight and ends at it', () => {
    for (let step = 1; step <= 100; step += 7) {
      for (const max of [5, 33, 50, 99, 100]) {
        const plan = canaryWeightPlan(resolved({ stepWeight: step, maxWeight: max }));
        expect(plan.length).toBeGreaterThan(0);
        expect(plan.every((w, i) => w > (plan[i - 1] ?? 0) && w <= max)).toBe(true);
        expect(plan[plan.length - 1]).toBe(max);
      }
    }
  });
});
