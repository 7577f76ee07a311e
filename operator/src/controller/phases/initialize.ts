import { alert, event, type Transition } from '../transition.js';
import { readinessOf } from '../pod-report.js';
import type { ReadyTurn } from '../turn.js';

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
  await turn.deps.services.ensureBackends(turn.canary, turn.info, turn.signal);
  if (turn.router.meshObjectsFirst) await turn.router.reconcile(turn.canary, turn.info, turn.analysis, turn.signal);
  await turn.target.ensurePrimary(turn.canary, turn.info, turn.signal);
  const ready = readinessOf(turn, 'primary');
  if (!ready.ready) {
    const detail = `waiting for ${turn.info.primaryName}: ${ready.reason}`;
    if (!ready.fatal) return { detail };
    return {
      detail,
      events: [event('Warning', 'PrimaryNotReady', detail)],
      alerts: [alert('TargetNotReady', { target: turn.info.primaryName, detail })],
    };
  }
  await turn.deps.services.ensureApex(turn.canary, turn.info, turn.signal);
  await turn.router.reconcile(turn.canary, turn.info, turn.analysis, turn.signal);
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
