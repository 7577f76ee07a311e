import { untilTick } from '../../core/schedule.js';
import { alert, event, stepEvent, type Transition } from '../transition.js';
import { readinessOf } from '../pod-report.js';
import type { ReadyTurn } from '../turn.js';
import { waitProgress } from '../wait-progress.js';
import { runStartStatus } from './idle.js';
import { promotionDetail } from './progressing.js';

/**
 * Promoting: the primary rolls out the analysed revision while the canary keeps its share of traffic;
 * once the primary is ready, traffic returns to it (at once, or stepWeightPromotion per interval).
 */
export function promoting(turn: ReadyTurn): Transition {
  const analysed = turn.status.lastAppliedSpec;
  if (turn.target.primaryRevision(turn.canary) !== analysed) {
    if (turn.info.revision !== analysed) return restart(turn);
    return { promote: true };
  }
  const ready = readinessOf(turn, 'primary');
  if (!ready.ready) return awaitPrimary(turn, ready.reason, ready.fatal);
  const weight = turn.status.canaryWeight ?? 0;
  const step = turn.analysis.strategy === 'canary' ? turn.analysis.stepWeightPromotion : 0;
  let stepped = {};
  if (step > 0 && weight > 0) {
    const dueIn = untilTick(turn.schedule, turn.status.lastAnalysisTime, turn.now);
    if (dueIn > 0) return { requeueAfterMs: dueIn };
    const canaryWeight = Math.max(0, weight - step);
    stepped = { lastAnalysisTime: new Date(turn.now).toISOString() };
    if (canaryWeight > 0) {
      return {
        status: { ...stepped, canaryWeight },
        detail: `moving traffic back to ${turn.info.primaryName}: canary weight ${canaryWeight}`,
        events: stepEvent(turn.deps.eventsPerStep, 'Normal', 'Promoting', `Promotion step: canary weight ${canaryWeight}`),
        requeueAfterMs: turn.nextTickIn(),
      };
    }
  }
  return {
    status: { ...stepped, phase: 'Finalising', canaryWeight: 0, mirrored: false },
    detail: `routing all traffic to ${turn.info.primaryName}`,
    events: [event('Normal', 'Finalising', `${turn.info.primaryName} runs revision ${analysed}: routing all traffic to it`)],
    requeueAfterMs: 0,
  };
}

/** The target changed while its previous revision was being promoted: analyse the new one from scratch. */
function restart(turn: ReadyTurn): Transition {
  const previous = turn.status.lastAppliedSpec;
  return {
    status: runStartStatus(turn),
    events: [
      event('Warning', 'NewRevision', `Revision ${turn.info.revision} replaced ${previous} before its promotion: restarting the analysis`),
    ],
    requeueAfterMs: turn.nextTickIn(),
  };
}

/** A primary that does not become ready leaves traffic on the canary (same revision) and fails the run. */
function awaitPrimary(turn: ReadyTurn, reason: string, fatal: boolean): Transition {
  const since = Date.parse(turn.status.lastAnalysisTime ?? '') || turn.now;
  const deadline = since + turn.analysis.progressDeadlineMs;
  if (fatal || turn.now > deadline) {
    const detail = `promotion failed: ${turn.info.primaryName} not ready (${reason}); traffic stays on ${turn.info.name}`;
    return {
      status: { phase: 'Failed', canaryWeight: 100, mirrored: false },
      detail,
      events: [event('Warning', 'PromotionFailed', detail)],
      alerts: [alert('PromotionFailed', { detail })],
      outcome: 'failed',
    };
  }
  const analysed = turn.status.lastAppliedSpec ?? turn.info.revision;
  const { detail, refreshInMs } = waitProgress(turn, turn.info.primaryName, reason, promotionDetail(turn, analysed));
  return { detail, requeueAfterMs: Math.min(turn.analysis.intervalMs, deadline - turn.now + 1, refreshInMs ?? Infinity) };
}

/** Finalising: traffic is on the primary (the committer moved it); scale the canary down and finish. */
export async function finalising(turn: ReadyTurn): Promise<Transition> {
  await turn.target.scaleCanary(turn.canary, false, turn.signal);
  const promoted = turn.status.lastAppliedSpec;
  return {
    status: {
      phase: 'Succeeded',
      canaryWeight: 0,
      mirrored: false,
      lastPromotedSpec: promoted,
      promotedControllerRevision: turn.info.controllerRevisions?.update,
    },
    detail: `revision ${promoted} promoted`,
    events: [event('Normal', 'Succeeded', `Promotion completed: ${turn.info.primaryName} serves revision ${promoted}`)],
    alerts: [alert(turn.analysis.skipAnalysis ? 'AnalysisSkipped' : 'Succeeded')],
    outcome: 'succeeded',
    postRollout: true,
  };
}
