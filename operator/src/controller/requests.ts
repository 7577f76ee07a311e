import { REQUEST_ANNOTATIONS, type OneShot } from '@tollgate/contract/metadata';
import { event, type EventNote, type Transition } from './transition.js';
import type { Turn } from './turn.js';

/*
 * Imperative controls, as annotations on the Canary (REQUEST_ANNOTATIONS in @tollgate/contract/metadata).
 * retry, promote and abort are one-shot: each new value is acted upon once (status.handledRequests);
 * paused holds the analysis while its value is "true".
 */

/** The value of a one-shot request not acted upon yet. */
export function pendingRequest(turn: Turn, kind: OneShot): string | undefined {
  const value = turn.canary.metadata.annotations?.[REQUEST_ANNOTATIONS[kind]];
  return value && value !== turn.status.handledRequests?.[kind] ? value : undefined;
}

/** The request recorded as handled: a transition to combine (then()) with the step it caused. */
export const handled = (kind: OneShot, value: string): Transition => ({ status: { handledRequests: { [kind]: value } } });

/**
 * Consumes one-shot requests that mean nothing in the current phase (promote while no run is in progress,
 * retry while nothing failed), with an Event, so a stale value cannot act on a later run unasked.
 */
export function discardInapplicable(turn: Turn, applicable: readonly OneShot[]): Transition {
  const handledRequests: Partial<Record<OneShot, string>> = {};
  const events: EventNote[] = [];
  for (const kind of ['retry', 'promote', 'abort'] as const) {
    const value = pendingRequest(turn, kind);
    if (!value || applicable.includes(kind)) continue;
    handledRequests[kind] = value;
    const why = `${kind} does not apply while the canary is ${turn.phase}`;
    events.push(event('Warning', 'RequestIgnored', `${REQUEST_ANNOTATIONS[kind]}=${value} ignored: ${why}`));
  }
  return events.length ? { status: { handledRequests }, events } : {};
}

export const isPaused = (turn: Turn): boolean => turn.canary.metadata.annotations?.[REQUEST_ANNOTATIONS.paused] === 'true';
