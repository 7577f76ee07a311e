import { canarySpecSchema } from '../api/crd/canary.js';
import { DurationError, parseDuration } from '../api/duration.js';
import type { CanaryMetric, CanarySpec, CanaryWebhook } from '../api/types.js';
import { analysisOf, strategyOf } from './analysis.js';
import { DURATION, SUCCESS_RATE } from './checks.js';
import { ruleViolations } from './rules.js';

/**
 * What this operator can drive. Which providers can match, mirror or pin sessions is not here: the CRD's CEL rules
 * carry it (generated from routers/capabilities.ts), and validateCanary evaluates them with the provider in effect.
 */
export interface Capabilities {
  /** Providers the operator has a router for. */
  providers: ReadonlySet<string>;
  targetKinds: ReadonlySet<string>;
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

const SPEC_SCHEMA = canarySpecSchema();

/**
 * Checks a Canary spec: the CRD's CEL rules (the API server's messages, for servers without CEL and objects older
 * than a rule), with the provider in effect, then what needs the operator's configuration. Pure.
 */
export function validateCanary(spec: CanarySpec, provider: string, caps: Capabilities): ValidationReport {
  const r: ValidationReport = { errors: [], unsupported: [], notices: [] };
  for (const v of ruleViolations(SPEC_SCHEMA, { ...spec, provider }, 'spec')) r.errors.push(`${v.path}: ${v.message}`);
  checkTarget(spec, caps, r);
  checkProvider(provider, caps, r);
  checkAnalysis(spec, provider, r);
  const a = analysisOf(spec);
  (a.metrics ?? []).forEach((m, i) => checkMetric(m, `spec.analysis.metrics[${i}]`, r));
  checkBuiltins(spec, provider, caps, r);
  (a.webhooks ?? []).forEach((w, i) => checkWebhook(w, `spec.analysis.webhooks[${i}]`, r));
  const scaler = spec.autoscalerRef as { kind?: string } | undefined;
  if (scaler?.kind === 'ScaledObject') r.unsupported.push('autoscalerRef kind ScaledObject (KEDA) is not supported yet: it would scale the target back up while it is meant to be at zero');
  return r;
}

function checkTarget(spec: CanarySpec, caps: Capabilities, r: ValidationReport): void {
  if (!spec.service) r.errors.push('spec.service is required (at least service.port)');
  if (spec.targetRef && !caps.targetKinds.has(spec.targetRef.kind)) {
    r.unsupported.push(`targetRef.kind ${spec.targetRef.kind} is not supported yet (supported: ${[...caps.targetKinds].join(', ')})`);
  }
}

function checkProvider(provider: string, caps: Capabilities, r: ValidationReport): void {
  if (!caps.providers.has(provider)) r.unsupported.push(`provider ${provider} is not supported yet (supported: ${[...caps.providers].join(', ')})`);
}

function checkAnalysis(spec: CanarySpec, provider: string, r: ValidationReport): void {
  const a = analysisOf(spec);
  if (a.interval !== undefined) checkDuration(a.interval, 'spec.analysis.interval', r, MIN_INTERVAL_MS);
  const strategy = strategyOf(a);
  const steps = a.steps?.length ? a.steps : (a.stepWeights ?? []);
  (a.steps ?? []).forEach((x, i) => x.pause !== undefined && checkDuration(x.pause, `spec.analysis.steps[${i}].pause`, r));
  if (strategy === 'canary' && provider === 'kubernetes' && !spec.skipAnalysis) {
    r.notices.push('provider kubernetes cannot split traffic: the release runs as blue/green with analysis.iterations (10 when unset)');
  } else if (strategy === 'canary' && !a.stepWeight && steps.length === 0 && !spec.skipAnalysis) {
    r.errors.push('spec.analysis needs stepWeight, stepWeights, steps or iterations');
  }
  if (a.sessionAffinity && strategy !== 'canary') r.notices.push('spec.analysis.sessionAffinity applies to weighted canary releases only: it is ignored for this strategy');
  if (a.mirrorWeight !== undefined && !a.mirror) r.notices.push('spec.analysis.mirrorWeight has no effect without mirror: true');
}

function checkMetric(m: CanaryMetric, path: string, r: ValidationReport): void {
  if (m.interval !== undefined) checkDuration(m.interval, `${path}.interval`, r);
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
  // The scheme is a CEL rule (webhook-http); what passes it must still parse.
  if (!URL.canParse(w.url) && /^https?:\/\//i.test(w.url)) r.errors.push(`${path}.url is not a valid URL: ${w.url}`);
}

function checkDuration(value: string, path: string, r: ValidationReport, minMs = 0): void {
  try {
    const ms = parseDuration(value);
    if (ms < minMs) r.errors.push(`${path} must be at least ${minMs / 1000}s, got ${value}`);
  } catch (err) {
    r.errors.push(`${path}: ${err instanceof DurationError ? err.message : String(err)}`);
  }
}
