import { ANNOTATIONS } from '@tollgate/contract/metadata';
import { alert, event, type Transition } from '../transition.js';
import { readinessOf } from '../pod-report.js';
import type { ReadyTurn } from '../turn.js';
import { waitingFor, waitProgress } from '../wait-progress.js';
import { runStartStatus } from './idle.js';

/**
 * First sight of a Canary: recorded as Initializing (a checkpoint), then in the same turn the -primary and -canary Services, the
 * primary copy of the target; once the primary serves, the apex Service and the routes (all to the primary);
 * then the target is scaled to zero.
 */
export async function initialize(turn: ReadyTurn): Promise<Transition> {
  if (turn.phase === '') {
    return {
      status: { phase: 'Initializing' },
      detail: 'creating the primary workload and Services',
      events: [event('Normal', 'Initializing', `Initializing: creating ${turn.info.primaryName}`)],
      continueTurn: true,
    };
  }
  const services = turn.target.routesThroughServices;
  if (services) await turn.deps.services.ensureBackends(turn.canary, turn.info, turn.signal);
  if (turn.router.meshObjectsFirst) await turn.router.reconcile(turn.canary, turn.info, turn.analysis, turn.signal);
  await turn.target.ensurePrimary(turn.canary, turn.info, turn.signal);
  const ready = readinessOf(turn, 'primary');
  if (!ready.ready) {
    if (!ready.fatal) {
      const { detail, refreshInMs } = waitProgress(turn, turn.info.primaryName, ready.reason);
      return refreshInMs === undefined ? { detail } : { detail, requeueAfterMs: refreshInMs };
    }
    const detail = `${waitingFor(turn.info.primaryName)}${ready.reason}`;
    return {
      detail,
      events: [event('Warning', 'PrimaryNotReady', detail)],
      alerts: [alert('TargetNotReady', { target: turn.info.primaryName, detail })],
    };
  }
  if (services) await turn.deps.services.ensureApex(turn.canary, turn.info, turn.signal);
  await turn.router.reconcile(turn.canary, turn.info, turn.analysis, turn.signal);
  if (inheritsRelease(turn)) return resume(turn);
  await turn.target.scaleCanary(turn.canary, false, turn.signal);
  const { revision } = turn.info;
  return {
    status: {
      phase: 'Initialized',
      canaryWeight: 0,
      failedChecks: 0,
      iterations: 0,
      mirrored: false,
      lastAppliedSpec: revision,
      lastPromotedSpec: revision,
      promotedControllerRevision: turn.info.controllerRevisions?.update,
      trackedConfigs: turn.info.configs.checksums,
    },
    detail: `revision ${revision} runs as ${turn.info.primaryName}`,
    events: [event('Normal', 'Initialized', `Initialization done: ${turn.info.primaryName} serves revision ${revision}`)],
    alerts: [alert('Initialized', { target: `${turn.target.kind}/${turn.info.name}` })],
  };
}

/**
 * A Canary taking over Flagger's (tollgate.dev/takeover) whose primary Flagger made (no revision of ours on its
 * template) while the target runs: Flagger was in the middle of a release. It goes on from the live weight.
 */
const inheritsRelease = (turn: ReadyTurn): boolean =>
  Boolean(turn.canary.metadata.annotations?.[ANNOTATIONS.takeover]) &&
  turn.target.primaryRevision(turn.canary) === undefined &&
  turn.target.canaryRunning(turn.canary);

/** The run Flagger started, resumed at the weight its routes carry: nothing is scaled, no route moves. */
async function resume(turn: ReadyTurn): Promise<Transition> {
  const live = await turn.router.getRoutes(turn.canary);
  const weight = live?.canaryWeight ?? 0;
  const { revision } = turn.info;
  return {
    status: { ...runStartStatus(turn), canaryWeight: weight, mirrored: live?.mirrored ?? false },
    detail: `analysing revision ${revision}, taken over from Flagger at canary weight ${weight}`,
    events: [event('Normal', 'Resumed', `Took over Flagger's release of revision ${revision} at canary weight ${weight}`)],
    requeueAfterMs: turn.nextTickIn(),
  };
}
