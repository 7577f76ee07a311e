import { setFinalizer } from '../finalizer.js';
import type { ReadyTurn } from '../turn.js';

/**
 * A Canary with revertOnDeletion is being deleted: the target is scaled back up and, once it serves (or
 * after the progress deadline), the apex Service selects its pods again and the mesh objects are handed
 * back; then the finalizer goes and garbage collection removes the primary and the generated Services.
 * Not a phase handler: the object is going away, so it acts and records as it goes (no routes to apply after).
 */
export async function terminate(turn: ReadyTurn): Promise<number | undefined> {
  if (turn.phase !== 'Terminating') {
    turn.take({ status: { phase: 'Terminating' }, detail: `restoring ${turn.info.name} before the Canary is deleted` });
    await turn.commit();
    turn.event('Normal', 'Terminating', `Canary deleted: restoring ${turn.info.name} and its routes`);
  }
  await turn.target.scaleCanary(turn.canary, true, turn.signal);
  const ready = turn.target.canaryReadiness(turn.canary, turn.analysis.canaryReadyThreshold);
  const since = Date.parse(turn.canary.metadata.deletionTimestamp ?? '') || turn.now;
  if (!ready.ready && !ready.fatal && turn.now - since < turn.analysis.progressDeadlineMs) {
    turn.take({ detail: `waiting for ${turn.info.name} before handing traffic back: ${ready.reason}` });
    await turn.commit();
    return 2000;
  }
  if (!ready.ready) turn.event('Warning', 'Terminating', `${turn.info.name} is not ready (${ready.reason}); handing traffic back anyway`);
  if (turn.target.routesThroughServices) await turn.deps.services.releaseApex(turn.canary, turn.info, turn.signal);
  await turn.router.finalize(turn.canary, turn.signal);
  turn.event('Normal', 'Terminated', `${turn.info.name} serves again; the Canary's objects are released`);
  await setFinalizer(turn, false);
  return undefined;
}
