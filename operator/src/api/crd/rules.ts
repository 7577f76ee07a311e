/**
 * The Canary's CEL validation rules, as data. The CRD generator writes them into the schema
 * (x-kubernetes-validations), so the API server refuses a breaking object at apply time; the operator evaluates the
 * very same expressions on the Canaries it reads (core/rules.ts), so a server without CEL still gets the same
 * message in a condition. One definition, two enforcers: they cannot drift.
 *
 * Cost: every list a rule iterates has maxItems, every message is a plain string (no messageExpression).
 */
import { IN_FLIGHT_PHASES } from '@tollgate/contract/phases';
import { DURATION, SUCCESS_RATE } from '../metric-names.js';
import { type MeshCapabilities, providersWith, providersWithout } from '@tollgate/contract/capabilities';

export interface CelRule {
  /** Stable name, used by the docs and the tests. */
  id: string;
  /** CEL with `self` bound to the object the rule sits on; a rule naming `oldSelf` is a transition rule (updates only). */
  rule: string;
  message: string;
  /** Why the rule exists, for docs/validation.md. */
  why: string;
}

/** Metric names with a built-in query. */
const BUILTIN_METRICS = [SUCCESS_RATE, DURATION] as const;

const orList = (values: readonly string[]): string => `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
const celList = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`;
const nonEmpty = (field: string): string => `has(self.${field}) && size(self.${field}) > 0`;
const stepFields = `[has(self.stepWeight) && self.stepWeight > 0, ${nonEmpty('stepWeights')}, ${nonEmpty('steps')}]`;

/** On spec.analysis (and its alias spec.canaryAnalysis). */
export const ANALYSIS_RULES: readonly CelRule[] = [
  {
    id: 'step-within-max',
    rule: '!has(self.stepWeight) || !has(self.maxWeight) || self.maxWeight == 0 || self.stepWeight <= self.maxWeight',
    message: 'stepWeight must not exceed maxWeight',
    why: 'The first step would jump straight to maxWeight (the operator stops there): a one-step release, rarely what was meant.',
  },
  {
    id: 'step-weights-ascending',
    rule: '!has(self.stepWeights) || (self.stepWeights.isSorted() && self.stepWeights.all(w, self.stepWeights.exists_one(x, x == w)))',
    message: 'stepWeights must be strictly ascending',
    why: 'The weight only moves forward during a run; a step back or a repeated step is a typo.',
  },
  {
    id: 'steps-ascending',
    rule: '!has(self.steps) || (self.steps.map(s, s.weight).isSorted() && self.steps.all(s, self.steps.exists_one(t, t.weight == s.weight)))',
    message: 'steps must have strictly ascending weights',
    why: 'As for stepWeights.',
  },
  {
    id: 'one-step-kind',
    rule: `${stepFields}.filter(x, x).size() <= 1`,
    message: 'stepWeight, stepWeights and steps are mutually exclusive: set one',
    why: 'Only one of them can drive the weight; the others would be ignored without a word.',
  },
  {
    id: 'iterations-without-weights',
    rule: `!has(self.iterations) || self.iterations == 0 || !${stepFields}.exists(x, x)`,
    message: 'iterations (blue/green or A/B testing) cannot be combined with stepWeight, stepWeights or steps',
    why: 'With iterations the release is blue/green (or A/B with match) and the weights would be ignored without a word.',
  },
  {
    id: 'match-needs-iterations',
    rule: `!(${nonEmpty('match')}) || (has(self.iterations) && self.iterations > 0)`,
    message: 'match (A/B testing) needs iterations',
    why: 'A/B testing runs a fixed number of iterations; without them match would be ignored and the release weighted.',
  },
  {
    id: 'mirror-not-with-match',
    rule: `!has(self.mirror) || !self.mirror || !(${nonEmpty('match')})`,
    message: 'mirror cannot be combined with match (A/B testing)',
    why: 'A/B testing sends the matched requests to the canary; mirroring would send copies of the same requests there too.',
  },
];

export const SESSION_AFFINITY_RULES: readonly CelRule[] = [
  {
    id: 'cookie-names-differ',
    rule: '!has(self.primaryCookieName) || self.primaryCookieName != self.cookieName',
    message: 'primaryCookieName must differ from cookieName',
    why: 'One cookie cannot pin a user to both sides.',
  },
];

/** On each item of analysis.metrics. */
export const METRIC_RULES: readonly CelRule[] = [
  {
    id: 'custom-metric-query',
    rule: `self.name in ${celList(BUILTIN_METRICS)} || has(self.templateRef) || has(self.query)`,
    message: `a metric other than ${BUILTIN_METRICS.join(' and ')} needs templateRef or query`,
    why: 'Only the two built-in metrics have a query of their own.',
  },
];

