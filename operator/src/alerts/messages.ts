import type { Canary, CanaryStatus, CheckResult } from '../api/types.js';
import { verdictOf } from '../core/checks.js';
import type { FailingMetric, Notification, Severity } from './notifier.js';

/** What the default texts may mention; every part is optional. */
export interface AlertContext {
  /** `Kind/name` of the target, e.g. Deployment/podinfo. */
  target?: string;
  /** The webhook (gate, rollback hook, pre-rollout hook) involved. */
  webhook?: string;
  failedChecks?: number;
  threshold?: number;
  metric?: FailingMetric;
  /** Free-form cause (readiness reason, provider error, validation message...). */
  detail?: string;
}

interface EventText {
  severity: Severity;
  text: (c: AlertContext) => string;
}

const tail = (c: AlertContext): string => (c.detail ? `: ${c.detail}` : '');
const target = (c: AlertContext): string => c.target ?? 'the target';
const gate = (c: AlertContext): string => (c.webhook ? ` (gate ${c.webhook})` : '');
const named = (name: string | undefined): string => (name ? ` ${name}` : '');

/**
 * The events the controller alerts about, with their severity and default text: Flagger's texts where
 * Flagger alerts, and the failures Flagger never alerts about (#1663).
 */
export const ALERT_EVENTS = {
  NewRevision: { severity: 'info', text: () => 'New revision detected, progressing canary analysis.' },
  Initialized: { severity: 'info', text: (c) => `Initialization done: ${target(c)} is now served by its primary.` },
  Succeeded: { severity: 'info', text: () => 'Canary analysis completed successfully, promotion finished.' },
  AnalysisSkipped: { severity: 'info', text: () => 'Canary analysis was skipped, promotion finished.' },
  WaitingApproval: { severity: 'warn', text: (c) => `Canary is waiting for approval${gate(c)}.` },
  WaitingPromotion: { severity: 'warn', text: (c) => `Canary promotion is waiting for approval${gate(c)}.` },
  WaitingTrafficIncrease: { severity: 'warn', text: (c) => `Canary traffic increase is waiting for approval${gate(c)}.` },
  ManualRollback: { severity: 'warn', text: (c) => `Rolling back: manual rollback webhook${named(c.webhook)} invoked.` },
  HookFailed: { severity: 'warn', text: (c) => `Webhook${named(c.webhook)} failed${tail(c)}` },
  MetricProviderError: { severity: 'warn', text: (c) => `Metric provider error${c.metric ? ` for ${c.metric.name}` : ''}${tail(c)}` },
  TargetNotReady: { severity: 'warn', text: (c) => `${target(c)} is not ready${tail(c)}` },
  RolledBack: { severity: 'error', text: (c) => rolledBackText(c) },
  ProgressDeadlineExceeded: { severity: 'error', text: (c) => `Progress deadline exceeded, rolling back${tail(c)}` },
  PromotionFailed: { severity: 'error', text: (c) => `Promotion failed, primary not ready${tail(c)}` },
  TargetNotFound: { severity: 'error', text: (c) => `${target(c)} not found${tail(c)}` },
  RouterError: { severity: 'error', text: (c) => `Traffic routing failed${tail(c)}` },
  InvalidSpec: { severity: 'error', text: (c) => `Canary cannot be acted on${tail(c)}` },
} satisfies Record<string, EventText>;

export type AlertKind = keyof typeof ALERT_EVENTS;
export const ALERT_KINDS = Object.keys(ALERT_EVENTS) as AlertKind[];

function rolledBackText(c: AlertContext): string {
  const count =
    c.failedChecks !== undefined
      ? ` (failed checks threshold reached ${c.failedChecks}${c.threshold !== undefined ? `/${c.threshold}` : ''})`
      : '';
  const metric = c.metric ? `: ${metricText(c.metric)}` : c.detail ? `: ${c.detail}` : '';
  return `Canary analysis failed, rolled back${count}${metric}`;
}

/** Severity, reason and default text of one kind of event. */
export function alertText(kind: AlertKind, ctx: AlertContext = {}): { severity: Severity; reason: AlertKind; message: string } {
  const e: EventText = ALERT_EVENTS[kind];
  return { severity: e.severity, reason: kind, message: e.text(ctx) };
}

/**
 * The notification for one event, from the Canary and the status the controller is writing
 * (run.status, which may be ahead of canary.status). Pass it to AlertDispatcher.notify.
 */
