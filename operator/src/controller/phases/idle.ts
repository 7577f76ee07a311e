import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { CanaryStatus } from '../../api/types.js';
import { affinityStatus } from '../../core/affinity.js';
import { MAX_MESSAGE } from '../../core/conditions.js';
import { placeMessage } from '../../core/queue.js';
import { isQueuedStatus, isUrgent } from '../release-queue.js';
import { runHooks } from '../webhook-calls.js';
import { discardInapplicable, handled, pendingRequest } from '../requests.js';
import { alert, event, then, type Transition } from '../transition.js';
import type { ReadyTurn } from '../turn.js';

/** What the start of a run tells (the opening of the wait for the canary). */
export const runStartDetail = (revision: string): string => `analysing revision ${revision}`;

/** Status of a fresh run of the target's current revision. */
export function runStartStatus(turn: ReadyTurn): Partial<CanaryStatus> {
  const now = new Date(turn.now).toISOString();
  return {
    phase: 'Progressing',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    mirrored: false,
    lastAppliedSpec: turn.info.revision,
    runStartTime: now,
    queuedSince: undefined,
    lastAnalysisTime: now,
    stepStartTime: now,
    lastChecks: [],
    lastJudgement: undefined,
    restoring: undefined,
    lastSLO: undefined,
    trafficStartTime: undefined,
    trackedConfigs: turn.info.configs.checksums,
    ...affinityStatus(turn.canary.spec, turn.status),
  };
}

/**
 * Initialized, Succeeded, Failed and Waiting: nothing runs until the target's revision changes. A new
 * revision passes the confirm-rollout gates (Waiting while they are closed), then a run starts.
 */
export async function idle(turn: ReadyTurn): Promise<Transition> {
  if (turn.status.restoring) {
    const restoring = await restore(turn);
    if (restoring) return restoring;
  }
  const { revision } = turn.info;
  const s = turn.status;
  const failedHere = turn.phase === 'Failed' && revision === s.lastAppliedSpec;
  return then(discardInapplicable(turn, failedHere ? ['retry'] : []), await next(turn, failedHere));
}

async function next(turn: ReadyTurn, failedHere: boolean): Promise<Transition> {
  const { revision } = turn.info;
  if (revision === turn.status.lastPromotedSpec) return promoted(turn);
  const retry = pendingRequest(turn, 'retry');
  if (failedHere && retry) {
    const retried = handled('retry', retry);
    const held = queued(turn);
    if (held) return then(retried, held);
    return then(retried, {
      status: runStartStatus(turn),
      detail: `analysing revision ${revision} again`,
      events: [event('Normal', 'Retry', `Retrying revision ${revision} (${REQUEST_ANNOTATIONS.retry}=${retry})`)],
      requeueAfterMs: turn.nextTickIn(),
    });
  }
  if (failedHere) return { detail: failedDetail(turn) };
  const gate = await runHooks(turn, 'confirm-rollout');
  if (!gate.ok) {
    const entering = turn.phase !== 'Waiting';
    return {
      status: { phase: 'Waiting', queuedSince: undefined },
      detail: `confirm-rollout gate ${gate.hook.name} is closed`,
      events: entering ? [event('Normal', 'Waiting', `Waiting for approval of revision ${revision}: ${gate.message}`)] : [],
      alerts: entering && !gate.hook.muteAlert ? [alert('WaitingApproval', { webhook: gate.hook.name })] : [],
      requeueAfterMs: turn.nextTickIn(),
    };
  }
  const held = queued(turn);
  if (held) return held;
  return {
    status: runStartStatus(turn),
    detail: runStartDetail(revision),
    events: [
      ...dequeued(turn),
      event('Normal', 'NewRevision', `New revision ${revision} detected: ${startWord(turn)} ${turn.info.name} and starting the analysis`),
    ],
    alerts: [alert('NewRevision', { target: `${turn.target.kind}/${turn.info.name}` })],
    requeueAfterMs: turn.nextTickIn(),
  };
}

/** What the start of a run does to the target: an in-place one gets no new pod before the first step. */
const startWord = (turn: ReadyTurn): string => (turn.target.model === 'in-place' ? 'holding the partition of' : 'scaling up');

/** At least this often a queued release rechecks its place (a slot freed also wakes the first in line at once). */
const QUEUE_RECHECK_MS = 30_000;

/**
 * The release queue's answer for a new revision whose gates are open: undefined when it may start (its slot is
 * reserved until the status is written), else Waiting with its place. queuedSince, written on entering the
 * queue, is the queue's order, so a restarted operator keeps it.
 */
