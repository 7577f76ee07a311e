import { REQUEST_ANNOTATIONS, type OneShot } from '@tollgate/contract/metadata';
import type { Run } from './run.js';

/*
 * Imperative controls, as annotations on the Canary (REQUEST_ANNOTATIONS in @tollgate/contract/metadata).
 * retry, promote and abort are one-shot: each new value is acted upon once (status.handledRequests);
 * paused holds the analysis while its value is "true".
 */

/** The value of a one-shot request not acted upon yet. */
export function pendingRequest(run: Run, kind: OneShot): string | undefined {
  const value = run.canary.metadata.annotations?.[REQUEST_ANNOTATIONS[kind]];
  return value && value !== run.status.handledRequests?.[kind] ? value : undefined;
}

/** Records the request as handled; committed with the step it caused. */
export function markHandled(run: Run, kind: OneShot, value: string): void {
  run.status.handledRequests = { ...run.status.handledRequests, [kind]: value };
}

/**
 * Consumes one-shot requests that mean nothing in the current phase (promote while no run is in progress,
 * retry while nothing failed), with an Event, so a stale value cannot act on a later run unasked.
 * True when something was consumed: the caller must commit the status.
 */
export function discardInapplicable(run: Run, applicable: readonly OneShot[]): boolean {
  let discarded = false;
  for (const kind of ['retry', 'promote', 'abort'] as const) {
    const value = pendingRequest(run, kind);
    if (!value || applicable.includes(kind)) continue;
    markHandled(run, kind, value);
    run.event(
      'Warning',
      'RequestIgnored',
      `${REQUEST_ANNOTATIONS[kind]}=${value} ignored: ${kind} does not apply while the canary is ${run.phase}`,
    );
    discarded = true;
  }
  return discarded;
}

export const isPaused = (run: Run): boolean => run.canary.metadata.annotations?.[REQUEST_ANNOTATIONS.paused] === 'true';
