import { CONDITION_TYPES as C, REASONS } from '@tollgate/contract/conditions';
import { isBusy, isPromoted, phaseName } from '@tollgate/contract/phases';
import type { CheckResult, Condition, ConditionStatus, Phase } from '../api/types.js';

export interface Problem {
  reason: string;
  message: string;
}

export interface ConditionInput {
  phase: Phase;
  generation: number;
  /** The target's current revision is the promoted one. */
  upToDate: boolean;
  /** Something stops the operator from acting on this Canary (invalid spec, unsupported provider, missing target). */
  blocked?: Problem;
  /** Fields accepted but not acted upon. */
  notice?: Problem;
  /** Human-readable detail of the current phase (last failure, what is awaited). */
  detail?: string;
  /** The analysis is held by the paused annotation: Ready says so by its reason (Paused). */
  paused?: boolean;
  /** The new revision waits in the release queue: Ready says so by its reason (Queued). */
  queued?: boolean;
  /** Results of the last analysis step, for the MetricsAvailable condition. */
  checks?: CheckResult[];
}

/** Check reasons that mean the metrics could not be read at all (rather than read and judged). */
const SOURCE_PROBLEMS: ReadonlySet<string> = new Set([
  'ProviderError',
  'MultipleSeries',
  'TemplateNotFound',
  'SecretNotFound',
  'UnsupportedProvider',
  'TemplateError',
  'NoQuery',
]);

/** MetricsAvailable: False while a metric source is unreachable or misconfigured; absent before any check. */
function metricsAvailable(i: ConditionInput): Condition | undefined {
  const metrics = (i.checks ?? []).filter((c) => c.reason !== 'WebhookFailed');
  if (metrics.length === 0) return undefined;
  const broken = metrics.find((c) => SOURCE_PROBLEMS.has(c.reason ?? ''));
  return broken
    ? cond(C.metricsAvailable, 'False', broken.reason!, broken.message ?? `${broken.name} cannot be measured`, i.generation)
    : cond(C.metricsAvailable, 'True', REASONS.measured, 'every metric source answered', i.generation);
}

/** Replaces or adds a condition, keeping lastTransitionTime when its status does not change. */
export function setCondition(conditions: Condition[], next: Condition, now: string): Condition[] {
  const prior = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = prior && prior.status === next.status && prior.lastTransitionTime ? prior.lastTransitionTime : now;
  const merged: Condition = { ...next, lastTransitionTime };
  return prior ? conditions.map((c) => (c.type === next.type ? merged : c)) : [...conditions, merged];
}

/** Longest condition message kept: user text quoted in a message (a name, a query) cannot make the status too large to store. */
export const MAX_MESSAGE = 2048;

/** The message as a condition stores it: cut at MAX_MESSAGE characters, saying how much was left out. */
export function boundedMessage(message: string): string {
  if (message.length <= MAX_MESSAGE) return message;
  const cut = message.slice(0, MAX_MESSAGE - 40);
  return `${cut}… (${message.length - cut.length} more characters)`;
}

const cond = (type: string, status: ConditionStatus, reason: string, message: string, generation: number): Condition => ({
  type,
  status,
  reason,
  message: boundedMessage(message),
  observedGeneration: generation,
});

function ready(i: ConditionInput): Condition {
  const phase = phaseName(i.phase);
  if (i.blocked) return cond(C.ready, 'False', i.blocked.reason, i.blocked.message, i.generation);
  if (isPromoted(i.phase) && i.upToDate) return cond(C.ready, 'True', phase, i.detail ?? 'the latest revision is promoted', i.generation);
  if (i.phase === 'Failed') return cond(C.ready, 'False', REASONS.failed, i.detail ?? 'the canary was rolled back', i.generation);
  const reason = i.paused ? REASONS.paused : i.queued ? REASONS.queued : isPromoted(i.phase) ? REASONS.newRevision : phase;
  return cond(C.ready, 'False', reason, i.detail ?? `canary is ${phase.toLowerCase()}`, i.generation);
}

function reconciling(i: ConditionInput): Condition {
  const busy = !i.blocked && (isBusy(i.phase) || (isPromoted(i.phase) && !i.upToDate));
  return busy
    ? cond(C.reconciling, 'True', phaseName(i.phase), i.detail ?? 'release in progress', i.generation)
    : cond(C.reconciling, 'False', REASONS.idle, 'no release in progress', i.generation);
}

function stalled(i: ConditionInput): Condition {
  if (i.blocked) return cond(C.stalled, 'True', i.blocked.reason, i.blocked.message, i.generation);
  if (i.phase === 'Failed') return cond(C.stalled, 'True', REASONS.failed, i.detail ?? 'the canary was rolled back', i.generation);
  return cond(C.stalled, 'False', REASONS.healthy, 'not stalled', i.generation);
}

/** Flagger's Promoted condition, kept for scripts that wait on it. */
function promoted(i: ConditionInput): Condition {
  const phase = phaseName(i.phase);
  if (isPromoted(i.phase)) return cond(C.promoted, 'True', phase, 'canary promoted', i.generation);
  if (i.phase === 'Failed') return cond(C.promoted, 'False', REASONS.failed, 'canary rolled back', i.generation);
  return cond(C.promoted, 'Unknown', phase, `canary is ${phase.toLowerCase()}`, i.generation);
}

function supported(i: ConditionInput): Condition {
  return i.notice
    ? cond(C.supported, 'False', i.notice.reason, i.notice.message, i.generation)
    : cond(C.supported, 'True', REASONS.allFieldsSupported, 'every field of the spec is acted upon', i.generation);
}

/** The kstatus conditions (Ready, Reconciling, Stalled) plus Promoted and Supported. */
export function canaryConditions(prior: Condition[], i: ConditionInput, now: string): Condition[] {
  let out = prior;
  for (const c of [ready(i), reconciling(i), stalled(i), promoted(i), supported(i), metricsAvailable(i)])
    if (c) out = setCondition(out, c, now);
  return out;
}