export function alertOf(
  canary: Canary,
  status: CanaryStatus | undefined,
  kind: AlertKind,
  ctx: AlertContext = {},
): Omit<Notification, 'fields' | 'cluster'> {
  const t = alertText(kind, ctx);
  return {
    canary: { name: canary.metadata.name ?? '', namespace: canary.metadata.namespace ?? '' },
    ...t,
    phase: status?.phase ?? '',
    weight: status?.canaryWeight ?? 0,
    revision: status?.lastAppliedSpec ?? '',
    ...(ctx.metric ? { failingMetric: ctx.metric } : {}),
  };
}

/** The first failed check of a step (the one a rollback alert names), if any. */
export function failingMetricOf(checks: readonly CheckResult[] | undefined): FailingMetric | undefined {
  const c = checks?.find((x) => verdictOf(x) === 'failed');
  if (!c) return undefined;
  return {
    name: c.name,
    ...(c.value !== undefined ? { value: c.value } : {}),
    ...(c.min !== undefined ? { min: c.min } : {}),
    ...(c.max !== undefined ? { max: c.max } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
  };
}

const formatNumber = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/\.?0+$/, ''));

/** "min 99", "max 500", "min 99, max 500" or "". */
export function thresholdText(m: Pick<FailingMetric, 'min' | 'max'>): string {
  return [m.min !== undefined ? `min ${formatNumber(m.min)}` : '', m.max !== undefined ? `max ${formatNumber(m.max)}` : '']
    .filter(Boolean)
    .join(', ');
}

/** Why a check has no value, by its status.lastChecks reason. */
const UNMEASURED: Readonly<Record<string, string>> = {
  NoData: 'no data',
  WebhookFailed: 'webhook failed',
  ProviderError: 'metric provider error',
  MultipleSeries: 'the query returned several series',
};

/** "request-success-rate 97.5 < min 99", "request-duration 612 > max 500", "x: no data (min 99)". */
export function metricText(m: FailingMetric): string {
  const bounds = thresholdText(m);
  if (m.value === undefined) {
    const why = UNMEASURED[m.reason ?? ''] ?? 'not measured';
    return `${m.name}: ${why}${bounds ? ` (${bounds})` : ''}`;
  }
  const v = formatNumber(m.value);
  if (m.min !== undefined && m.value < m.min) return `${m.name} ${v} < min ${formatNumber(m.min)}`;
  if (m.max !== undefined && m.value > m.max) return `${m.name} ${v} > max ${formatNumber(m.max)}`;
  return `${m.name} ${v}${bounds ? ` (${bounds})` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------
// Templates (AlertProvider spec.template, #564 and #926)
// ---------------------------------------------------------------------------------------------------------

export const TEMPLATE_PLACEHOLDERS = [
  'canary',
  'namespace',
  'phase',
  'weight',
  'revision',
  'reason',
  'message',
  'metric',
  'value',
  'threshold',
  'cluster',
] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_PLACEHOLDERS);
/** {{ name }}, {{name}}, {{ .name }} and {{- name -}}, as in Go templates. */
const PLACEHOLDER = /\{\{-?\s*\.?([^{}\s-][^{}\s]*?)\s*-?\}\}/g;

/** What is wrong with a template: unknown placeholders and unbalanced braces. Empty when it renders. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  const unknown = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) if (!KNOWN.has(m[1]!)) unknown.add(m[0]);
  if (unknown.size)
    problems.push(
      `unknown placeholder${unknown.size > 1 ? 's' : ''} ${[...unknown].join(', ')} (known: ${TEMPLATE_PLACEHOLDERS.join(', ')})`,
    );
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) problems.push('a "{{" or "}}" is not part of a {{ placeholder }}');
  return problems;
}

/** The values of the placeholders for one notification; absent ones are empty strings. */
function templateValues(n: Omit<Notification, 'fields'>): Record<Placeholder, string> {
  const m = n.failingMetric;
  return {
    canary: n.canary.name,
    namespace: n.canary.namespace,
    phase: n.phase,
    weight: String(n.weight),
    revision: n.revision,
    reason: n.reason,
    message: n.message,
    metric: m?.name ?? '',
    value: m?.value !== undefined ? formatNumber(m.value) : '',
    threshold: m ? thresholdText(m) : '',
    cluster: n.cluster ?? '',
  };
}

/**
 * The text of a notification through a provider's template. Never throws: a template with problems
 * (reported by validateAlertProvider) gives the default message instead. `escape` applies to the values
 * only, so the template's own receiver markup (Slack mentions, links) goes out as written.
 */
export function renderText(
  template: string | undefined,
  n: Omit<Notification, 'fields'>,
  escape: (s: string) => string = (s) => s,
): string {
  if (!template || templateProblems(template).length) return escape(n.message);
  const values = templateValues(n);
  return template.replace(PLACEHOLDER, (_whole, key: string) => escape(values[key as Placeholder]));
}
