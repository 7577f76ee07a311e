import type { Canary, CanarySlo, KubeObject } from '../src/api/types.js';
import type { SecretReader } from '../src/kube/secrets.js';
import { MetricAnalyzer } from '../src/metrics/analyzer.js';
import type { SloReader } from '../src/slo/reader.js';
import { testHttp } from './fakes/outbound.js';
import { signal, VendorApi, type Received } from './fakes/vendor-api.js';

/** A Prometheus stand-in: every total query answers 10/s, every error query 0.3/s (a 3% error ratio). */
const prometheus = new VendorApi();
beforeAll(async () => {
  await prometheus.start();
});
afterAll(() => prometheus.stop());
beforeEach(() => {
  prometheus.reset();
  prometheus.handler = (r: Received) => {
    const q = r.params.get('query') ?? '';
    const value = q.includes('code=~') ? '0.3' : '10';
    return { body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, value] }] } } };
  };
});

const SLOTH: KubeObject = {
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: {
    slos: [
      {
        name: 'availability',
        objective: 99.9,
        sli: { events: { errorQuery: 'sum(rate(req{code=~"5.."}[{{.window}}]))', totalQuery: 'sum(rate(req[{{.window}}]))' } },
      },
    ],
  },
} as KubeObject;

const canary = (slo: CanarySlo): Canary =>
  ({
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 9898 }, analysis: { slo } },
  }) as unknown as Canary;

const analyzer = (slos?: SloReader): MetricAnalyzer =>
  new MetricAnalyzer({
    templates: { get: () => undefined, list: () => [] },
    secrets: {} as SecretReader,
    defaultPrometheus: prometheus.address,
    crossNamespaceRefs: 'opt-in',
    http: testHttp,
    ambientNamespaces: [],
    ...(slos ? { slos } : {}),
  });

const reader = (objects: Record<string, KubeObject> = {}, configMaps: Record<string, Record<string, string>> = {}): SloReader => ({
  object: async (kind, ns, name) => objects[`${kind} ${ns}/${name}`],
  configMap: async (ns, name) => configMaps[`${ns}/${name}`],
});

const GATE = { intervalMs: 10_000, trafficStartMs: 1_000_000, nowMs: 1_030_000 };
const SCOPE = [{ label: 'workload', value: '{{ target }}' }];

describe('MetricAnalyzer.slo', () => {
  it('given no analysis.slo, then there is no evaluation and no query', async () => {
    const a = analyzer(reader());
    expect(await a.slo(canary(undefined as never), GATE, signal())).toBeUndefined();
    expect(prometheus.received).toHaveLength(0);
  });

  it('given a Sloth SLO, then the scoped queries go to Prometheus and 3% errors burn at 30 over both windows', async () => {
    const a = analyzer(reader({ 'PrometheusServiceLevel test/podinfo': SLOTH }));
    const e = await a.slo(canary({ ref: { kind: 'PrometheusServiceLevel', name: 'podinfo' }, scope: SCOPE }), GATE, signal());
    expect(e).toMatchObject({
      verdict: 'Burning',
      short: { window: '10s', burnRate: 30 },
      long: { window: '30s', burnRate: 30 },
      primaryBurnRate: 30,
    });
    const queries = prometheus.received.map((r) => r.params.get('query'));
    expect(queries).toContain('sum(rate(req{code=~"5..", workload="podinfo"}[10s]))');
    expect(queries).toContain('sum(rate(req{workload="podinfo-primary"}[30s]))');
  });

  it.each<[string, CanarySlo, SloReader | undefined, { reason: string; error: RegExp }]>([
    [
      'no reader',
      { ref: { kind: 'PrometheusServiceLevel', name: 'podinfo' }, scope: SCOPE },
      undefined,
      { reason: 'SLOUnavailable', error: /reads no SLO/ },
    ],
    [
      'a missing Sloth object',
      { ref: { kind: 'PrometheusServiceLevel', name: 'other' }, scope: SCOPE },
      reader(),
      { reason: 'SLONotFound', error: /PrometheusServiceLevel test\/other not found/ },
    ],
    [
      'the Pyrra CRD not installed',
      { ref: { kind: 'ServiceLevelObjective', name: 'podinfo' }, scope: SCOPE },
      {
        object: async () => {
          throw new Error('servicelevelobjectives.pyrra.dev/v1alpha1 is not served by the API server');
        },
        configMap: async () => undefined,
      },
      { reason: 'SLOUnavailable', error: /cannot read ServiceLevelObjective objects: .*not served/ },
    ],
    [
      'a missing ConfigMap',
      { ref: { kind: 'OpenSLO', name: 'slos', configMapKey: 'slo.yaml' }, scope: SCOPE },
      reader(),
      { reason: 'SLONotFound', error: /ConfigMap test\/slos not found/ },
    ],
    [
      'a ConfigMap without the key',
      { ref: { kind: 'OpenSLO', name: 'slos', configMapKey: 'slo.yaml' }, scope: SCOPE },
      reader({}, { 'test/slos': { other: '' } }),
      { reason: 'SLONotFound', error: /has no key "slo.yaml"/ },
    ],
    [
      'a query that does not parse',
      { ref: { kind: 'PrometheusServiceLevel', name: 'podinfo' }, scope: SCOPE },
      reader({
        'PrometheusServiceLevel test/podinfo': {
          ...SLOTH,
          spec: {
            slos: [
              {
                name: 'a',
                objective: 99,
                sli: { events: { errorQuery: 'sum(rate(x[{{.window}}])) +', totalQuery: 'sum(rate(y[{{.window}}]))' } },
              },
            ],
          },
        } as KubeObject,
      }),
      { reason: 'InvalidSLO', error: /does not parse/ },
    ],
  ])('given %s, then the evaluation is an error with its reason, never a pass', async (_t, slo, r, expected) => {
    const e = await analyzer(r).slo(canary(slo), GATE, signal());
    expect(e).toMatchObject({ reason: expected.reason });
    expect((e as { error: string }).error).toMatch(expected.error);
  });

  it('given Prometheus failing, then the evaluation is a ProviderError', async () => {
    prometheus.handler = () => ({ status: 500, body: { status: 'error', error: 'boom' } });
    const e = await analyzer(reader({ 'PrometheusServiceLevel test/podinfo': SLOTH })).slo(
      canary({ ref: { kind: 'PrometheusServiceLevel', name: 'podinfo' }, scope: SCOPE }),
      GATE,
      signal(),
    );
    expect(e).toMatchObject({ reason: 'ProviderError' });
  });
});
