import type { ReadyTurn } from './turn.js';

/** What a turn waiting for a workload's rollout tells, and when it must look again to refresh a progress kept stale. */
export interface WaitProgress {
  detail: string;
  /** Set when an older progress was kept: the turn requeues by then so the told progress is at most an interval old. */
  refreshInMs?: number;
}

/** The detail prefix of a wait for workload: a told detail with it is a wait for the same workload. */
export const waitingFor = (workload: string): string => `waiting for ${workload}: `;

/**
 * The progress of a wait for workload's rollout ("waiting for podinfo: 1 of 3 replicas available"), written at most
 * once per analysis interval (issue 17: a status write only when a user reads something new, and a rollout's count
 * moves with every pod). While the told detail is a wait for the same workload, or the opening that started the wait
 * (the run's start, the promotion), written less than an interval ago, it is kept, so the turn writes no status;
 * Flagger, which reconciles once per interval, refreshes its message as often. A wait that ends, a failure (the
 * caller's Event) or another phase's detail is written at once.
 */
export function waitProgress(turn: ReadyTurn, workload: string, reason: string, opening?: string): WaitProgress {
  const detail = `${waitingFor(workload)}${reason}`;
  const told = turn.toldDetail;
  if (told === undefined || told === detail) return { detail };
  if (told !== opening && !told.startsWith(waitingFor(workload))) return { detail };
  const written = Date.parse(turn.canary.status?.lastTransitionTime ?? '');
  const refreshInMs = written + turn.analysis.intervalMs - turn.now;
  if (Number.isNaN(written) || !(refreshInMs > 0)) return { detail };
  return { detail: told, refreshInMs };
}
