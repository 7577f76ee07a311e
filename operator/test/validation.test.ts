import type { CanaryAnalysis, CanarySpec } from '../src/api/types.js';
import { validateCanary, type Capabilities, type ValidationReport } from '../src/core/validation.js';

const caps: Capabilities = {
  providers: new Set(['istio', 'kubernetes', 'gatewayapi:v1']),
  targetKinds: new Set(['Deployment']),
  builtinMetricProviders: new Set(['istio', 'kubernetes']),
};

const metric = { name: 'request-success-rate', thresholdRange: { min: 99 } };
const spec = (analysis: CanaryAnalysis = {}, extra: Partial<CanarySpec> = {}): CanarySpec => ({
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
  service: { port: 9898 },
  analysis: { interval: '30s', stepWeight: 10, metrics: [metric], ...analysis },
  ...extra,
});
const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
const clean: ValidationReport = { errors: [], unsupported: [], notices: [] };

describe('validateCanary on valid specs', () => {
  it.each<[string, CanarySpec, string]>([
    ['a weighted canary on istio', spec(), 'istio'],
    ['a stepWeights canary on istio', spec({ stepWeight: undefined, stepWeights: [1, 10, 50] }), 'istio'],
    ['blue/green with iterations on kubernetes', spec({ stepWeight: undefined, iterations: 5 }), 'kubernetes'],
    ['a weighted Deployment canary on kubernetes (replica ratio)', spec(), 'kubernetes'],
    ['a stepWeights Deployment canary on kubernetes (replica ratio)', spec({ stepWeight: undefined, stepWeights: [20, 50] }), 'kubernetes'],
    ['A/B testing on istio', spec({ stepWeight: undefined, iterations: 5, match }), 'istio'],
    ['mirroring on istio with a mirrorWeight', spec({ mirror: true, mirrorWeight: 50 }), 'istio'],
    ['the deprecated canaryAnalysis alias', { ...spec(), analysis: undefined, canaryAnalysis: { stepWeight: 20 } }, 'istio'],
    ['skipAnalysis without steps', spec({ stepWeight: undefined }, { skipAnalysis: true }), 'istio'],
    ['a targetRef without apiVersion', spec({}, { targetRef: { kind: 'Deployment', name: 'podinfo' } }), 'istio'],
    [
      'custom metrics with a query or a templateRef',
      spec({
        metrics: [
          { name: 'errors', query: 'sum(x)' },
          { name: 'lat', templateRef: { name: 't' }, interval: '1m' },
        ],
      }),
      'istio',
    ],
    [
      'webhooks over http and https',
      spec({
        webhooks: [
          { name: 'a', url: 'http://loadtester.test/', timeout: '15s' },
          { name: 'b', url: 'https://x.example/hook' },
        ],
      }),
      'istio',
    ],
    ['a minimal interval of 1s', spec({ interval: '1s' }), 'istio'],
    ['an equal min and max thresholdRange', spec({ metrics: [{ name: 'request-duration', thresholdRange: { min: 5, max: 5 } }] }), 'istio'],
  ])('given %s, then there is nothing to report', (_title, s, provider) => {
    expect(validateCanary(s, provider, caps)).toEqual(clean);
  });
});