export const THRESHOLD_RANGE_RULES: readonly CelRule[] = [
  {
    id: 'threshold-range-ordered',
    rule: '!has(self.min) || !has(self.max) || self.min <= self.max',
    message: 'thresholdRange min must not exceed max',
    why: 'No value can pass: every check fails and the release is rolled back.',
  },
];

/** On analysis.judge. */
export const JUDGE_RULES: readonly CelRule[] = [
  {
    id: 'judge-marginal-below-pass',
    rule: '(has(self.marginal) ? self.marginal : 75.0) <= (has(self.pass) ? self.pass : 95.0)',
    message: 'judge marginal must not exceed pass (defaults: marginal 75, pass 95)',
    why: 'A score between pass and marginal holds the step; with marginal above pass no score could hold it, so the setting is a typo.',
  },
  {
    id: 'judge-metric-names-unique',
    rule: 'self.metrics.all(m, self.metrics.exists_one(n, n.name == m.name))',
    message: 'judge metric names must be unique',
    why: 'The judgement in the status names each metric; two of one name could not be told apart.',
  },
];

/** On each item of analysis.judge.metrics. */
export const JUDGE_METRIC_RULES: readonly CelRule[] = [
  {
    id: 'judge-metric-query',
    rule: '(has(self.query) && size(self.query) > 0) || has(self.templateRef)',
    message: 'a judge metric needs query or templateRef',
    why: 'The judge has no built-in metrics: it runs the same query for the canary and the primary.',
  },
  {
    id: 'judge-metric-confidence',
    rule: '!has(self.confidence) || self.confidence >= 0.5',
    message: 'judge metric confidence must be at least 0.5',
    why: "The schema's minimum 0.5 lets an integer 0 through (kube-apiserver checks an integer against its bounds truncated to integers), and confidence 0 would count any difference as significant.",
  },
];

/** On analysis.slo. */
export const SLO_RULES: readonly CelRule[] = [
  {
    id: 'slo-configmap-key',
    rule: "(self.ref.kind == 'OpenSLO') == (has(self.ref.configMapKey) && size(self.ref.configMapKey) > 0)",
    message: 'slo.ref.configMapKey is needed for kind OpenSLO and only for it',
    why: 'An OpenSLO document lives in a ConfigMap key; Sloth and Pyrra objects are read whole, so a key there would be ignored.',
  },
];

/** On each item of analysis.webhooks. */
export const WEBHOOK_RULES: readonly CelRule[] = [
  {
    id: 'webhook-http',
    // Schemes are case-insensitive (RFC 3986): HTTP://host/ is accepted too. Not matches() or lowerAscii(): their
    // estimated cost grows with the URL's length, which is unbounded, and the API server refuses the CRD.
    rule: "['http://', 'https://', 'HTTP://', 'HTTPS://'].exists(p, self.url.startsWith(p))",
    message: 'url must start with http:// or https://',
    why: 'Webhooks are HTTP calls; any other scheme fails at the first step of the run.',
  },
];

/** Whether analysis or canaryAnalysis sets a field; `used` tells what counts as set (e.g. a non-empty list). */
const analysisUses = (field: string, used: (ref: string) => string): string =>
  ['analysis', 'canaryAnalysis'].map((a) => `(has(self.${a}) && has(self.${a}.${field}) && ${used(`self.${a}.${field}`)})`).join(' || ');

const capabilityRule = (id: string, field: string, used: (ref: string) => string, capability: keyof MeshCapabilities): CelRule => {
  const incapable = providersWithout(capability);
  return {
    id,
    rule: `!has(self.provider) || !(self.provider in ${celList(incapable)}) || !(${analysisUses(field, used)})`,
    message: `analysis.${field} is not possible with this provider: use ${orList(providersWith(capability))}`,
    why:
      "The routers of the refused providers cannot do it; the lists come from contract/src/capabilities.ts, as the operator's. " +
      'A provider Tollgate does not drive yet is reported by the operator, and an unset provider (the operator default) is checked by the operator.',
  };
};

