import { conditionRange, ConditionError, type Range } from '../src/convert/condition.js';
import { argoDuration, MANUAL_GATE_REASON, planSteps } from '../src/convert/argo-steps.js';
import { routingOf } from '../src/convert/argo-routing.js';
import { convertAnalysisTemplate } from '../src/convert/argo-analysis.js';
import { translateArgs, RefusedMetric } from '../src/convert/argo-providers.js';
import { Findings } from '../src/convert/report.js';

const range = (s?: string, f?: string): Omit<Range, 'notes'> & { notes: number } => {
  const r = conditionRange(s, f);
  return { ...r, notes: r.notes.length };
};

describe('successCondition / failureCondition as a thresholdRange', () => {
  it.each([
    ['result[0] >= 0.95', undefined, { min: 0.95, noData: 'fail', notes: 0 }],
    ['result >= 0.95', undefined, { min: 0.95, noData: 'fail', notes: 0 }],
    ['result[0] <= 0.01', undefined, { max: 0.01, noData: 'fail', notes: 0 }],
    ['0.95 <= result[0]', undefined, { min: 0.95, noData: 'fail', notes: 0 }],
    ['result[0] > 0.90', undefined, { min: 0.9, noData: 'fail', notes: 1 }],
    ['result < 500', undefined, { max: 500, noData: 'fail', notes: 1 }],
    ['result[0] >= 0.9 && result[0] <= 1', undefined, { min: 0.9, max: 1, noData: 'fail', notes: 0 }],
    ['result >= 0.9 and result <= 1', undefined, { min: 0.9, max: 1, noData: 'fail', notes: 0 }],
    ['len(result) == 0 || result[0] >= 0.99', undefined, { min: 0.99, noData: 'pass', notes: 0 }],
    ['isNaN(result) || result >= 0.99', undefined, { min: 0.99, noData: 'pass', notes: 0 }],
    ['default(result, 0) < 10', undefined, { max: 10, noData: 'pass', notes: 1 }],
    ['default(result, 100) <= 10', undefined, { max: 10, noData: 'fail', notes: 0 }],
    ['asFloat(result) >= 0.5', undefined, { min: 0.5, noData: 'fail', notes: 0 }],
    ['result.successRate >= 0.95', undefined, { min: 0.95, field: 'successRate', noData: 'fail', notes: 0 }],
    ["result['successRate'] >= 0.95", undefined, { min: 0.95, field: 'successRate', noData: 'fail', notes: 0 }],
    ['(result[0] >= 0.95)', undefined, { min: 0.95, noData: 'fail', notes: 0 }],
    [undefined, 'result >= 10', { max: 10, noData: 'fail', notes: 1 }],
    [undefined, 'result[0] > 0.05', { max: 0.05, noData: 'fail', notes: 0 }],
    [undefined, 'result < 0.5 || result > 2', { min: 0.5, max: 2, noData: 'fail', notes: 0 }],
    ['result >= 0.9', 'result < 0.5', { min: 0.9, noData: 'fail', notes: 0 }],
    ['result <= 100', 'result > 50', { max: 50, noData: 'fail', notes: 1 }],
  ] as const)('%s / %s', (s, f, expected) => {
    expect(range(s, f)).toEqual(expected);
  });

  it.each([
    ["result == 'true'", undefined, /tests for equality/],
    ['result == true', undefined, /tests for equality/],
    ["result.major == '1'", undefined, /tests for equality/],
    ['result.ok && result.successPercent >= 0.90', undefined, /not a comparison/],
    ['all(result, # < 1000)', undefined, /does not compare the result with a number literal/],
    ['result[0] < 0.1 || result[0] > 0.9', undefined, /"or" of several ranges/],
    ['result[1] >= 0.9', undefined, /number literal/],
    ['result >= {{ args.min }}', undefined, /number literal/],
    ['result.a >= 1 && result.b <= 2', undefined, /more than one field/],
    ['result >= 10 && result <= 5', undefined, /no value passes/],
    [undefined, 'result > 1 && result < 5', /"and" of comparisons/],
    [undefined, undefined, /neither successCondition nor failureCondition/],
    ['len(result) == 0', undefined, /only tests for no data/],
  ] as const)('refuses %s / %s', (s, f, message) => {
    expect(() => conditionRange(s, f)).toThrow(ConditionError);
    expect(() => conditionRange(s, f)).toThrow(message);
  });
});

