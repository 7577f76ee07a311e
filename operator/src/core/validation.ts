import { DurationError, parseDuration } from '../api/duration.js';
import type { CanaryMetric, CanarySpec, CanaryWebhook } from '../api/types.js';
import { analysisOf, strategyOf } from './analysis.js';
import { DURATION, SUCCESS_RATE } from './checks.js';

export interface Capabilities {
  /** Providers the operator has a router for. */
  providers: ReadonlySet<string>;
  /** Providers whose router can split by header/cookie match (A/B) and mirror. */
  matchProviders: ReadonlySet<string>;
  mirrorProviders: ReadonlySet<string>;
  targetKinds: ReadonlySet<string>;
  /** Providers whose router can pin users to the canary with a cookie. */
  affinityProviders: ReadonlySet<string>;
  /** Providers with built-in request-success-rate and request-duration queries. */
  builtinMetricProviders: ReadonlySet<string>;
}

export interface ValidationReport {
  /** The spec is wrong: nothing is done until it is fixed. */
  errors: string[];
  /** The spec is valid but asks for something this operator cannot do yet: nothing is done. */
  unsupported: string[];
  /** Accepted and not acted upon, or adjusted as Flagger does; the release still runs. */
  notices: string[];
}

const MIN_INTERVAL_MS = 1000;

/** Checks a Canary spec beyond what the CRD schema can express. Pure. */
export function validateCanary(spec: CanarySpec, provider: string, caps: Capabilities): ValidationReport {
  const r: ValidationReport = { errors: [], unsupported: [], notices: [] };
  checkTarget(spec, caps, r);
  checkProvider(spec, provider, caps, r);
  checkAnalysis(spec, provider, r);
  const a = analysisOf(spec);
  (a.metrics ?? []).forEach((m, i) => checkMetric(m, `spec.analysis.metrics[${i}]`, r));
  checkBuiltins(spec, provider, caps, r);
  (a.webhooks ?? []).forEach((w, i) => checkWebhook(w, `spec.analysis.webhooks[${i}]`, r));
  const scaler = spec.autoscalerRef as { kind?: string } | undefined;
  if (scaler?.kind === 'ScaledObject') r.unsupported.push('autoscalerRef kind ScaledObject (KEDA) is not supported yet: it would scale the target back up while it is meant to be at zero');
  if (scaler && spec.targetRef?.kind === 'DaemonSet') r.errors.push('spec.autoscalerRef cannot apply to a DaemonSet target');
  return r;
}

function checkTarget(spec: CanarySpec, caps: Capabilities, r: ValidationReport): void {
  if (!spec.service) r.errors.push('spec.service is required (at least service.port)');
  if (spec.targetRef && !caps.targetKinds.has(spec.targetRef.kind)) {
    r.unsupported.push(`targetRef.kind ${spec.targetRef.kind} is not supported yet (supported: ${[...caps.targetKinds].join(', ')})`);
  }
  if (spec.targetRef?.apiVersion && spec.targetRef.kind === 'Deployment' && spec.targetRef.apiVersion !== 'apps/v1') {
    r.errors.push(`targetRef.apiVersion ${spec.targetRef.apiVersion} is not served for Deployments: use apps/v1`);
  }
}

function checkProvider(spec: CanarySpec, provider: string, caps: Capabilities, r: ValidationReport): void {
  if (!caps.providers.has(provider)) {
    r.unsupported.push(`provider ${provider} is not supported yet (supported: ${[...caps.providers].join(', ')})`);
    return;
  }
  const a = analysisOf(spec);
  if ((a.match?.length ?? 0) > 0 && !caps.matchProviders.has(provider)) r.unsupported.push(`analysis.match (A/B testing) is not supported by provider ${provider}`);
  if (a.mirror && !caps.mirrorProviders.has(provider)) r.unsupported.push(`analysis.mirror is not supported by provider ${provider}`);
  if (a.sessionAffinity && !caps.affinityProviders.has(provider)) r.unsupported.push(`analysis.sessionAffinity is not supported by provider ${provider} (supported: ${[...caps.affinityProviders].join(', ')})`);
}

