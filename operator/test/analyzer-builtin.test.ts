import type { Canary, CanaryMetric } from '../src/api/types.js';
import type { SecretReader } from '../src/kube/secrets.js';
import { MetricAnalyzer } from '../src/metrics/analyzer.js';
import { builtinQuery } from '../src/meshes/registry.js';
import { renderQuery } from '../src/metrics/render.js';
import { testHttp } from './fakes/outbound.js';
import { signal, VendorApi } from './fakes/vendor-api.js';

/** The built-in metrics run on the default Prometheus: a stand-in answering one sample. */
const prometheus = new VendorApi();
beforeAll(async () => {
  await prometheus.start();
  prometheus.handler = () => ({
    body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '99.5'] }] } },
  });
});
afterAll(() => prometheus.stop());
beforeEach(() => prometheus.reset());

const canary = (metric: CanaryMetric): Canary =>
  ({
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { metrics: [metric] },
    },
  }) as unknown as Canary;

const analyzer = (): MetricAnalyzer =>
  new MetricAnalyzer({
    templates: { get: () => undefined, list: () => [] },
    secrets: {} as SecretReader,
    defaultPrometheus: prometheus.address,
    crossNamespaceRefs: 'opt-in',
    http: testHttp,
    ambientNamespaces: [],
  });

const sent = (): (string | null)[] => prometheus.received.map((r) => r.params.get('query'));
const builtin = renderQuery(
  builtinQuery('istio', 'request-success-rate')!,
  {
    name: 'podinfo',
    namespace: 'test',
    target: 'podinfo',
    service: 'podinfo',
    ingress: 'podinfo',
    route: 'podinfo',
    interval: '1m',
    variables: {},
  },
  'promql',
);

describe('MetricAnalyzer: built-in metrics', () => {
  it.each<[string, Partial<CanaryMetric>]>([
    ['no query', {}],
    ['query: ""', { query: '' }],
  ])('given request-success-rate with %s, then the built-in query is sent', async (_what, q) => {
    const [r] = await analyzer().check(
      canary({ name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 }, ...q }),
      'istio',
      signal(),
    );
    expect(r).toMatchObject({ ok: true, value: 99.5 });
    expect(sent()).toEqual([builtin]);
  });

  it('given request-success-rate with a query of its own, then that query is sent', async () => {
    await analyzer().check(canary({ name: 'request-success-rate', interval: '1m', query: 'vector(99.5)' }), 'istio', signal());
    expect(sent()).toEqual(['vector(99.5)']);
  });

  it('given another metric with query: "", then it fails for want of a query and nothing is sent', async () => {
    const [r] = await analyzer().check(canary({ name: 'errors', interval: '1m', query: '' }), 'istio', signal());
    expect(r).toMatchObject({ ok: false, reason: 'NoQuery' });
    expect(sent()).toEqual([]);
  });

  it('given skipper, then the built-in query names the route as Skipper spells it (namespace team-a as team_a); a query of its own is sent as written', async () => {
    const c = canary({ name: 'request-duration', interval: '1m', thresholdRange: { max: 500 } });
    c.metadata.namespace = 'team-a';
    await analyzer().check(c, 'skipper', signal());
    expect(sent()[0]).toContain('route=~"kube(ew)?_team_a__podinfo_canary__.*__podinfo_canary(_[0-9]+)?"');
    prometheus.reset();
    await analyzer().check(
      canary({ name: 'request-duration', interval: '1m', query: 'up{namespace="{{ namespace }}"}' }),
      'skipper',
      signal(),
    );
    expect(sent()).toEqual(['up{namespace="test"}']);
  });
});

