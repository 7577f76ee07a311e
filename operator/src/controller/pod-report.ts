import { describeProblems } from '../core/pods.js';
import type { Readiness } from '../targets/target.js';
import type { ReadyTurn } from './turn.js';

/**
 * Readiness of the canary's or the primary's pods with, when they are not ready, why: the pods that do not serve,
 * worst first, with the kubelet's or scheduler's reason (CrashLoopBackOff, OOMKilled, ImagePullBackOff,
 * Unschedulable, failing readiness). A Pods cache that cannot be read (RBAC) leaves the reason as it was, logged.
 */
export async function readinessOf(turn: ReadyTurn, of: 'canary' | 'primary'): Promise<Readiness> {
  const ready =
    of === 'canary'
      ? turn.target.canaryReadiness(turn.canary, turn.analysis.canaryReadyThreshold)
      : turn.target.primaryReadiness(turn.canary, turn.analysis.primaryReadyThreshold);
  if (ready.ready) return ready;
  try {
    const pods = describeProblems(await turn.target.podProblems(turn.canary, of));
    return pods ? { ...ready, reason: `${ready.reason}; ${pods}` } : ready;
  } catch (err) {
    turn.log.warn({ err, of }, 'cannot read the pods to tell why they are not ready');
    return ready;
  }
}
