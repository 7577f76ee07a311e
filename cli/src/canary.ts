import { CONDITION_TYPES, REASONS } from '@tollgate/contract/conditions';
import { REQUEST_ANNOTATIONS, type OneShot } from '@tollgate/contract/metadata';
import { isAnalysing, isReleasing, phaseName } from '@tollgate/contract/phases';
import type { Canary, Condition, ObjectMeta } from '@tollgate/operator/api/types';
import { resolveAnalysis, type ResolvedAnalysis } from '@tollgate/operator/core/analysis';

/** Pure rules about a Canary as the API server returns it: what the commands decide from. */

/** The annotations the operator reads (@tollgate/contract/metadata). */
export const ANNOTATIONS = REQUEST_ANNOTATIONS;
export type RequestKind = OneShot | 'pause' | 'resume';

/** A core/v1 Event, as much of it as the CLI reads. */
export interface CoreEvent {
  metadata?: ObjectMeta;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
}

export const phaseOf = (c: Canary): string => phaseName(c.status?.phase);
export const conditionOf = (c: Canary, type: string): Condition | undefined => c.status?.conditions?.find((x) => x.type === type);
export const isPaused = (c: Canary): boolean => c.metadata.annotations?.[ANNOTATIONS.paused] === 'true';
export const runInProgress = (c: Canary): boolean => isReleasing(phaseOf(c));

/** The analysis settings with the operator's defaults; undefined when the spec cannot be read (bad interval). */
export function analysisSettings(c: Canary): ResolvedAnalysis | undefined {
  try {
    return resolveAnalysis(c.spec, c.spec.provider ?? 'istio');
  } catch {
    return undefined;
  }
}

export const thresholdOf = (c: Canary): number => analysisSettings(c)?.threshold ?? 1;

/** The operator holds the analysis for the paused annotation: Ready's reason is Paused. */
const readySaysPaused = (c: Canary): boolean => conditionOf(c, CONDITION_TYPES.ready)?.reason === REASONS.paused;

export const eventStart = (e: CoreEvent): number => Date.parse(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '') || 0;
export const eventLast = (e: CoreEvent): number => Date.parse(e.series?.lastObservedTime ?? e.lastTimestamp ?? '') || eventStart(e);
export const eventCount = (e: CoreEvent): number => e.series?.count ?? e.count ?? 1;

/** The Event is about this Canary (and this incarnation of it, when both carry a uid). */
export function isAbout(e: CoreEvent, name: string, uid?: string): boolean {
  const o = e.involvedObject;
  return o?.kind === 'Canary' && o.name === name && (!uid || !o.uid || o.uid === uid);
}

export const sortEvents = (events: CoreEvent[]): CoreEvent[] =>
  [...events].sort((a, b) => eventStart(a) - eventStart(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));

