import { setFinalizer } from '../finalizer.js';
import type { Run } from '../run.js';

/**
 * A Canary with revertOnDeletion is being deleted: the target is scaled back up and, once it serves (or
 * after the progress deadline), the apex Service selects its pods again and the mesh objects are handed
 * back; then the finalizer goes and garbage collection removes the primary and the generated Services.
 */
export async function terminate(run: Run): Promise<number | undefined> {
  if (run.phase !== 'Terminating') {
    run.status.phase = 'Terminating';
    run.detail = `restoring ${run.info.name} before the Canary is deleted`;
    await run.commit();
    run.event('Normal', 'Terminating', `Canary deleted: restoring ${run.info.name} and its routes`);
  }
  await run.target.scaleCanary(run.canary, true, run.signal);
  const ready = run.target.canaryReadiness(run.canary, run.a.canaryReadyThreshold);
  const since = Date.parse(run.canary.metadata.deletionTimestamp ?? '') || run.now;
  if (!ready.ready && !ready.fatal && run.now - since < run.a.progressDeadlineMs) {
    run.detail = `waiting for ${run.info.name} before handing traffic back: ${ready.reason}`;
    await run.commit();
    return 2000;
  }
  if (!ready.ready) run.event('Warning', 'Terminating', `${run.info.name} is not ready (${ready.reason}); handing traffic back anyway`);
  await run.deps.services.releaseApex(run.canary, run.info, run.signal);
  await run.router.finalize(run.canary, run.signal);
  run.event('Normal', 'Terminated', `${run.info.name} serves again; the Canary's objects are released`);
  await setFinalizer(run, false);
  return undefined;
}
