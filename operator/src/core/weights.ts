import type { ResolvedAnalysis } from './analysis.js';

/**
 * The canary weight after the current one, or 'promote' when the last step has been reached.
 * Unlike Flagger, a stepWeight that does not divide maxWeight stops at maxWeight instead of passing it.
 */
export function nextCanaryWeight(a: ResolvedAnalysis, current: number): number | 'promote' {
  if (a.stepWeights.length > 0) {
    const next = a.stepWeights.find((w) => w > current);
    return next === undefined ? 'promote' : Math.min(next, 100);
  }
  if (a.stepWeight <= 0 || current >= a.maxWeight) return 'promote';
  return Math.min(current + a.stepWeight, a.maxWeight, 100);
}

/** The primary weight of the next promotion step when stepWeightPromotion moves traffic back gradually. */
export function nextPromotionWeight(a: ResolvedAnalysis, primaryWeight: number): number {
  if (a.stepWeightPromotion <= 0) return 100;
  return Math.min(100, primaryWeight + a.stepWeightPromotion);
}

/** Every weight the canary strategy will pass through, for display and tests. */
export function canaryWeightPlan(a: ResolvedAnalysis): number[] {
  const plan: number[] = [];
  let w = 0;
  for (let next = nextCanaryWeight(a, w); next !== 'promote'; next = nextCanaryWeight(a, w)) {
    plan.push(next);
    w = next;
  }
  return plan;
}
