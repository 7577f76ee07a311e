import type { Run } from './run.js';

/**
 * Imperative controls, as annotations on the Canary (set by the `tollgate` CLI or kubectl annotate).
 * Annotations, not spec fields, so a GitOps tool re-applying the manifest does not undo them.
 * retry, promote and abort are one-shot: each new value is acted upon once (status.handledRequests);
 * paused holds the analysis while its value is "true".
 */
export const REQUEST_ANNOTATIONS = {
  retry: 'tollgate.dev/retry',
  promote: 'tollgate.dev/promote',
  abort: 'tollgate.dev/abort',
  paused: 'tollgate.dev/paused',
} as const;

export type OneShot = 'retry' | 'promote' | 'abort';

/** The value of a one-shot request not acted upon yet. */
export function pendingRequest(run: Run, kind: OneShot): string | undefined {
  const value = run.canary.metadata.annotations?.[REQUEST_ANNOTATIONS[kind]];
  return value && value !== run.status.handledRequests?.[kind] ? value : undefined;
}

/** Records the request as handled; committed with the step it caused. */
export function markHandled(run: Run, kind: OneShot, value: string): void {
  run.status.handledRequests = { ...run.status.handledRequests, [kind]: value };
}

export const isPaused = (run: Run): boolean => run.canary.metadata.annotations?.[REQUEST_ANNOTATIONS.paused] === 'true';
