import type { CheckResult } from '../api/types.js';
import type { ResolvedAnalysis } from './analysis.js';
import { checksWith } from './checks.js';
import { nextCanaryWeight } from './weights.js';

/** Where a run stands, as recorded in the Canary status. */
export interface RunState {
  canaryWeight: number;
  failedChecks: number;
  /** Analysis steps completed in this run; the first step (pre-rollout) runs no metric checks. */
  iterations: number;
  mirrored: boolean;
  /** Time spent at the current weight. */
  stepAgeMs?: number;
}

export type StepOutcome =
  | { kind: 'hold'; halted: CheckResult[] }
  | { kind: 'pause'; remainingMs: number }
  | { kind: 'advance'; canaryWeight: number; mirrored: boolean }
  | { kind: 'promote'; canaryWeight: number }
  | { kind: 'failed-check'; failedChecks: number; failed: CheckResult[] }
  | { kind: 'rollback'; failedChecks: number; failed: CheckResult[] };

/**
 * Decides one analysis step. Dry-run checks are ignored here (verdictOf). A failed check counts towards the threshold (failures accumulate over the
 * run, as in Flagger) and rolls back when it reaches it. Otherwise traffic moves on:
 * - canary: by stepWeight or the next stepWeights entry, after an optional mirror-only step; at the
 *   last step the canary is promoted with its traffic kept until the primary is rolled out;
 * - blue-green: no live traffic (optionally mirrored) for `iterations` checked steps, then promotion
 *   with all traffic switched to the canary when the provider splits traffic (a.split);
 * - ab-testing: matched requests go to the canary for `iterations` checked steps, then promotion.
 */
export function decideStep(a: ResolvedAnalysis, s: RunState, checks: CheckResult[]): StepOutcome {
  const failed = checksWith(checks, 'failed');
  if (failed.length > 0) {
    const failedChecks = s.failedChecks + 1;
    return failedChecks >= a.threshold ? { kind: 'rollback', failedChecks, failed } : { kind: 'failed-check', failedChecks, failed };
  }
  const halted = checksWith(checks, 'held');
  if (halted.length > 0) return { kind: 'hold', halted };
  switch (a.strategy) {
    case 'canary':
      return canaryStep(a, s);
    case 'blue-green':
      if (s.iterations >= Math.max(1, a.iterations)) return { kind: 'promote', canaryWeight: a.split ? 100 : 0 };
      return { kind: 'advance', canaryWeight: 0, mirrored: a.mirror };
    case 'ab-testing':
      if (s.iterations >= Math.max(1, a.iterations)) return { kind: 'promote', canaryWeight: 100 };
      return { kind: 'advance', canaryWeight: 100, mirrored: false };
  }
}

function canaryStep(a: ResolvedAnalysis, s: RunState): StepOutcome {
  if (a.mirror && s.canaryWeight === 0 && !s.mirrored) return { kind: 'advance', canaryWeight: 0, mirrored: true };
  const pause = a.stepPausesMs[a.stepWeights.indexOf(s.canaryWeight)] ?? 0;
  if (s.canaryWeight > 0 && pause > (s.stepAgeMs ?? 0)) return { kind: 'pause', remainingMs: pause - (s.stepAgeMs ?? 0) };
  const next = nextCanaryWeight(a, s.canaryWeight);
  return next === 'promote' ? { kind: 'promote', canaryWeight: s.canaryWeight } : { kind: 'advance', canaryWeight: next, mirrored: false };
}
