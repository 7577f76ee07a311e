import type { Phase } from '../api/types.js';
import { routesFor } from '../routers/router.js';
import type { Run } from './run.js';

/** Phases in which the canary workload runs. */
const CANARY_UP: ReadonlySet<Phase> = new Set(['Progressing', 'WaitingPromotion', 'Promoting']);

/**
 * Brings the world in line with the status, whatever happened before: the Services and routes exist
 * with the recorded split (drift from manual edits is corrected), then the canary is scaled up or down.
 * Routes move before scaling, so no traffic is sent to pods that are going away. Idle: cache reads only.
 */
export async function applyDesired(run: Run): Promise<void> {
  const { services } = run.deps;
  await services.ensureBackends(run.canary, run.info, run.signal);
  await services.ensureApex(run.canary, run.info, run.signal);
  const weight = run.status.canaryWeight ?? 0;
  await run.router.setRoutes(run.canary, run.info, routesFor(weight, run.status.mirrored ?? false), run.signal);
  const up = CANARY_UP.has(run.phase) || weight > 0;
  await run.target.scaleCanary(run.canary, up, run.signal);
}
