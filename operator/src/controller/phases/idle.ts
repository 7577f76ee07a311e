import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { CanaryStatus } from '../../api/types.js';
import { affinityStatus } from '../../core/affinity.js';
import { MAX_MESSAGE } from '../../core/conditions.js';
import { runHooks } from '../webhook-calls.js';
import { discardInapplicable, handled, pendingRequest } from '../requests.js';
import { alert, event, then, type Transition } from '../transition.js';
import type { ReadyTurn } from '../turn.js';

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
    lastAnalysisTime: now,
    stepStartTime: now,
    lastChecks: [],
    trackedConfigs: turn.info.configs.checksums,
    ...affinityStatus(turn.canary.spec, turn.status),
  };
}

/**
 * Initialized, Succeeded, Failed and Waiting: nothing runs until the target's revision changes. A new
 * revision passes the confirm-rollout gates (Waiting while they are closed), then a run starts.
 */
export async function idle(turn: ReadyTurn): Promise<Transition> {
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
    return then(handled('retry', retry), {
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
      status: { phase: 'Waiting' },
      detail: `confirm-rollout gate ${gate.hook.name} is closed`,
      events: entering ? [event('Normal', 'Waiting', `Waiting for approval of revision ${revision}: ${gate.message}`)] : [],
      alerts: entering && !gate.hook.muteAlert ? [alert('WaitingApproval', { webhook: gate.hook.name })] : [],
      requeueAfterMs: turn.nextTickIn(),
    };
  }
  return {
    status: runStartStatus(turn),
    detail: `analysing revision ${revision}`,
    events: [event('Normal', 'NewRevision', `New revision ${revision} detected: scaling up ${turn.info.name} and starting the analysis`)],
    alerts: [alert('NewRevision', { target: `${turn.target.kind}/${turn.info.name}` })],
    requeueAfterMs: turn.nextTickIn(),
  };
}

/** The target is back on (or still on) the promoted revision. */
function promoted(turn: ReadyTurn): Transition {
  const { revision } = turn.info;
  const detail = `revision ${revision} is promoted`;
  if (turn.phase !== 'Failed' && turn.phase !== 'Waiting') return { detail };
  return {
    status: { phase: 'Succeeded', lastAppliedSpec: revision },
    detail,
    events: [event('Normal', 'Reverted', `target is back on the promoted revision ${revision}`)],
  };
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