describe('canary steps', () => {
  const plan = (steps: unknown[]): { steps: unknown; dropped: string[]; notes: number } => {
    const f = new Findings('Rollout r');
    const p = planSteps(steps, f);
    return { steps: p.steps, dropped: f.dropped.map((d) => `${d.path}: ${d.reason}`), notes: f.notes.length };
  };

  it.each([
    ['weights only', [{ setWeight: 20 }, { setWeight: 50 }], [{ weight: 20 }, { weight: 50 }], []],
    [
      'timed pauses hold the weight before them',
      [{ setWeight: 20 }, { pause: { duration: 40 } }, { setWeight: 60 }, { pause: { duration: '1m' } }],
      [
        { weight: 20, pause: '40s' },
        { weight: 60, pause: '1m' },
      ],
      [],
    ],
    [
      'two pauses add up',
      [{ setWeight: 10 }, { pause: { duration: '1m' } }, { pause: { duration: 30 } }],
      [{ weight: 10, pause: '90s' }],
      [],
    ],
    ['an indefinite pause is dropped', [{ setWeight: 10 }, { pause: {} }], [{ weight: 10 }], [`steps[1].pause: ${MANUAL_GATE_REASON}`]],
    [
      'a pause before any weight',
      [{ pause: { duration: 10 } }, { setWeight: 5 }],
      [{ weight: 5 }],
      ['steps[0].pause: a pause before the first setWeight holds nothing in Tollgate (the run starts at the first weight)'],
    ],
    [
      'weights going down',
      [{ setWeight: 50 }, { setWeight: 20 }],
      [{ weight: 50 }],
      ['steps[1].setWeight: Tollgate weights only go up: 20 after 50 is left out (the canary stays at 50)'],
    ],
    ['weight 0', [{ setWeight: 0 }], [], ['steps[0].setWeight: Tollgate steps send traffic to the canary: a weight of 0 is no step']],
    [
      'a bad duration',
      [{ setWeight: 5 }, { pause: { duration: '1d' } }],
      [{ weight: 5 }],
      ['steps[1].pause.duration: "1d" is not a duration'],
    ],
    [
      'steps with no equivalent',
      [{ setCanaryScale: { replicas: 1 } }, { experiment: {} }, { setHeaderRoute: {} }, { setMirrorRoute: {} }, { plugin: {} }],
      [],
      [
        'steps[0].setCanaryScale: Tollgate scales the canary with its target and does not decouple replicas from weight',
        'steps[1].experiment: Tollgate runs no Experiments (baseline and canary ReplicaSets side by side)',
        'steps[2].setHeaderRoute: Tollgate has no per-step header route; A/B routing by header is analysis.match, for the whole run',
        'steps[3].setMirrorRoute: Tollgate has no per-step mirror route; mirroring is analysis.mirror, for the whole run',
        'steps[4].plugin: Tollgate loads no step plugins',
      ],
    ],
  ])('%s', (_, steps, expected, dropped) => {
    const r = plan(steps);
    expect(r.steps).toEqual(expected);
    expect(r.dropped).toEqual(dropped.map((d) => `spec.strategy.canary.${d}`));
  });

  it('keeps an inline analysis step for the metrics, with a note that it runs at every step', () => {
    const f = new Findings('Rollout r');
    const p = planSteps([{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'sr' }] } }], f);
    expect(p.analyses).toEqual([{ path: 'spec.strategy.canary.steps[1].analysis', ref: { templates: [{ templateName: 'sr' }] } }]);
    expect(f.notes.map((n) => n.message)).toEqual([
      'spec.strategy.canary.steps[1].analysis: its metrics are checked at every step of the run, not once at this step',
    ]);
  });

  it.each([
    [40, '40s'],
    ['40', '40s'],
    ['10s', '10s'],
    ['1h30m', '1h30m'],
    ['1d', undefined],
    [-1, undefined],
    [{}, undefined],
  ])('argoDuration(%j) is %s', (v, d) => expect(argoDuration(v)).toBe(d));
});

