import { ROUTED_PROVIDERS, capabilitiesOf, routesByService } from '@tollgate/contract/capabilities';
import { canarySpecSchema } from '../api/crd/canary.js';
import { DurationError, parseDuration } from '../api/duration.js';
import type { CanaryMetric, CanarySpec, CanaryWebhook } from '../api/types.js';
import { analysisOf, runsReplicaRatio, strategyOf } from './analysis.js';
import { DURATION, SUCCESS_RATE } from '../api/metric-names.js';
import { ruleViolations } from './rules.js';
import { targetKeyOf } from './target-key.js';

/**
 * What this operator can drive. Which providers can match, mirror or pin sessions is not here: the CRD's CEL rules
 * carry it (generated from contract/src/capabilities.ts), and validateCanary evaluates them with the provider in effect.
 */
export interface Capabilities {
  /** Providers the operator has a router for. */
  providers: ReadonlySet<string>;
  targetKinds: ReadonlySet<string>;
  /** Target kinds released in place (model in-place: StatefulSet), whose pods split the traffic; none when absent. */
  inPlaceKinds?: ReadonlySet<string>;
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

/** One entry of a ValidationReport, with the field it is about. */
export interface ValidationIssue {
  kind: 'error' | 'unsupported' | 'notice';
  /** The field, as the API server prints paths: spec.analysis.metrics[0], map keys in brackets; spec for the whole. */
  path: string;
  /** The text, as the report lists it. */
  message: string;
  /** Set when a CEL rule of the CRD is broken: the rule's own message (message is `path: rule`). */
  rule?: string;
}

const MIN_INTERVAL_MS = 1000;

/** The providers that can route an in-place target by weight (capability routesByService). */
const IN_PLACE_MESHES = ROUTED_PROVIDERS.filter(routesByService);

const SPEC_SCHEMA = canarySpecSchema();

/** What validateCanary reports, entry by entry, in the same order. */
export function canaryIssues(spec: CanarySpec, provider: string, caps: Capabilities): ValidationIssue[] {
  const r = new Issues();
  for (const v of ruleViolations(SPEC_SCHEMA, { ...spec, provider }, 'spec'))
    r.list.push({ kind: 'error', path: v.path, message: `${v.path}: ${v.message}`, rule: v.message });
  const an = spec.analysis || !spec.canaryAnalysis ? 'spec.analysis' : 'spec.canaryAnalysis';
  checkTarget(spec, caps, r);
  checkProvider(spec, provider, caps, r);
  const inPlace = spec.targetRef !== undefined && caps.inPlaceKinds?.has(targetKeyOf(spec.targetRef)) === true;
  if (inPlace) checkInPlace(spec, provider, an, r);
  checkAnalysis(spec, provider, an, r, inPlace);
  const a = analysisOf(spec);
  (a.metrics ?? []).forEach((m, i) => checkMetric(m, `${an}.metrics[${i}]`, r));
  checkBuiltins(spec, provider, caps, an, r);
  (a.webhooks ?? []).forEach((w, i) => checkWebhook(w, `${an}.webhooks[${i}]`, r));
  return r.list;
}

/**
 * Checks a Canary spec: the CRD's CEL rules (the API server's messages, for servers without CEL and objects older
 * than a rule), with the provider in effect, then what needs the operator's configuration. Pure.
 */
export function validateCanary(spec: CanarySpec, provider: string, caps: Capabilities): ValidationReport {
  const issues = canaryIssues(spec, provider, caps);
  const of = (kind: ValidationIssue['kind']): string[] => issues.filter((i) => i.kind === kind).map((i) => i.message);
  return { errors: of('error'), unsupported: of('unsupported'), notices: of('notice') };
}

class Issues {
  readonly list: ValidationIssue[] = [];
  error(path: string, message: string): void {
    this.list.push({ kind: 'error', path, message });
  }
  unsupported(path: string, message: string): void {
    this.list.push({ kind: 'unsupported', path, message });
  }
  notice(path: string, message: string): void {
    this.list.push({ kind: 'notice', path, message });
  }
}

function checkTarget(spec: CanarySpec, caps: Capabilities, r: Issues): void {
  if (spec.targetRef && !caps.targetKinds.has(targetKeyOf(spec.targetRef))) {
    r.unsupported(
      'spec.targetRef.kind',
      `targetRef.kind ${targetKeyOf(spec.targetRef)} is not supported yet (supported: ${[...caps.targetKinds].join(', ')})`,
    );
  }
}

/** The provider's field, or the spec when it is unset (the operator's default is in effect). */
const providerPath = (spec: CanarySpec): string => (spec.provider ? 'spec.provider' : 'spec');

function checkProvider(spec: CanarySpec, provider: string, caps: Capabilities, r: Issues): void {
  if (!caps.providers.has(provider))
    r.unsupported(providerPath(spec), `provider ${provider} is not supported yet (supported: ${[...caps.providers].join(', ')})`);
}

/**
 * A target released in place splits traffic by its pods (the share on the new revision is the weight), through the
 * apex Service of the kubernetes provider, or by a mesh's weights through its -primary and -canary Services (which
 * select by controller-revision-hash: capability routesByService); blue/green or A/B testing would analyse a canary
 * with no pods.
 */
function checkInPlace(spec: CanarySpec, provider: string, an: string, r: Issues): void {
  const kind = spec.targetRef.kind;
  if (provider !== 'kubernetes' && !routesByService(provider))
    r.unsupported(
      providerPath(spec),
      `targetRef.kind ${kind} is released in place with provider kubernetes, or a provider that routes through the -primary and -canary Services (${IN_PLACE_MESHES.join(', ')}), not provider ${provider}`,
    );
  const a = analysisOf(spec);
  if (strategyOf(a) !== 'canary' || a.mirror)
    r.unsupported(
      `${an}.iterations`,
      `targetRef.kind ${kind} moves pods to the new revision by weight: give ${an}.stepWeight or stepWeights (blue/green, A/B testing and mirroring are not supported for it)`,
    );
  if (a.judge?.metrics?.length)
    r.unsupported(
      `${an}.judge`,
      `${an}.judge is not supported for targetRef.kind ${kind} yet: it samples {{ target }} and {{ target }}-primary, and a StatefulSet released in place has no -primary workload`,
    );
  if (a.slo)
    r.unsupported(
      `${an}.slo`,
      `${an}.slo is not supported for targetRef.kind ${kind} yet: it scopes the SLI to {{ target }} and {{ target }}-primary, and a StatefulSet released in place has no -primary workload`,
    );
  if (spec.autoscalerRef)
    r.notice(
      'spec.autoscalerRef',
      `spec.autoscalerRef is not acted upon for targetRef.kind ${kind}: there is no primary copy to scale, the autoscaler keeps scaling ${spec.targetRef.name} itself`,
    );
}

function checkAnalysis(spec: CanarySpec, provider: string, an: string, r: Issues, podSplit = false): void {
  const a = analysisOf(spec);
  if (a.interval !== undefined) checkDuration(a.interval, `${an}.interval`, r, MIN_INTERVAL_MS);
  const strategy = strategyOf(a);
  (a.steps ?? []).forEach((x, i) => x.pause !== undefined && checkDuration(x.pause, `${an}.steps[${i}].pause`, r));
  checkWeights(spec, provider, an, r, podSplit);
  if (a.sessionAffinity && strategy !== 'canary')
    r.notice(`${an}.sessionAffinity`, `${an}.sessionAffinity applies to weighted canary releases only: it is ignored for this strategy`);
  if (a.mirrorWeight !== undefined && !a.mirror) r.notice(`${an}.mirrorWeight`, `${an}.mirrorWeight has no effect without mirror: true`);
}

/** How a weighted canary runs on this provider and target: by replica ratio, as blue/green (said), or it lacks weights. */
function checkWeights(spec: CanarySpec, provider: string, an: string, r: Issues, podSplit: boolean): void {
  const a = analysisOf(spec);
  if (strategyOf(a) !== 'canary' || spec.skipAnalysis) return;
  // A replica ratio: the weight is the canary's share of the apex Service's pods (status.effectiveWeight).
  if (!podSplit && runsReplicaRatio(spec, provider)) return;
  const steps = a.steps?.length ? a.steps : (a.stepWeights ?? []);
  if (capabilitiesOf(provider)?.split === false && !podSplit)
    r.notice(
      providerPath(spec),
      `provider ${provider} cannot split traffic: the release runs as blue/green with analysis.iterations (10 when unset)`,
    );
  else if (!a.stepWeight && steps.length === 0) r.error(an, `${an} needs stepWeight, stepWeights, steps or iterations`);
}

function checkMetric(m: CanaryMetric, path: string, r: Issues): void {
  if (m.interval !== undefined) checkDuration(m.interval, `${path}.interval`, r);
}

function checkBuiltins(spec: CanarySpec, provider: string, caps: Capabilities, an: string, r: Issues): void {
  if (caps.builtinMetricProviders.has(provider) || !caps.providers.has(provider)) return;
  (analysisOf(spec).metrics ?? []).forEach((m, i) => {
    if ((m.name === SUCCESS_RATE || m.name === DURATION) && !m.templateRef && !m.query) {
      r.error(
        `${an}.metrics[${i}]`,
        `metric ${m.name} has no built-in query for provider ${provider}: give it a templateRef to a MetricTemplate`,
      );
    }
  });
}

function checkWebhook(w: CanaryWebhook, path: string, r: Issues): void {
  if (w.timeout !== undefined) checkDuration(w.timeout, `${path}.timeout`, r);
  // The scheme is a CEL rule (webhook-http); what passes it must still parse.
  if (!URL.canParse(w.url) && /^https?:\/\//i.test(w.url)) r.error(`${path}.url`, `${path}.url is not a valid URL: ${w.url}`);
}

function checkDuration(value: string, path: string, r: Issues, minMs = 0): void {
  try {
    const ms = parseDuration(value);
    if (ms < minMs) r.error(path, `${path} must be at least ${minMs / 1000}s, got ${value}`);
  } catch (err) {
    r.error(path, `${path}: ${err instanceof DurationError ? err.message : String(err)}`);
  }
}
