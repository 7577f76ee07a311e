import type { AlertContext, AlertKind } from '../alerts/index.js';
import type { CanaryStatus } from '../api/types.js';
import type { EventType } from '../kube/events.js';

/** An Event to record about the Canary (and pass to its event webhooks). */
export interface EventNote {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** An alert to send to the Canary's alert providers. */
export interface AlertNote {
  readonly kind: AlertKind;
  readonly ctx?: AlertContext;
}

/**
 * What a phase handler decided, from what it read: the committer (committer.ts) applies it in a fixed order:
 * the status, then the routes and scale that follow from it, then the primary's promotion, the Events, the
 * post-rollout hooks, the alerts and the outcome metric. A handler never writes status, records an Event or
 * sends an alert itself.
 */
export interface Transition {
  /** Status fields that change (handledRequests is merged key by key). */
  readonly status?: Partial<CanaryStatus>;
  /** The message of the Ready (or Stalled) condition. */
  readonly detail?: string;
  /** The analysis is held by the paused annotation (Ready's reason is Paused). */
  readonly paused?: boolean;
  /** The new revision waits in the release queue (Ready's reason is Queued). */
  readonly queued?: boolean;
  readonly events?: readonly EventNote[];
  readonly alerts?: readonly AlertNote[];
  /** Copy the analysed revision to the primary, once the status says Promoting. */
  readonly promote?: boolean;
  /** Run the post-rollout hooks, once the status says how the release ended. */
  readonly postRollout?: boolean;
  /** The release ended (tollgate_canary_outcomes). */
  readonly outcome?: 'succeeded' | 'failed';
  /** When to reconcile again; undefined: on the next change of the Canary or its objects. */
  readonly requeueAfterMs?: number;
  /** The status is a checkpoint: once committed, the new phase's handler runs in the same turn (Initializing). */
  readonly continueTurn?: boolean;
}

export const event = (type: EventType, reason: string, message: string): EventNote => ({ type, reason, message });
export const alert = (kind: AlertKind, ctx?: AlertContext): AlertNote => (ctx ? { kind, ctx } : { kind });

/**
 * One transition from two decided in turn (a request consumed, then the step it allowed): status fields of both
 * (b's win, handledRequests merged key by key), b's detail and requeue, the effects either asked for, and the Events
 * and alerts of both in order.
 */
export function then(a: Transition, b: Transition): Transition {
  const handled = a.status?.handledRequests || b.status?.handledRequests;
  const status = {
    ...a.status,
    ...b.status,
    ...(handled ? { handledRequests: { ...a.status?.handledRequests, ...b.status?.handledRequests } } : {}),
  };
  return {
    ...a,
    ...b,
    status,
    events: [...(a.events ?? []), ...(b.events ?? [])],
    alerts: [...(a.alerts ?? []), ...(b.alerts ?? [])],
    requeueAfterMs: b.requeueAfterMs,
  };
}