function queued(turn: ReadyTurn): Transition | undefined {
  const queue = turn.deps.releaseQueue;
  if (!queue) return undefined;
  const since = turn.status.queuedSince ?? new Date(turn.now).toISOString();
  const answer = queue.decide({
    key: `${turn.ns}/${turn.name}`,
    namespace: turn.ns,
    since: Date.parse(since),
    urgent: isUrgent(turn.canary),
  });
  if (answer.admitted) return undefined;
  const place = placeMessage(answer.place, queue.caps);
  const entering = !isQueued(turn);
  return {
    status: { phase: 'Waiting', queuedSince: since },
    queued: true,
    detail: `revision ${turn.info.revision} is queued: ${place}`,
    events: entering ? [event('Normal', 'Queued', `Revision ${turn.info.revision} waits in the release queue: ${place}`)] : [],
    requeueAfterMs: Math.max(turn.analysis.intervalMs, QUEUE_RECHECK_MS),
  };
}

const isQueued = (turn: ReadyTurn): boolean => isQueuedStatus(turn.status);

/** The Event of a release leaving the queue for its run. */
function dequeued(turn: ReadyTurn): ReturnType<typeof event>[] {
  if (!isQueued(turn)) return [];
  const waited = Math.round((turn.now - Date.parse(turn.status.queuedSince!)) / 1000);
  return [event('Normal', 'Dequeued', `Revision ${turn.info.revision} leaves the release queue after ${waited}s: a slot is free`)];
}

/** Requeue while an in-place rollback runs: the StatefulSet controller moves pods at its own pace. */
const RESTORE_RECHECK_MS = 2000;

/**
 * After the rollback of an in-place target: one step of putting the promoted revision back (statefulset-target.ts);
 * a Transition while it goes on, undefined once done (restoring cleared, the idle decision then made as usual).
 */
async function restore(turn: ReadyTurn): Promise<Transition | undefined> {
  if (!turn.target.restore) {
    // Only in-place targets set restoring: another one has nothing to put back.
    turn.take({ status: { restoring: undefined } });
    return undefined;
  }
  const step = await turn.target.restore(turn.canary, turn.info, turn.signal);
  if (!step.done) return { detail: step.detail, requeueAfterMs: Math.min(RESTORE_RECHECK_MS, turn.analysis.intervalMs) };
  turn.take({ status: { restoring: undefined } });
  turn.event('Normal', 'RolledBack', `${turn.info.name}: ${step.detail}`);
  return undefined;
}

/** The target is back on (or still on) the promoted revision. */
function promoted(turn: ReadyTurn): Transition {
  const { revision } = turn.info;
  const detail = `revision ${revision} is promoted`;
  // An in-place rollback put the promoted revision back itself: the release stays Failed.
  if (turn.phase === 'Failed' && turn.target.model === 'in-place') return { detail: restoredDetail(turn) };
  // What the end of the run (or the initialisation) told is kept: a reconcile after it writes no status.
  if (turn.phase !== 'Failed' && turn.phase !== 'Waiting') return { detail: turn.toldDetail ?? detail };
  return {
    status: { phase: 'Succeeded', lastAppliedSpec: revision, queuedSince: undefined },
    detail,
    events: [event('Normal', 'Reverted', `target is back on the promoted revision ${revision}`)],
  };
}

/** Why the revision failed (the rollback's message, kept) and what runs now, for an in-place target rolled back. */
function restoredDetail(turn: ReadyTurn): string {
  const hint = `${turn.info.name} runs the promoted revision ${turn.info.revision} again; a change of its template starts a new run`;
  const stalled = turn.status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True')?.message;
  if (stalled && (stalled.endsWith(hint) || stalled.length >= MAX_MESSAGE - 40)) return stalled;
  const why = stalled?.startsWith('rolled back: ') ? stalled : `revision ${turn.status.lastAppliedSpec ?? '?'} was rolled back`;
  return `${why}; ${hint}`;
}

/** Why the revision failed (the rollback's own message, kept) and how to run it again. */
function failedDetail(turn: ReadyTurn): string {
  const hint = `change the target, or set the annotation ${REQUEST_ANNOTATIONS.retry} to a new value, to run it again`;
  const stalled = turn.status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True')?.message;
  // Already explained, or cut to the longest message a condition keeps: left as it is, so the status settles.
  if (stalled && (stalled.endsWith(hint) || stalled.length >= MAX_MESSAGE - 40)) return stalled;
  const why = stalled?.startsWith('rolled back: ') ? stalled : `revision ${turn.info.revision} failed its analysis`;
  return `${why}; ${hint}`;
}