describe('validateCanary errors', () => {
  it.each<[string, CanarySpec, string, string]>([
    [
      'no service',
      { ...spec(), service: undefined },
      'istio',
      'spec: service is required (at least service.port), except with provider knative',
    ],
    [
      'a Deployment with apiVersion extensions/v1beta1',
      spec({}, { targetRef: { apiVersion: 'extensions/v1beta1', kind: 'Deployment', name: 'podinfo' } }),
      'istio',
      'spec: targetRef.apiVersion must be apps/v1 for a Deployment, DaemonSet or StatefulSet',
    ],
    [
      'an unparsable interval',
      spec({ interval: 'soon' }),
      'istio',
      'spec.analysis.interval: invalid duration "soon": use a Go duration such as 30s, 1m30s or 2h',
    ],
    ['an interval below one second', spec({ interval: '500ms' }), 'istio', 'spec.analysis.interval must be at least 1s, got 500ms'],
    [
      'stepWeights not ascending',
      spec({ stepWeight: undefined, stepWeights: [10, 5, 20] }),
      'istio',
      'spec.analysis: stepWeights must be strictly ascending',
    ],
    [
      'stepWeights with a repeated entry',
      spec({ stepWeight: undefined, stepWeights: [10, 10] }),
      'istio',
      'spec.analysis: stepWeights must be strictly ascending',
    ],
    [
      'a canary without any step',
      spec({ stepWeight: undefined }),
      'istio',
      'spec.analysis needs stepWeight, stepWeights, steps or iterations',
    ],
    ['a canary with stepWeight 0', spec({ stepWeight: 0 }), 'istio', 'spec.analysis needs stepWeight, stepWeights, steps or iterations'],
    [
      'mirror combined with A/B testing',
      spec({ stepWeight: undefined, iterations: 3, match, mirror: true }),
      'istio',
      'spec.analysis: mirror cannot be combined with match (A/B testing)',
    ],
    ['match without iterations', spec({ match }), 'istio', 'spec.analysis: match (A/B testing) needs iterations'],
    [
      'a custom metric without query or templateRef',
      spec({ metrics: [{ name: 'error-rate', thresholdRange: { max: 1 } }] }),
      'istio',
      'spec.analysis.metrics[0]: a metric other than request-success-rate and request-duration needs templateRef or query',
    ],
    [
      'a metric with a bad interval',
      spec({ metrics: [metric, { name: 'request-duration', interval: '5 minutes' }] }),
      'istio',
      'spec.analysis.metrics[1].interval: invalid duration "5 minutes": use a Go duration such as 30s, 1m30s or 2h',
    ],
    [
      'a thresholdRange with min above max',
      spec({ metrics: [{ name: 'request-duration', thresholdRange: { min: 10, max: 5 } }] }),
      'istio',
      'spec.analysis.metrics[0].thresholdRange: thresholdRange min must not exceed max',
    ],
    [
      'a webhook with a bad timeout',
      spec({ webhooks: [{ name: 'load', url: 'http://lt/', timeout: 'ten' }] }),
      'istio',
      'spec.analysis.webhooks[0].timeout: invalid duration "ten": use a Go duration such as 30s, 1m30s or 2h',
    ],
    [
      'a webhook with a relative URL',
      spec({ webhooks: [{ name: 'load', url: '/hook' }] }),
      'istio',
      'spec.analysis.webhooks[0]: url must start with http:// or https://',
    ],
    [
      'a webhook over ftp',
      spec({ webhooks: [{ name: 'load', url: 'ftp://lt/hook' }] }),
      'istio',
      'spec.analysis.webhooks[0]: url must start with http:// or https://',
    ],
    [
      'A/B testing on kubernetes',
      spec({ stepWeight: undefined, iterations: 3, match }),
      'kubernetes',
      'spec: analysis.match is not possible with this provider: use istio, linkerd, gatewayapi:v1, gatewayapi:v1beta1, appmesh, appmesh:v1beta2, nginx, contour, gloo, kuma, alb, emissary or ambassador',
    ],
    [
      'mirroring on kubernetes',
      spec({ stepWeight: undefined, iterations: 3, mirror: true }),
      'kubernetes',
      'spec: analysis.mirror is not possible with this provider: use istio, gatewayapi:v1, gatewayapi:v1beta1, kuma, emissary or ambassador',
    ],
    [
      'session affinity on kubernetes as the default provider',
      spec({ sessionAffinity: { cookieName: 'x' } }),
      'kubernetes',
      'spec: analysis.sessionAffinity is not possible with this provider: use istio, gatewayapi:v1 or gatewayapi:v1beta1',
    ],
    [
      'stepWeights and steps',
      spec({ stepWeight: undefined, stepWeights: [10, 20], steps: [{ weight: 30 }] }),
      'istio',
      'spec.analysis: stepWeight, stepWeights and steps are mutually exclusive: set one',
    ],
    [
      'a stepWeight above maxWeight',
      spec({ stepWeight: 30, maxWeight: 20 }),
      'istio',
      'spec.analysis: stepWeight must not exceed maxWeight',
    ],
    [
      'an https URL that does not parse',
      spec({ webhooks: [{ name: 'load', url: 'https://[bad/' }] }),
      'istio',
      'spec.analysis.webhooks[0].url is not a valid URL: https://[bad/',
    ],
  ])('given %s, then the error is reported', (_title, s, provider, error) => {
    const r = validateCanary(s, provider, caps);
    expect(r.errors).toEqual([error]);
    expect(r.unsupported).toEqual([]);
  });

  it('given several problems, then every one is reported', () => {
    const r = validateCanary(
      spec({ interval: 'x', metrics: [{ name: 'custom' }], webhooks: [{ name: 'w', url: 'nope' }] }, { service: undefined }),
      'istio',
      caps,
    );
    expect(r.errors).toHaveLength(4);
  });
});

