/**
 * One Canary breaking each CEL rule of rules.ts (transition rules aside), as changes to a valid weighted Istio
 * Canary (RULE_EXAMPLE_BASE: stepWeight 20, maxWeight 60, the two built-in metrics). The unit tests check that the operator reports
 * exactly that rule for each; the e2e tests that the API server refuses each with the rule's message.
 */
import type { CanaryAnalysis, CanarySpec } from '../types.js';

export interface RuleExample {
  /** The id of the one rule broken. */
  id: string;
  title: string;
  /** Merged over the base analysis; an undefined value removes the field. */
  analysis?: Partial<CanaryAnalysis>;
  /** Merged over the base spec. */
  spec?: Partial<CanarySpec>;
}

/** A deep-frozen copy of a JSON value. */
function frozen<T>(v: T): T {
  if (v && typeof v === 'object') Object.values(v).forEach(frozen);
  return Object.freeze(v);
}

/** The valid Canary spec every example changes: the e2e tests' weighted Istio canary (fixtures.ts canaryFor). */
export const RULE_EXAMPLE_BASE: Readonly<CanarySpec> = frozen<CanarySpec>({
  provider: 'istio',
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
  service: { port: 9898 },
  progressDeadlineSeconds: 60,
  analysis: {
    interval: '3s',
    threshold: 2,
    stepWeight: 20,
    maxWeight: 60,
    metrics: [
      { name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } },
      { name: 'request-duration', interval: '10s', thresholdRange: { max: 500 } },
    ],
  },
});

/**
 * The base spec with an example's changes merged in, as JSON carries it (a field set to undefined is absent); a new
 * object each call.
 */
export function exampleSpec(ex: Pick<RuleExample, 'analysis' | 'spec'>): CanarySpec {
  const b = RULE_EXAMPLE_BASE;
  return JSON.parse(JSON.stringify({ ...b, ...ex.spec, analysis: { ...b.analysis, ...ex.analysis } })) as CanarySpec;
}

const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];

export const RULE_EXAMPLES: readonly RuleExample[] = [
  { id: 'step-within-max', title: 'a stepWeight above maxWeight', analysis: { stepWeight: 70 } },
  { id: 'step-weights-ascending', title: 'stepWeights going back', analysis: { stepWeight: undefined, stepWeights: [10, 5, 20] } },
  { id: 'step-weights-ascending', title: 'a repeated stepWeights entry', analysis: { stepWeight: undefined, stepWeights: [10, 10] } },
  {
    id: 'steps-ascending',
    title: 'steps with a repeated weight',
    analysis: { stepWeight: undefined, steps: [{ weight: 20 }, { weight: 20, pause: '1m' }] },
  },
  { id: 'one-step-kind', title: 'stepWeight and stepWeights', analysis: { stepWeights: [10, 30] } },
  {
    id: 'one-step-kind',
    title: 'stepWeights and steps',
    analysis: { stepWeight: undefined, stepWeights: [10, 30], steps: [{ weight: 50 }] },
  },
  { id: 'iterations-without-weights', title: 'iterations with a stepWeight', analysis: { iterations: 5 } },
  { id: 'match-needs-iterations', title: 'match without iterations', analysis: { match } },
  { id: 'mirror-not-with-match', title: 'mirror with match', analysis: { stepWeight: undefined, iterations: 5, match, mirror: true } },
  {
    id: 'cookie-names-differ',
    title: 'one cookie name for both sides',
    analysis: { sessionAffinity: { cookieName: 'side', primaryCookieName: 'side' } },
  },
  {
    id: 'custom-metric-query',
    title: 'a custom metric without a query',
    analysis: { metrics: [{ name: 'error-rate', thresholdRange: { max: 1 } }] },
  },
  {
    id: 'threshold-range-ordered',
    title: 'a thresholdRange with min above max',
    analysis: { metrics: [{ name: 'request-duration', thresholdRange: { min: 10, max: 5 } }] },
  },
  {
    id: 'judge-marginal-below-pass',
    title: 'a judge whose marginal score is above its pass score',
    analysis: { judge: { pass: 80, marginal: 90, metrics: [{ name: 'latency', query: 'up{pod=~"{{ target }}-.*"}' }] } },
  },
  {
    id: 'judge-metric-names-unique',
    title: 'two judge metrics of one name',
    analysis: {
      judge: {
        metrics: [
          { name: 'latency', query: 'up{pod=~"{{ target }}-.*"}' },
          { name: 'latency', query: 'up{pod=~"{{ target }}-.*"}', direction: 'decrease' },
        ],
      },
    },
  },
  { id: 'judge-metric-query', title: 'a judge metric without a query', analysis: { judge: { metrics: [{ name: 'latency' }] } } },
  {
    id: 'judge-metric-confidence',
    title: 'a judge metric of confidence 0, written as an integer',
    analysis: { judge: { metrics: [{ name: 'latency', query: 'up{pod=~"{{ target }}-.*"}', confidence: 0 }] } },
  },
  {
    id: 'slo-configmap-key',
    title: 'an OpenSLO reference without its ConfigMap key',
    analysis: { slo: { ref: { kind: 'OpenSLO', name: 'slos' }, scope: [{ label: 'destination_workload', value: '{{ target }}' }] } },
  },
  {
    id: 'slo-configmap-key',
    title: 'a Sloth reference with a ConfigMap key',
    analysis: {
      slo: {
        ref: { kind: 'PrometheusServiceLevel', name: 'podinfo', configMapKey: 'slo.yaml' },
        scope: [{ label: 'destination_workload', value: '{{ target }}' }],
      },
    },
  },
  { id: 'webhook-http', title: 'a webhook over ftp', analysis: { webhooks: [{ name: 'load', url: 'ftp://loadtester/hook' }] } },
  { id: 'webhook-http', title: 'a webhook with a relative URL', analysis: { webhooks: [{ name: 'load', url: '/hook' }] } },
  { id: 'one-analysis', title: 'analysis and canaryAnalysis', spec: { canaryAnalysis: { stepWeight: 10 } } },
  {
    id: 'match-provider',
    title: 'A/B testing on the kubernetes provider',
    spec: { provider: 'kubernetes' },
    analysis: { stepWeight: undefined, iterations: 5, match },
  },
  {
    id: 'mirror-provider',
    title: 'mirroring on linkerd',
    spec: { provider: 'linkerd' },
    analysis: { stepWeight: undefined, iterations: 5, mirror: true },
  },
  {
    id: 'affinity-provider',
    title: 'session affinity on the kubernetes provider',
    spec: { provider: 'kubernetes' },
    analysis: { sessionAffinity: { cookieName: 'side' } },
  },
  {
    id: 'autoscaler-not-daemonset',
    title: 'an autoscaler on a DaemonSet',
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' },
      autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' },
    },
  },
  {
    id: 'autoscaler-api-version',
    title: 'a KEDA ScaledObject in the autoscaling group',
    spec: { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'ScaledObject', name: 'podinfo' } },
  },
  {
    id: 'workload-api-version',
    title: 'a Deployment in extensions/v1beta1',
    spec: { targetRef: { apiVersion: 'extensions/v1beta1', kind: 'Deployment', name: 'podinfo' } },
  },
  { id: 'knative-target', title: 'provider knative with a Deployment target', spec: { provider: 'knative' } },
  {
    id: 'knative-provider',
    title: 'a Knative Service target with provider istio',
    spec: { targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' } },
  },
  { id: 'service-required', title: 'no service on provider istio', spec: { service: undefined } },
];