function checkAnalysis(spec: CanarySpec, provider: string, r: ValidationReport): void {
  const a = analysisOf(spec);
  if (a.interval !== undefined) checkDuration(a.interval, 'spec.analysis.interval', r, MIN_INTERVAL_MS);
  const strategy = strategyOf(a);
  const steps = a.steps?.length ? a.steps.map((x) => x.weight) : (a.stepWeights ?? []);
  (a.steps ?? []).forEach((x, i) => x.pause !== undefined && checkDuration(x.pause, `spec.analysis.steps[${i}].pause`, r));
  if (a.steps?.length && a.stepWeights?.length) r.notices.push('spec.analysis.stepWeights is ignored: analysis.steps is set');
  if (steps.some((w, i) => i > 0 && w <= steps[i - 1]!)) r.errors.push(`spec.analysis.${a.steps?.length ? 'steps' : 'stepWeights'} must be strictly ascending, got [${steps.join(', ')}]`);
  if (strategy === 'canary' && provider === 'kubernetes' && !spec.skipAnalysis) {
    r.notices.push('provider kubernetes cannot split traffic: the release runs as blue/green with analysis.iterations (10 when unset)');
  } else if (strategy === 'canary' && !a.stepWeight && steps.length === 0 && !spec.skipAnalysis) {
    r.errors.push('spec.analysis needs stepWeight, stepWeights, steps or iterations');
  }
  if (a.mirror && strategy === 'ab-testing') r.errors.push('spec.analysis.mirror cannot be combined with A/B testing (match)');
  const sa = a.sessionAffinity;
  if (sa && sa.primaryCookieName === sa.cookieName) r.errors.push('spec.analysis.sessionAffinity.primaryCookieName must differ from cookieName');
  if (sa && strategy !== 'canary') r.notices.push('spec.analysis.sessionAffinity applies to weighted canary releases only: it is ignored for this strategy');
  if (a.mirrorWeight !== undefined && !a.mirror) r.notices.push('spec.analysis.mirrorWeight has no effect without mirror: true');
  if ((a.match?.length ?? 0) > 0 && strategy !== 'ab-testing') r.errors.push('spec.analysis.match needs analysis.iterations for A/B testing');
}

function checkMetric(m: CanaryMetric, path: string, r: ValidationReport): void {
  if (m.interval !== undefined) checkDuration(m.interval, `${path}.interval`, r);
  const builtin = m.name === SUCCESS_RATE || m.name === DURATION;
  if (!builtin && !m.templateRef && !m.query) r.errors.push(`${path} (${m.name}) needs templateRef or query: only ${SUCCESS_RATE} and ${DURATION} are built in`);
  const range = m.thresholdRange;
  if (range?.min !== undefined && range.max !== undefined && range.min > range.max) r.errors.push(`${path}.thresholdRange has min ${range.min} > max ${range.max}`);
}

function checkBuiltins(spec: CanarySpec, provider: string, caps: Capabilities, r: ValidationReport): void {
  if (caps.builtinMetricProviders.has(provider) || !caps.providers.has(provider)) return;
  for (const m of analysisOf(spec).metrics ?? []) {
    if ((m.name === SUCCESS_RATE || m.name === DURATION) && !m.templateRef && !m.query) {
      r.errors.push(`metric ${m.name} has no built-in query for provider ${provider}: give it a templateRef to a MetricTemplate`);
    }
  }
}

function checkWebhook(w: CanaryWebhook, path: string, r: ValidationReport): void {
  if (w.timeout !== undefined) checkDuration(w.timeout, `${path}.timeout`, r);
  try {
    const url = new URL(w.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') r.errors.push(`${path}.url must be http or https, got ${url.protocol}`);
  } catch {
    r.errors.push(`${path}.url is not a valid URL: ${w.url}`);
  }
}

function checkDuration(value: string, path: string, r: ValidationReport, minMs = 0): void {
  try {
    const ms = parseDuration(value);
    if (ms < minMs) r.errors.push(`${path} must be at least ${minMs / 1000}s, got ${value}`);
  } catch (err) {
    r.errors.push(`${path}: ${err instanceof DurationError ? err.message : String(err)}`);
  }
}