describe('validateCanary unsupported', () => {
  it.each<[string, CanarySpec, string, string]>([
    [
      'a DaemonSet target',
      spec({}, { targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } }),
      'istio',
      'targetRef.kind DaemonSet is not supported yet (supported: Deployment)',
    ],
    ['the linkerd provider', spec(), 'linkerd', 'provider linkerd is not supported yet (supported: istio, kubernetes, gatewayapi:v1)'],
  ])('given %s, then it is unsupported and not an error', (_title, s, provider, message) => {
    const r = validateCanary(s, provider, caps);
    expect(r.unsupported).toEqual([message]);
    expect(r.errors).toEqual([]);
  });

  it('given a provider without a router, then the capability rules do not apply but the analysis is still validated', () => {
    const r = validateCanary(spec({ mirror: true, sessionAffinity: { cookieName: 'c' }, interval: '1x' }), 'consul', caps);
    expect(r.unsupported).toEqual(['provider consul is not supported yet (supported: istio, kubernetes, gatewayapi:v1)']);
    expect(r.errors).toEqual(['spec.analysis.interval: invalid duration "1x": use a Go duration such as 30s, 1m30s or 2h']);
  });
});

describe('validateCanary notices', () => {
  it.each<[string, CanarySpec, string, string]>([
    [
      'a canary without steps on kubernetes',
      spec({ stepWeight: undefined }),
      'kubernetes',
      'provider kubernetes cannot split traffic: the release runs as blue/green with analysis.iterations (10 when unset)',
    ],
    ['mirrorWeight without mirror', spec({ mirrorWeight: 20 }), 'istio', 'spec.analysis.mirrorWeight has no effect without mirror: true'],
  ])('given %s, then a notice is given and the release is valid', (_title, s, provider, notice) => {
    expect(validateCanary(s, provider, caps)).toEqual({ errors: [], unsupported: [], notices: [notice] });
  });

  it('given a weighted DaemonSet canary on kubernetes, then it runs blue/green: a DaemonSet has no replica ratio', () => {
    const withDs = { ...caps, targetKinds: new Set(['Deployment', 'DaemonSet']) };
    const ds = spec({}, { targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } });
    expect(validateCanary(ds, 'kubernetes', withDs)).toEqual({
      errors: [],
      unsupported: [],
      notices: ['provider kubernetes cannot split traffic: the release runs as blue/green with analysis.iterations (10 when unset)'],
    });
  });

  it('given skipAnalysis on kubernetes, then no blue/green notice is given', () => {
    expect(validateCanary(spec({}, { skipAnalysis: true }), 'kubernetes', caps)).toEqual(clean);
  });

  it('given revertOnDeletion, then it is acted upon: no notice', () => {
    expect(validateCanary(spec({}, { revertOnDeletion: true }), 'istio', caps)).toEqual(clean);
  });

  it('given an empty alerts list, then no notice is given', () => {
    expect(validateCanary(spec({ alerts: [] }), 'istio', caps).notices).toEqual([]);
  });
});

describe('validateCanary built-in metrics', () => {
  it('given a provider without built-in queries and a built-in metric name without a template, then it is an error naming the fix', () => {
    const r = validateCanary(spec({ stepWeight: 10, metrics: [metric] }), 'gatewayapi:v1', caps);
    expect(r.errors).toEqual([
      'metric request-success-rate has no built-in query for provider gatewayapi:v1: give it a templateRef to a MetricTemplate',
    ]);
  });

  it('given the same metric with a templateRef, then it is accepted', () => {
    const r = validateCanary(spec({ stepWeight: 10, metrics: [{ ...metric, templateRef: { name: 'rate' } }] }), 'gatewayapi:v1', caps);
    expect(r.errors).toEqual([]);
  });
});