/** On spec. */
export const SPEC_RULES: readonly CelRule[] = [
  {
    id: 'one-analysis',
    rule: '!has(self.analysis) || !has(self.canaryAnalysis)',
    message: 'analysis and its deprecated alias canaryAnalysis are mutually exclusive',
    why: 'canaryAnalysis would be ignored without a word.',
  },
  capabilityRule('match-provider', 'match', (ref) => `size(${ref}) > 0`, 'match'),
  capabilityRule('mirror-provider', 'mirror', (ref) => ref, 'mirror'),
  capabilityRule('affinity-provider', 'sessionAffinity', () => 'true', 'sessionAffinity'),
  {
    id: 'autoscaler-not-daemonset',
    rule: "!has(self.autoscalerRef) || self.targetRef.kind != 'DaemonSet'",
    message: 'autoscalerRef cannot apply to a DaemonSet target',
    why: 'A DaemonSet runs one pod per node: there is nothing to scale.',
  },
  {
    id: 'autoscaler-api-version',
    rule: "!has(self.autoscalerRef) || !has(self.autoscalerRef.apiVersion) || self.autoscalerRef.apiVersion == '' || (self.autoscalerRef.kind == 'ScaledObject' ? self.autoscalerRef.apiVersion == 'keda.sh/v1alpha1' : self.autoscalerRef.apiVersion.startsWith('autoscaling/'))",
    message: 'autoscalerRef.apiVersion must be keda.sh/v1alpha1 for a ScaledObject and autoscaling/<version> for a HorizontalPodAutoscaler',
    why: 'The kind names the object the operator reads; an apiVersion of another group names an object it would never find.',
  },
  {
    id: 'workload-api-version',
    rule: "!has(self.targetRef.apiVersion) || !(self.targetRef.kind in ['Deployment', 'DaemonSet', 'StatefulSet']) || self.targetRef.apiVersion in ['', 'apps/v1']",
    message: 'targetRef.apiVersion must be apps/v1 for a Deployment, DaemonSet or StatefulSet',
    why: 'Older groups (extensions/v1beta1, apps/v1beta2) are no longer served: the target could never be read.',
  },
  {
    id: 'knative-target',
    rule: "!has(self.provider) || self.provider != 'knative' || (self.targetRef.kind == 'Service' && has(self.targetRef.apiVersion) && self.targetRef.apiVersion == 'serving.knative.dev/v1')",
    message: 'provider knative releases a Knative Service: targetRef must be apiVersion serving.knative.dev/v1, kind Service',
    why: 'The knative router splits traffic between the Revisions of a Knative Service: another target has none.',
  },
  {
    id: 'knative-provider',
    rule: "!has(self.targetRef.apiVersion) || !self.targetRef.apiVersion.startsWith('serving.knative.dev/') || (has(self.provider) && self.provider == 'knative')",
    message: 'a Knative Service target (serving.knative.dev) needs provider: knative',
    why: "Only Knative routes between a Knative Service's Revisions: another provider's routes would point at Services that are never made.",
  },
  {
    id: 'service-required',
    rule: "has(self.service) || (has(self.provider) && self.provider == 'knative')",
    message: 'service is required (at least service.port), except with provider knative',
    why: 'The generated Services take their port from it; a Knative Service routes by its own spec.traffic and needs none.',
  },
];

const midRelease = `has(oldSelf.status) && has(oldSelf.status.phase) && oldSelf.status.phase in ${celList(IN_FLIGHT_PHASES)}`;
const unchanged = (field: string): string =>
  `(has(self.spec.${field}) ? self.spec.${field} : '') == (has(oldSelf.spec.${field}) ? oldSelf.spec.${field} : '')`;

/** On the Canary object; transition rules, checked on updates only. */
export const CANARY_RULES: readonly CelRule[] = [
  {
    id: 'target-fixed-mid-release',
    rule: `!(${midRelease}) || (self.spec.targetRef.kind == oldSelf.spec.targetRef.kind && self.spec.targetRef.name == oldSelf.spec.targetRef.name)`,
    message: 'spec.targetRef cannot change while a release is in progress: wait for it to end, or abort it (tollgate.dev/abort) first',
    why: 'The primary, the Services and the routes are named after the target: switched mid-run, the run would go on with objects made for another workload.',
  },
  {
    id: 'provider-fixed-mid-release',
    rule: `!(${midRelease}) || ${unchanged('provider')}`,
    message: 'spec.provider cannot change while a release is in progress: wait for it to end, or abort it (tollgate.dev/abort) first',
    why: "The old provider's routes would keep their canary weight while the new provider starts from zero: two routers, one traffic split.",
  },
];

/** True for a rule the API server checks on updates only (it names oldSelf); the operator has no old object to give it. */
export const isTransitionRule = (r: { rule: string }): boolean => /\boldSelf\b/.test(r.rule);

/** A schema with the rules attached as x-kubernetes-validations (plain messages: their cost is nil). */
export const withRules = (schema: Record<string, unknown>, rules: readonly CelRule[]): Record<string, unknown> => ({
  ...schema,
  'x-kubernetes-validations': rules.map(({ rule, message }) => ({ rule, message })),
});

export const ALL_RULES: readonly CelRule[] = [
  ...CANARY_RULES,
  ...SPEC_RULES,
  ...ANALYSIS_RULES,
  ...SESSION_AFFINITY_RULES,
  ...METRIC_RULES,
  ...THRESHOLD_RANGE_RULES,
  ...JUDGE_RULES,
  ...JUDGE_METRIC_RULES,
  ...SLO_RULES,
  ...WEBHOOK_RULES,
];
