import { isIdle, runsCanary } from '@tollgate/contract/phases';
import { affinityRoutes } from '../core/affinity.js';
import { routesFor, type Routes } from '../meshes/router.js';
import type { ReadyTurn } from './turn.js';

/**
 * Brings the world in line with the status, whatever happened before: the Services and routes exist
 * with the recorded split (drift from manual edits is corrected), then the canary is scaled up or down.
 * Routes move before scaling, so no traffic is sent to pods that are going away. Idle: cache reads only.
 */
export async function applyDesired(turn: ReadyTurn, reportDrift = false): Promise<void> {
  const { services } = turn.deps;
  const weight = turn.status.canaryWeight ?? 0;
  const ratio = turn.analysis.replicaRatio && turn.target.scaleToWeight !== undefined;
  if (turn.target.routesThroughServices) {
    await services.ensureBackends(turn.canary, turn.info, turn.signal);
    await services.ensureApex(turn.canary, turn.info, turn.signal, ratio && weight > 0);
  }
  const desired = routesFor(weight, turn.status.mirrored ?? false, affinityRoutes(turn.canary.spec, turn.status, turn.analysis.intervalMs));
  if (reportDrift) await reportRouteDrift(turn, desired);
  await turn.router.setRoutes(turn.canary, turn.info, desired, turn.analysis, turn.signal);
  if (ratio) await scaleToRatio(turn, weight);
  else await turn.target.scaleCanary(turn.canary, runsCanary(turn.phase) || weight > 0, turn.signal);
  if (isIdle(turn.phase)) await turn.target.syncAutoscaler(turn.canary, turn.signal);
}

/**
 * A replica-ratio release (provider kubernetes): the weight sizes both workloads; the canary's share of ready pods
 * behind the apex Service is recorded as status.effectiveWeight (0 while the apex selects the primary alone).
 */
async function scaleToRatio(turn: ReadyTurn, weight: number): Promise<void> {
  const phase = { running: runsCanary(turn.phase), promoting: turn.phase === 'Promoting' };
  await turn.target.scaleToWeight!(turn.canary, weight, phase, turn.signal);
  turn.take({ status: { effectiveWeight: weight > 0 ? (turn.target.readyShare?.(turn.canary) ?? 0) : 0 } });
}

/** Right after a status write the route cache may not show the write that followed it yet. */
const SETTLE_MS = 5000;

/** A split someone else changed (a manual edit of the mesh object) is put back; say so once, loudly. */
async function reportRouteDrift(turn: ReadyTurn, desired: Routes): Promise<void> {
  const written = Date.parse(turn.canary.status?.lastTransitionTime ?? '');
  if (Number.isFinite(written) && turn.now - written < SETTLE_MS) return;
  const live = await turn.router.getRoutes(turn.canary);
  if (!live || (live.canaryWeight === desired.canaryWeight && live.mirrored === desired.mirrored)) return;
  turn.event(
    'Warning',
    'RoutesCorrected',
    `${turn.router.provider} routes carried canary weight ${live.canaryWeight}${live.mirrored ? ' (mirrored)' : ''}; restoring ${desired.canaryWeight} as recorded in status`,
  );
}
