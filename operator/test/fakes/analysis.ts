import type { ResolvedAnalysis } from '../../src/core/analysis.js';

/** Flagger's defaults as the operator resolves an empty analysis on a provider that splits traffic (analysis.test.ts checks it). */
export const DEFAULT_ANALYSIS: ResolvedAnalysis = {
  intervalMs: 60_000,
  threshold: 1,
  maxWeight: 100,
  stepWeight: 0,
  stepWeights: [],
  stepPausesMs: [],
  stepWeightPromotion: 0,
  iterations: 0,
  strategy: 'canary',
  split: true,
  replicaRatio: false,
  match: [],
  mirror: false,
  sessionAffinity: false,
  primaryReadyThreshold: 100,
  canaryReadyThreshold: 100,
  progressDeadlineMs: 600_000,
  skipAnalysis: false,
};

/** The defaults with changes. */
export const analysisWith = (a: Partial<ResolvedAnalysis>): ResolvedAnalysis => ({ ...DEFAULT_ANALYSIS, ...a });