describe('validateCanary autoscalerRef', () => {
  it('given an HPA, then it is acted upon: no notice', () => {
    expect(
      validateCanary(
        spec({}, { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' } }),
        'istio',
        caps,
      ),
    ).toEqual(clean);
  });

  it('given a KEDA ScaledObject, then it is valid', () => {
    const keda = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'podinfo', primaryScalerQueries: { t: 'sum(up)' } };
    expect(validateCanary(spec({}, { autoscalerRef: keda }), 'istio', caps)).toEqual(clean);
  });
});

describe('validateCanary session affinity', () => {
  it('given it on Istio with a weighted canary, then it is valid', () => {
    expect(validateCanary(spec({ sessionAffinity: { cookieName: 'canary', primaryCookieName: 'primary' } }), 'istio', caps)).toEqual(clean);
  });

  it('given the same name for both cookies, then it is an error', () => {
    expect(validateCanary(spec({ sessionAffinity: { cookieName: 'c', primaryCookieName: 'c' } }), 'istio', caps).errors).toEqual([
      'spec.analysis.sessionAffinity: primaryCookieName must differ from cookieName',
    ]);
  });
});

describe('validateCanary on a target released in place (StatefulSet)', () => {
  const inPlace: Capabilities = { ...caps, targetKinds: new Set(['Deployment', 'StatefulSet']), inPlaceKinds: new Set(['StatefulSet']) };
  const sts = (analysis: CanaryAnalysis = {}): CanarySpec =>
    spec(analysis, { targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' } });

  it('given a weighted canary on kubernetes, then there is nothing to report: its pods split the traffic (no blue/green notice)', () => {
    expect(validateCanary(sts(), 'kubernetes', inPlace)).toEqual(clean);
    expect(validateCanary(sts({ stepWeight: undefined, stepWeights: [33, 66] }), 'kubernetes', inPlace)).toEqual(clean);
  });

  it('given istio, whose VirtualService routes to the -primary and -canary Services, then there is nothing to report', () => {
    expect(validateCanary(sts({ stepWeight: undefined, stepWeights: [20, 40] }), 'istio', inPlace)).toEqual(clean);
  });

  it('given a provider that does not route through the -primary and -canary Services, then it is unsupported, naming it', () => {
    expect(validateCanary(sts(), 'knative', inPlace).unsupported).toContain(
      'targetRef.kind StatefulSet is released in place with provider kubernetes, or a provider that routes through the -primary and -canary Services (istio, gatewayapi:v1, gatewayapi:v1beta1), not provider knative',
    );
  });

  it.each<[string, CanaryAnalysis]>([
    ['blue/green', { stepWeight: undefined, iterations: 5 }],
    ['mirroring', { mirror: true }],
  ])('given %s, then it is unsupported: the canary would have no pods', (_t, analysis) => {
    expect(validateCanary(sts(analysis), 'kubernetes', inPlace).unsupported).toEqual([
      'targetRef.kind StatefulSet moves pods to the new revision by weight: give spec.analysis.stepWeight or stepWeights (blue/green, A/B testing and mirroring are not supported for it)',
    ]);
  });

  it('given an autoscalerRef, then a notice says it is not copied: the autoscaler keeps scaling the StatefulSet', () => {
    const s = { ...sts(), autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'db' } };
    expect(validateCanary(s, 'kubernetes', inPlace)).toEqual({
      ...clean,
      notices: [
        'spec.autoscalerRef is not acted upon for targetRef.kind StatefulSet: there is no primary copy to scale, the autoscaler keeps scaling db itself',
      ],
    });
  });

  it('given a statistical judge, then it is unsupported: there is no -primary workload to sample', () => {
    const judged = sts({ judge: { metrics: [{ name: 'latency', query: 'x' }] } });
    expect(validateCanary(judged, 'kubernetes', inPlace).unsupported).toEqual([
      'spec.analysis.judge is not supported for targetRef.kind StatefulSet yet: it samples {{ target }} and {{ target }}-primary, and a StatefulSet released in place has no -primary workload',
    ]);
  });

  it('given an SLO gate, then it is unsupported: its SLI is scoped to the target and a -primary workload', () => {
    const gated = sts({ slo: { ref: { kind: 'PrometheusServiceLevel', name: 'db' }, scope: [{ label: 'app', value: '{{ target }}' }] } });
    expect(validateCanary(gated, 'kubernetes', inPlace).unsupported).toEqual([
      'spec.analysis.slo is not supported for targetRef.kind StatefulSet yet: it scopes the SLI to {{ target }} and {{ target }}-primary, and a StatefulSet released in place has no -primary workload',
    ]);
  });

  it('given a StatefulSet of another API group, then the in-place checks do not apply: it is a kind not driven', () => {
    const other = {
      ...sts({ iterations: 3, stepWeight: undefined }),
      targetRef: { apiVersion: 'apps.kruise.io/v1beta1', kind: 'StatefulSet', name: 'db' },
    };
    const r = validateCanary(other, 'kubernetes', inPlace);
    expect(r.unsupported).toEqual([expect.stringMatching(/^targetRef\.kind StatefulSet\.apps\.kruise\.io is not supported yet/)]);
  });

  it('given an operator that does not release it in place, then it is the unknown kind it was', () => {
    expect(validateCanary(sts(), 'kubernetes', caps).unsupported).toEqual([
      'targetRef.kind StatefulSet is not supported yet (supported: Deployment)',
    ]);
  });
});