/** When the current run started (ms), or undefined before any run. */
export function runStart(c: Canary): number | undefined {
  const t = Date.parse(c.status?.runStartTime ?? '');
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Events of the current run: last seen in or after the second the run started (Event times are whole seconds,
 * so an Event of the previous run in that very second is kept too).
 */
export function eventsOfRun(c: Canary, events: CoreEvent[]): CoreEvent[] {
  const start = runStart(c);
  if (start === undefined) return events;
  const second = Math.floor(start / 1000) * 1000;
  return events.filter((e) => eventLast(e) >= second);
}

export type WaitDecision =
  | { state: 'promoted'; message: string }
  | { state: 'failed'; reason: string; message: string }
  /** Stalled=True outside a failed run: final once it lasts (the operator clears some stalls by itself). */
  | { state: 'stalled'; phase: string; reason: string; message: string; since: number }
  | { state: 'pending'; phase: string; detail: string };

export interface WaitContext {
  /** The revision of the target workload as the operator computes it, when the CLI could compute it. */
  targetRevision?: string;
  /** A label for the target in messages, e.g. Deployment/podinfo. */
  target?: string;
}

/**
 * Whether `tollgate wait` is done. Promoted: Ready=True for the current generation, and the revision under
 * analysis is the promoted one. Failed: phase Failed; stalled: Stalled=True otherwise. A status older than the spec, or one that
 * does not show the target's current revision yet (the operator has not seen a change just applied), is pending,
 * so a wait started right after `kubectl apply` never reports the previous run's outcome.
 */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export function decideWait(c: Canary, ctx: WaitContext = {}): WaitDecision {
  const s = c.status ?? {};
  const phase = phaseOf(c);
  const generation = c.metadata.generation ?? 0;
  const ready = conditionOf(c, 'Ready');
  if (!c.status || s.observedGeneration === undefined) {
    return { state: 'pending', phase, detail: 'the operator has not reported a status yet' };
  }
  if (s.observedGeneration < generation || (ready?.observedGeneration !== undefined && ready.observedGeneration < generation)) {
    return { state: 'pending', phase, detail: `the operator has not observed generation ${generation} yet` };
  }
  if (ctx.targetRevision && s.lastAppliedSpec && ctx.targetRevision !== s.lastAppliedSpec) {
    return {
      state: 'pending',
      phase,
      detail: `the operator has not picked up revision ${ctx.targetRevision} of ${ctx.target ?? 'the target'} yet`,
    };
  }
  const stalled = conditionOf(c, 'Stalled');
  if (phase === 'Failed') {
    return {
      state: 'failed',
      reason: stalled?.status === 'True' ? (stalled.reason ?? phase) : 'Failed',
      message: (stalled?.status === 'True' ? stalled.message : undefined) ?? ready?.message ?? 'the canary was rolled back',
    };
  }
  if (stalled?.status === 'True') {
    return {
      state: 'stalled',
      phase,
      reason: stalled.reason ?? 'Stalled',
      message: stalled.message ?? ready?.message ?? '',
      since: Date.parse(stalled.lastTransitionTime ?? '') || Number.POSITIVE_INFINITY,
    };
  }
  if (ready?.status === 'True' && s.lastPromotedSpec && s.lastPromotedSpec === s.lastAppliedSpec) {
    return { state: 'promoted', message: ready.message ?? `revision ${s.lastPromotedSpec} is promoted` };
  }
  return { state: 'pending', phase, detail: ready?.message ?? `canary is ${phase.toLowerCase()}` };
}

export type RequestCheck = { verdict: 'ok'; note?: string } | { verdict: 'refuse'; why: string } | { verdict: 'noop'; why: string };

/** Whether a request makes sense in the Canary's phase, as the operator would act on it. */
export function checkRequest(kind: RequestKind, c: Canary): RequestCheck {
  const name = c.metadata.name ?? 'the canary';
  const phase = phaseOf(c);
  switch (kind) {
    case 'promote':
    case 'abort': {
      if (isAnalysing(phase)) return { verdict: 'ok' };
      return { verdict: 'refuse', why: `${name} is ${phase}: ${notRunning(phase, kind)}` };
    }
    case 'retry':
      if (phase === 'Failed') return { verdict: 'ok' };
      return { verdict: 'refuse', why: `${name} is ${phase}: retry runs a Failed revision again, and ${name} has not failed` };
    case 'pause':
      if (isPaused(c)) return { verdict: 'noop', why: `${name} is already paused` };
      if (!isAnalysing(phase))
        return { verdict: 'ok', note: `no analysis is running (${phase}): the next run will hold at its start until resumed` };
      return { verdict: 'ok' };
    case 'resume':
      if (!isPaused(c)) return { verdict: 'noop', why: `${name} is not paused` };
      return { verdict: 'ok' };
  }
}

function notRunning(phase: string, kind: 'promote' | 'abort'): string {
  if (phase === 'Promoting' || phase === 'Finalising') return `the revision is already being promoted, too late to ${kind}`;
  if (phase === 'Waiting')
    return `the new revision waits for a confirm-rollout gate or in the release queue; no analysis runs yet to ${kind}`;
  if (phase === 'Initializing') return 'the canary is still initializing';
  return `no run in progress to ${kind}`;
}

/** The operator has acted on the request (value: the one-shot annotation value written). */
export function acknowledged(kind: RequestKind, c: Canary, value: string): boolean {
  switch (kind) {
    case 'promote':
    case 'abort':
    case 'retry':
      return c.status?.handledRequests?.[kind] === value;
    case 'pause':
      return readySaysPaused(c);
    case 'resume':
      return !readySaysPaused(c);
  }
}
