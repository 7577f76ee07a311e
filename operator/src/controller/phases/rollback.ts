import { runPostRollout } from '../webhook-calls.js';
import type { Run } from '../run.js';

/** Ends the run as Failed: all traffic back to the primary, the canary scaled to zero (by applyDesired). */
export async function rollback(
  run: Run,
  reason: string,
  alert: Parameters<Run['alert']> = ['RolledBack', { detail: reason }],
): Promise<undefined> {
  Object.assign(run.status, { phase: 'Failed', canaryWeight: 0, mirrored: false });
  run.detail = `rolled back: ${reason}`;
  await run.commit();
  run.alert(...alert);
  run.event('Warning', 'RolledBack', `Canary failed, rolling back ${run.info.name}: ${reason}`);
  run.deps.metrics.observeOutcome(run.canary, 'failed');
  await runPostRollout(run);
  return undefined;
}
