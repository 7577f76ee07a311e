import { isIdle, runsCanary } from '@tollgate/contract/phases';
import { affinityRoutes } from '../core/affinity.js';
import { routesFor, type Routes } from '../meshes/router.js';
import type { Run } from './run.js';

/**
 * Brings the world in line with the status, whatever happened before: the Services and routes exist
 * with the recorded split (drift from manual edits is corrected), then the canary is scaled up or down.
 * Routes move before scaling, so no traffic is sent to pods that are going away. Idle: cache reads only.
 */
export async function applyDesired(run: Run, reportDrift = false): Promise<void> {
  const { services } = run.deps;
  await services.ensureBackends(run.canary, run.info, run.signal);
  await services.ensureApex(run.canary, run.info, run.signal);
  const weight = run.status.canaryWeight ?? 0;
  const desired = routesFor(weight, run.status.mirrored ?? false, affinityRoutes(run.canary.spec, run.status, run.a.intervalMs));
  if (reportDrift) await reportRouteDrift(run, desired);
  await run.router.setRoutes(run.canary, run.info, desired, run.a, run.signal);
  const up = runsCanary(run.phase) || weight > 0;
  await run.target.scaleCanary(run.canary, up, run.signal);
  if (isIdle(run.phase)) await run.target.syncAutoscaler(run.canary, run.signal);
}

/** Right after a status write the route cache may not show the write that followed it yet. */
const SETTLE_MS = 5000;

/** A split someone else changed (a manual edit of the mesh object) is put back; say so once, loudly. */
async function reportRouteDrift(run: Run, desired: Routes): Promise<void> {
  const written = Date.parse(run.canary.status?.lastTransitionTime ?? '');
  if (Number.isFinite(written) && run.now - written < SETTLE_MS) return;
  const live = await run.router.getRoutes(run.canary);
  if (!live || (live.canaryWeight === desired.canaryWeight && live.mirrored === desired.mirrored)) return;
  run.event(
    'Warning',
    'RoutesCorrected',
    `${run.router.provider} routes carried canary weight ${live.canaryWeight}${live.mirrored ? ' (mirrored)' : ''}; restoring ${desired.canaryWeight} as recorded in status`,
  );
}
