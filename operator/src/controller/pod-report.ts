import { describeProblems, type PodProblem } from '../core/pods.js';
import type { Readiness } from '../targets/target.js';
import type { ReadyTurn } from './turn.js';

/**
 * Readiness of the canary's or the primary's pods with, when they are not ready, why: the pods that do not serve,
 * worst first, with the kubelet's or scheduler's reason (CrashLoopBackOff, OOMKilled, ImagePullBackOff,
 * Unschedulable, failing readiness), read from the Pods cache.
 */
export function readinessOf(turn: ReadyTurn, of: 'canary' | 'primary'): Readiness & { problems?: PodProblem[] } {
  const ready =
    of === 'canary'
      ? turn.target.canaryReadiness(turn.canary, turn.analysis.canaryReadyThreshold)
      : turn.target.primaryReadiness(turn.canary, turn.analysis.primaryReadyThreshold);
  if (ready.ready) return ready;
  const problems = turn.target.podProblems(turn.canary, of);
  const pods = describeProblems(problems);
  return pods ? { ...ready, reason: `${ready.reason}; ${pods}`, problems } : ready;
}
