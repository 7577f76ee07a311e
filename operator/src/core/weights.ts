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