describe('MetricAnalyzer: dry-run metrics', () => {
  it('given a dry-run metric out of range and one without a query, then both are measured, failed and marked dryRun', async () => {
    const c = canary({ name: 'request-success-rate', thresholdRange: { min: 99.9 }, dryRun: true });
    c.spec.analysis!.metrics!.push({ name: 'custom', dryRun: true }, { name: 'request-duration', thresholdRange: { max: 1000 } });
    const [rate, custom, duration] = await analyzer().check(c, 'istio', signal());
    expect(rate).toMatchObject({ name: 'request-success-rate', ok: false, value: 99.5, reason: 'BelowMin', dryRun: true });
    expect(custom).toMatchObject({ name: 'custom', ok: false, reason: 'NoQuery', dryRun: true });
    expect(duration).toMatchObject({ name: 'request-duration', ok: true });
    expect(duration!.dryRun).toBeUndefined();
  });
});

describe('MetricAnalyzer: the revisions of a target released in place', () => {
  const inPlace = { canaryRevision: 'db-b', primaryRevision: 'db-a', canaryPods: 'db-1|db-2', primaryPods: 'db-0' };

  it.each(['request-success-rate', 'request-duration'])(
    "given the built-in %s on provider kubernetes, then it selects exactly the canary revision's pods by name",
    async (name) => {
      await analyzer().check(canary({ name, interval: '30s' }), 'kubernetes', signal(), inPlace);
      const [q] = sent();
      expect(q).toContain('{namespace="test", pod=~"db-1|db-2"');
      expect(q).not.toContain('podinfo');
    },
  );

  it.each(['request-success-rate', 'request-duration'])(
    'given the built-in %s on provider istio, then it selects what the mesh sent to the -canary Service (one workload, both revisions)',
    async (name) => {
      await analyzer().check(canary({ name, interval: '30s' }), 'istio', signal(), inPlace);
      const [q] = sent();
      expect(q).toContain('destination_workload=~"podinfo", destination_service_name="podinfo-canary"');
    },
  );

  it("given a service.name other than the target, then the istio query names that apex's -canary Service", async () => {
    const c = canary({ name: 'request-success-rate', interval: '30s' });
    c.spec.service = { port: 9898, name: 'web' };
    await analyzer().check(c, 'istio', signal(), inPlace);
    expect(sent()[0]).toContain('destination_workload=~"podinfo", destination_service_name="web-canary"');
  });

  it('given the built-in request-success-rate of a primary copy on istio, then it selects the workload alone', async () => {
    await analyzer().check(canary({ name: 'request-success-rate', interval: '30s' }), 'istio', signal());
    expect(sent()[0]).toContain('destination_workload=~"podinfo"}');
    expect(sent()[0]).not.toContain('destination_service_name');
  });

  it("given the built-in request-success-rate of a primary copy, then it still selects the target's pods by name pattern", async () => {
    await analyzer().check(canary({ name: 'request-success-rate', interval: '30s' }), 'kubernetes', signal());
    expect(sent()[0]).toContain('pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"');
  });

  it('given no pod of the canary revision, then the built-in check has no data and nothing is sent', async () => {
    const [r] = await analyzer().check(canary({ name: 'request-success-rate', interval: '30s' }), 'kubernetes', signal(), {
      ...inPlace,
      canaryPods: '',
    });
    expect(r).toMatchObject({ ok: false, reason: 'NoData' });
    expect(sent()).toEqual([]);
  });

  it('given a query naming {{ canaryRevision }}, then the canary revision given to check() is in the query sent', async () => {
    const m = {
      name: 'errors',
      interval: '1m',
      query: 'sum(up{revision="{{ canaryRevision }}"}) + sum(up{revision="{{ primaryRevision }}"})',
    };
    const [r] = await analyzer().check(canary(m), 'kubernetes', signal(), inPlace);
    expect(r).toMatchObject({ ok: true });
    expect(sent()).toEqual(['sum(up{revision="db-b"}) + sum(up{revision="db-a"})']);
  });

  it('given the same query without revisions (a primary copy), then the check fails with the template error and nothing is sent', async () => {
    const m = { name: 'errors', interval: '1m', query: 'sum(up{revision="{{ canaryRevision }}"})' };
    const [r] = await analyzer().check(canary(m), 'kubernetes', signal());
    expect(r).toMatchObject({ ok: false, reason: 'TemplateError' });
    expect(sent()).toEqual([]);
  });
});