describe('traffic routers', () => {
  const route = (
    tr: unknown,
    httpRoute?: Record<string, unknown>,
    virtualService?: Record<string, unknown>,
  ): { routing: unknown; dropped: string[] } => {
    const f = new Findings('Rollout r');
    const routing = routingOf(tr, f, { httpRoute: () => httpRoute, virtualService: () => virtualService });
    return { routing, dropped: f.dropped.map((d) => d.path) };
  };
  const T = 'spec.strategy.canary.trafficRouting';

  it.each([
    ['none (basic canary)', undefined, { provider: 'kubernetes' }, []],
    ['istio', { istio: { virtualService: { name: 'vs' } } }, { provider: 'istio' }, [`${T}.istio.virtualService`]],
    [
      'nginx',
      { nginx: { stableIngress: 'web', additionalIngressAnnotations: {} } },
      { provider: 'nginx', ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' } },
      [`${T}.nginx.additionalIngressAnnotations`],
    ],
    [
      'smi',
      { smi: { rootService: 'web', trafficSplitName: 'ts' } },
      { provider: 'smi:v1alpha1', apex: 'web' },
      [`${T}.smi.trafficSplitName`],
    ],
    ['traefik', { traefik: { weightedTraefikServiceName: 'w' } }, { provider: 'traefik' }, [`${T}.traefik.weightedTraefikServiceName`]],
    [
      'apisix',
      { apisix: { route: { name: 'r', rules: ['a'] } } },
      { provider: 'apisix', routeRef: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: 'r' } },
      [`${T}.apisix.route.rules`],
    ],
    ['appMesh', { appMesh: { virtualService: { name: 'v' } } }, { provider: 'appmesh:v1beta2' }, [`${T}.appMesh.virtualService`]],
    [
      'ambassador (emissary, its Mappings kept)',
      { ambassador: { mappings: ['web', 'api'], apiVersion: 'getambassador.io/v2' } },
      { provider: 'emissary', mappings: ['web', 'api'] },
      [`${T}.ambassador.apiVersion`],
    ],
    [
      'alb (the Ingress and root Service kept)',
      { alb: { ingress: 'i', ingresses: ['j'], servicePort: 80, rootService: 'web', annotationPrefix: 'custom.io', stickinessConfig: {} } },
      { provider: 'alb', apex: 'web', ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'i' } },
      [`${T}.alb.ingresses`, `${T}.alb.annotationPrefix`, `${T}.alb.stickinessConfig`],
    ],
    ['two routers', { istio: {}, smi: {} }, { provider: 'istio' }, [`${T}.smi`]],
    ['managed routes', { istio: {}, managedRoutes: [{ name: 'h' }] }, { provider: 'istio' }, [`${T}.managedRoutes`]],
    [
      'Gateway API plugin, HTTPRoute not in the input',
      { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web', namespace: 'default' } } },
      { provider: 'gatewayapi:v1' },
      [`${T}.plugins.argoproj-labs/gatewayAPI.namespace`, `${T}.plugins.argoproj-labs/gatewayAPI.httpRoute`],
    ],
  ])('%s', (_, tr, routing, dropped) => {
    const r = route(tr);
    expect(r.routing).toEqual(routing);
    expect(r.dropped).toEqual(dropped);
  });

  it("takes the hosts and gateways of the user's VirtualService of the input", () => {
    const vs = { spec: { hosts: ['web.example.com'], gateways: ['istio-system/public'], http: [] } };
    const r = route({ istio: { virtualService: { name: 'web-vs', routes: ['primary'] } } }, undefined, vs);
    expect(r).toEqual({
      routing: { provider: 'istio', hosts: ['web.example.com'], gateways: ['istio-system/public'] },
      dropped: [`${T}.istio.virtualService`],
    });
  });

  it("takes the Gateway API plugin's parentRefs from the HTTPRoute of the input", () => {
    const parentRefs = [{ name: 'gw', namespace: 'infra' }];
    const r = route({ plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web' } } }, { spec: { parentRefs } });
    expect(r).toEqual({ routing: { provider: 'gatewayapi:v1', gatewayRefs: parentRefs }, dropped: [] });
  });
});

describe('AnalysisTemplate metrics as MetricTemplates', () => {
  const template = (metric: Record<string, unknown>, args: unknown[] = [{ name: 'service-name' }]): Record<string, unknown> => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'sr', namespace: 'shop' },
    spec: { args, metrics: [{ name: 'success-rate', ...metric }] },
  });
  const convert = (metric: Record<string, unknown>, args?: unknown[]) => {
    const f = new Findings('AnalysisTemplate shop/sr');
    const t = convertAnalysisTemplate(template(metric, args), f);
    return { ...t, dropped: f.dropped.map((d) => `${d.path}: ${d.reason}`), notes: f.notes.map((n) => n.message) };
  };

  it('prometheus: address, headers, insecure, args as variables; failureLimit and interval for the Canary', () => {
    const r = convert({
      interval: '5m',
      failureLimit: 3,
      successCondition: 'result[0] >= 0.95',
      provider: {
        prometheus: {
          address: 'http://prom:9090',
          insecure: true,
          headers: [{ key: 'X-Scope-OrgID', value: 'tenant_a' }],
          query: 'sum(rate(x{svc="{{args.service-name}}"}[5m]))',
        },
      },
    });
    expect(r.metricTemplates).toEqual([
      {
        apiVersion: 'tollgate.dev/v1beta1',
        kind: 'MetricTemplate',
        metadata: { name: 'sr', namespace: 'shop' },
        spec: {
          provider: {
            type: 'prometheus',
            address: 'http://prom:9090',
            headers: { 'X-Scope-OrgID': ['tenant_a'] },
            insecureSkipVerify: true,
          },
          query: 'sum(rate(x{svc="{{ variables.service-name }}"}[5m]))',
        },
      },
    ]);
    expect(r.metrics).toEqual([
      {
        canaryMetric: { name: 'success-rate', templateRef: { name: 'sr' }, thresholdRange: { min: 0.95 } },
        interval: '5m',
        failureLimit: 3,
        variables: { 'service-name': undefined },
      },
    ]);
    expect(r.dropped).toEqual([]);
  });

  it('datadog: the query, its window as the metric interval; v2 queries with a formula are refused', () => {
    const r = convert({
      successCondition: 'default(result, 0) <= 0.01',
      provider: { datadog: { apiVersion: 'v2', interval: '5m', query: 'sum:err{s:{{ args.service-name }}}' } },
    });
    expect(r.metricTemplates[0]!.spec).toEqual({ provider: { type: 'datadog' }, query: 'sum:err{s:{{ variables.service-name }}}' });
    expect(r.metrics[0]!.canaryMetric).toEqual({
      name: 'success-rate',
      templateRef: { name: 'sr' },
      thresholdRange: { max: 0.01 },
      onNoData: 'ignore',
      interval: '5m',
    });
    expect(r.notes.join('\n')).toMatch(/datadog_api_key and datadog_application_key/);
    const v2 = convert({ successCondition: 'result < 1', provider: { datadog: { queries: { a: 'x' }, formula: 'a' } } });
    expect(v2.metricTemplates).toEqual([]);
    expect(v2.dropped).toEqual([
      'spec.metrics[0].provider.datadog.queries: Tollgate queries Datadog with one metric query (API v1), not v2 queries and a formula',
    ]);
  });

  it('newRelic: the NRQL query; a field of the result is the value the query returns', () => {
    const r = convert({
      successCondition: 'result.successRate >= 0.95',
      provider: { newRelic: { profile: 'p', query: "SELECT x FROM T WHERE app = '{{ args.service-name }}'" } },
    });
    expect(r.metricTemplates[0]!.spec).toEqual({
      provider: { type: 'newrelic' },
      query: "SELECT x FROM T WHERE app = '{{ variables.service-name }}'",
    });
    expect(r.metrics[0]!.canaryMetric).toMatchObject({ thresholdRange: { min: 0.95 } });
    expect(r.notes.join('\n')).toMatch(/not Argo's profile p/);
  });

  it('web: address and path split, jsonPath braces removed, the field read appended to the jsonPath', () => {
    const r = convert({
      successCondition: 'result.successPercent >= 0.90',
      provider: {
        web: {
          url: 'http://metrics.shop:8080/api/v1/m?service={{ args.service-name }}',
          jsonPath: '{$.data}',
          method: 'POST',
          jsonBody: { a: 1 },
        },
      },
    });
    expect(r.metricTemplates[0]!.spec).toEqual({
      provider: { type: 'web', address: 'http://metrics.shop:8080' },
      query: JSON.stringify({
        path: '/api/v1/m?service={{ variables.service-name }}',
        jsonPath: '$.data.successPercent',
        method: 'POST',
        body: { a: 1 },
      }),
    });
  });

  it.each([
    [
      { successCondition: 'result == true', provider: { web: { url: 'http://x/y' } } },
      'spec.metrics[0].successCondition: not a threshold range: "result == true" tests for equality, not a range',
    ],
    [
      { successCondition: 'result >= 1', provider: { web: { url: '{{ args.api-url }}/x' } } },
      'spec.metrics[0].provider.web.url: the scheme and host of the URL must be literal (Tollgate fills variables in the path only)',
    ],
    [
      { successCondition: 'result >= 1', provider: { web: { url: 'http://x/y', method: 'PUT' } } },
      "spec.metrics[0].provider.web.method: Tollgate's web provider sends GET or POST, not PUT",
    ],
    [
      { successCondition: 'result >= 1', provider: { job: {} } },
      'spec.metrics[0].provider.job: Tollgate has no Job metric provider: run the Job from a webhook (pre-rollout or rollout) of the hooks service',
    ],
    [
      { successCondition: 'result >= 1', provider: { prometheus: { query: 'x', rangeQuery: {} } } },
      'spec.metrics[0].provider.prometheus.rangeQuery: Tollgate runs instant queries only',
    ],
    [
      { successCondition: 'result.x >= 1', provider: { prometheus: { query: 'x' } } },
      'spec.metrics[0].provider.prometheus: a Prometheus result has no field x',
    ],
    [
      { successCondition: 'result >= 1', provider: { prometheus: { query: 'x{{metric.name}}' } } },
      'spec.metrics[0].provider.prometheus.query: {{metric.name}} has no Tollgate equivalent (only {{ args.NAME }} becomes a template variable)',
    ],
    [
      { provider: { prometheus: { query: 'x' } } },
      'spec.metrics[0].successCondition: not a threshold range: neither successCondition nor failureCondition is set (every measurement is Inconclusive in Argo)',
    ],
  ])('refuses a metric it cannot carry: %j', (metric, reason) => {
    const r = convert(metric);
    expect(r.metricTemplates).toEqual([]);
    expect(r.dropped).toEqual([reason]);
  });

  it('drops the metric fields Tollgate has no equivalent for, and args taken from a Secret', () => {
    const r = convert(
      {
        successCondition: 'result >= 1',
        count: 5,
        initialDelay: '1m',
        inconclusiveLimit: 1,
        provider: { prometheus: { query: 'x', timeout: 40 } },
      },
      [{ name: 'token', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    );
    expect(r.metricTemplates).toHaveLength(1);
    expect(r.dropped.map((d) => d.split(':')[0])).toEqual([
      'spec.args[0].valueFrom',
      'spec.metrics[0].provider.prometheus.timeout',
      'spec.metrics[0].count',
      'spec.metrics[0].initialDelay',
      'spec.metrics[0].inconclusiveLimit',
    ]);
  });

  it('names one MetricTemplate per metric after the template and the metric when there are several', () => {
    const f = new Findings('AnalysisTemplate t');
    const m = (name: string) => ({ name, successCondition: 'result >= 1', provider: { prometheus: { query: 'x' } } });
    const t = convertAnalysisTemplate(
      { kind: 'ClusterAnalysisTemplate', metadata: { name: 'Checks' }, spec: { metrics: [m('Success_Rate'), m('latency')] } },
      f,
    );
    expect(t.metricTemplates.map((x) => (x.metadata as { name: string }).name)).toEqual(['checks-success-rate', 'checks-latency']);
    expect(f.notes).toHaveLength(1);
  });

  it('translates {{ args.NAME }} and refuses names a Tollgate variable cannot have', () => {
    const used = new Set<string>();
    expect(translateArgs('a{{args.x}}b{{ args.y-z }}', 'q', used)).toBe('a{{ variables.x }}b{{ variables.y-z }}');
    expect([...used]).toEqual(['x', 'y-z']);
    expect(() => translateArgs('{{ args.restarts.max }}', 'q', used)).toThrow(RefusedMetric);
  });
});
