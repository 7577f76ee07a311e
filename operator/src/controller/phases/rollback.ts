import { alert as alertNote, event, type AlertNote, type Transition } from '../transition.js';
import type { ReadyTurn } from '../turn.js';

/**
 * Ends the run as Failed: all traffic back to the primary, the canary scaled to zero, then the post-rollout hooks.
 * An in-place target has no primary to go back to: the status says restoring (the checkpoint a restarted operator
 * resumes from), and in the same turn the idle handler starts putting the promoted revision back (idle.ts).
 */
export function rollback(turn: ReadyTurn, reason: string, alert: AlertNote = alertNote('RolledBack', { detail: reason })): Transition {
  const inPlace = turn.target.model === 'in-place';
  return {
    status: { phase: 'Failed', canaryWeight: 0, mirrored: false, ...(inPlace ? { restoring: true } : {}) },
    ...(inPlace ? { continueTurn: true } : {}),
    detail: `rolled back: ${reason}`,
    events: [event('Warning', 'RolledBack', `Canary failed, rolling back ${turn.info.name}: ${reason}`)],
    alerts: [alert],
    outcome: 'failed',
    postRollout: true,
  };
}
