import { alert as alertNote, event, type AlertNote, type Transition } from '../transition.js';
import type { ReadyTurn } from '../turn.js';

/** Ends the run as Failed: all traffic back to the primary, the canary scaled to zero, then the post-rollout hooks. */
export function rollback(turn: ReadyTurn, reason: string, alert: AlertNote = alertNote('RolledBack', { detail: reason })): Transition {
  return {
    status: { phase: 'Failed', canaryWeight: 0, mirrored: false },
    detail: `rolled back: ${reason}`,
    events: [event('Warning', 'RolledBack', `Canary failed, rolling back ${turn.info.name}: ${reason}`)],
    alerts: [alert],
    outcome: 'failed',
    postRollout: true,
  };
}
