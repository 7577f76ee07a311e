import { untilDue } from '../../core/steps.js';
import { runPostRollout } from '../webhook-calls.js';
import type { Run } from '../run.js';
import { startRunStatus } from './idle.js';

/**
 * Promoting: the primary rolls out the analysed revision while the canary keeps its share of traffic;
 * once the primary is ready, traffic returns to it (at once, or stepWeightPromotion per interval).
 */
export async function promoting(run: Run): Promise<number | undefined> {
  const analysed = run.status.lastAppliedSpec;
  if (run.target.primaryRevision(run.canary) !== analysed) {
    if (run.info.revision !== analysed) return restart(run);
    await run.target.promote(run.canary, run.info, run.signal);
    return undefined;
  }
  const ready = run.target.primaryReadiness(run.canary, run.a.primaryReadyThreshold);
  if (!ready.ready) return awaitPrimary(run, ready.reason, ready.fatal);
  const weight = run.status.canaryWeight ?? 0;
  const step = run.a.strategy === 'canary' ? run.a.stepWeightPromotion : 0;
  if (step > 0 && weight > 0) {
    const dueIn = untilDue(run.status.lastAnalysisTime, run.a.intervalMs, run.now);
    if (dueIn > 0) return dueIn;
    run.status.canaryWeight = Math.max(0, weight - step);
    run.status.lastAnalysisTime = new Date(run.now).toISOString();
    if (run.status.canaryWeight > 0) {
      run.detail = `moving traffic back to ${run.info.primaryName}: canary weight ${run.status.canaryWeight}`;
      await run.commit();
      run.event('Normal', 'Promoting', `Promotion step: canary weight ${run.status.canaryWeight}`);
      return run.a.intervalMs;
    }
  }
  Object.assign(run.status, { phase: 'Finalising', canaryWeight: 0, mirrored: false });
  run.detail = `routing all traffic to ${run.info.primaryName}`;
  await run.commit();
  run.event('Normal', 'Finalising', `${run.info.primaryName} runs revision ${analysed}: routing all traffic to it`);
  return 0;
}

/** The target changed while its previous revision was being promoted: analyse the new one from scratch. */
async function restart(run: Run): Promise<number> {
  const previous = run.status.lastAppliedSpec;
  startRunStatus(run);
  await run.commit();
  run.event('Warning', 'NewRevision', `Revision ${run.info.revision} replaced ${previous} before its promotion: restarting the analysis`);
  return run.a.intervalMs;
}

/** A primary that does not become ready leaves traffic on the canary (same revision) and fails the run. */
async function awaitPrimary(run: Run, reason: string, fatal: boolean): Promise<number | undefined> {
  const since = Date.parse(run.status.lastAnalysisTime ?? '') || run.now;
  if (fatal || run.now - since > run.a.progressDeadlineMs) {
    Object.assign(run.status, { phase: 'Failed', canaryWeight: 100, mirrored: false });
    run.detail = `promotion failed: ${run.info.primaryName} not ready (${reason}); traffic stays on ${run.info.name}`;
    await run.commit();
    run.event('Warning', 'PromotionFailed', run.detail);
    run.alert('PromotionFailed', { detail: run.detail });
    run.deps.metrics.observeOutcome(run.canary, 'failed');
    return undefined;
  }
  run.detail = `waiting for ${run.info.primaryName}: ${reason}`;
  await run.commit();
  return Math.min(run.a.intervalMs, since + run.a.progressDeadlineMs - run.now + 1);
}

/** Finalising: traffic is on the primary (applyDesired moved it); scale the canary down and finish. */
export async function finalising(run: Run): Promise<number | undefined> {
  await run.target.scaleCanary(run.canary, false, run.signal);
  Object.assign(run.status, {
    phase: 'Succeeded',
    canaryWeight: 0,
    mirrored: false,
    lastPromotedSpec: run.status.lastAppliedSpec,
  });
  run.detail = `revision ${run.status.lastAppliedSpec} promoted`;
  await run.commit();
  run.event('Normal', 'Succeeded', `Promotion completed: ${run.info.primaryName} serves revision ${run.status.lastAppliedSpec}`);
  run.alert(run.a.skipAnalysis ? 'AnalysisSkipped' : 'Succeeded');
  run.deps.metrics.observeOutcome(run.canary, 'succeeded');
  await runPostRollout(run);
  return undefined;
}
