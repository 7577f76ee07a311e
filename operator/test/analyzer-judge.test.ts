import type { Canary, CanaryJudge, MetricTemplate } from '../src/api/types.js';
import type { SecretReader } from '../src/kube/secrets.js';
import { MetricAnalyzer } from '../src/metrics/analyzer.js';
import { testHttp } from './fakes/outbound.js';
import { signal, VendorApi, type Received } from './fakes/vendor-api.js';

/** A Prometheus stand-in answering range queries: a matrix of the values the test sets per workload. */
const prometheus = new VendorApi();
let samples: Record<string, (string | number)[][]> = {};
const workloadOf = (q: string): string => /workload="([^"]+)"/.exec(q)?.[1] ?? '';
beforeAll(async () => {
  await prometheus.start();
});
afterAll(() => prometheus.stop());
beforeEach(() => {
  prometheus.reset();
  samples = {};
  prometheus.handler = (r: Received) => {
    if (r.path !== '/api/v1/query_range') return { status: 404, body: { status: 'error', error: 'not found' } };
    const series = samples[workloadOf(r.params.get('query') ?? '')] ?? [];
    const result = series.map((values, i) => ({ metric: { pod: `p${i}` }, values: values.map((v, t) => [1000 + t, String(v)]) }));
    return { body: { status: 'success', data: { resultType: 'matrix', result } } };
  };
});

const NOW = 1_700_000_000_000;
const QUERY = 'avg(latency{workload="{{ target }}", ns="{{ namespace }}"}[{{ interval }}])';

const canary = (judge: CanaryJudge): Canary =>
  ({
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 9898 }, analysis: { judge } },
  }) as unknown as Canary;

const analyzer = (templates: MetricTemplate[] = []): MetricAnalyzer =>
  new MetricAnalyzer({
    templates: { get: (ns, name) => templates.find((t) => t.metadata.namespace === ns && t.metadata.name === name), list: () => templates },
    secrets: {} as SecretReader,
    defaultPrometheus: prometheus.address,
    crossNamespaceRefs: 'opt-in',
    http: testHttp,
    ambientNamespaces: [],
  });

const spread = (centre: number, n = 12): number[] => Array.from({ length: n }, (_, i) => centre + i);

describe('MetricAnalyzer.judge', () => {
  it('given no judge, then there is no judgement and no query', async () => {
    expect(await analyzer().judge(canary(undefined as unknown as CanaryJudge), signal(), NOW)).toBeUndefined();
    expect(prometheus.received).toHaveLength(0);
  });

  it('given a query, then the canary and the primary are sampled over the same window, {{ interval }} being the step', async () => {
    samples = { podinfo: [spread(100)], 'podinfo-primary': [spread(100)] };
    await analyzer().judge(canary({ metrics: [{ name: 'latency', query: QUERY, interval: '2m', step: '5s' }] }), signal(), NOW);
    const sent = prometheus.received.map((r) => Object.fromEntries(r.params));
    expect(sent).toHaveLength(2);
    const common = { start: String((NOW - 120_000) / 1000), end: String(NOW / 1000), step: '5' };
    expect(sent).toEqual(
      expect.arrayContaining([
        { query: 'avg(latency{workload="podinfo", ns="test"}[5s])', ...common },
        { query: 'avg(latency{workload="podinfo-primary", ns="test"}[5s])', ...common },
      ]),
    );
  });

  it.each<[string, string | undefined, number]>([
    ['a run started 30s ago', new Date(NOW - 30_000).toISOString(), NOW - 30_000],
    ['a run started 5m ago', new Date(NOW - 300_000).toISOString(), NOW - 120_000],
    ['no run start', undefined, NOW - 120_000],
    ['a run start in the future (a skewed clock)', new Date(NOW + 5_000).toISOString(), NOW],
  ])(
    'given %s, then the window starts no earlier than the run (samples of an earlier revision never count)',
    async (_w, runStartTime, start) => {
      const c = canary({ metrics: [{ name: 'latency', query: QUERY, interval: '2m', step: '5s' }] });
      if (runStartTime) c.status = { runStartTime };
      await analyzer().judge(c, signal(), NOW);
      expect(prometheus.received.map((r) => r.params.get('start'))).toEqual([String(start / 1000), String(start / 1000)]);
    },
  );

  it('given a window over 1000 steps, then the step widens to keep 1000 points per series', async () => {
    await analyzer().judge(canary({ metrics: [{ name: 'latency', query: QUERY, interval: '2h', step: '1s' }] }), signal(), NOW);
    expect(prometheus.received[0]!.params.get('step')).toBe('7.2');
  });

  it('given every default and a one-series query, then the window holds at least minSamples points on each side', async () => {
    // As Prometheus answers: one point per step from start to end.
    prometheus.handler = (r: Received) => {
      const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(r.params.get(k)));
      const values = Array.from({ length: Math.floor((end! - start!) / step!) + 1 }, (_, i) => [start! + i * step!, String(100 + i)]);
      return { body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } } };
    };
    const j = await analyzer().judge(canary({ metrics: [{ name: 'latency', query: QUERY }] }), signal(), NOW);
    expect(j).toMatchObject({ verdict: 'Pass', metrics: [{ classification: 'Pass', canarySamples: 13, primarySamples: 13 }] });
  });

  it('given a canary twice as slow on every pod, then the verdict is Fail with the latency classified High', async () => {
    samples = { podinfo: [spread(200, 8), spread(201, 8)], 'podinfo-primary': [spread(100, 8), spread(101, 8)] };
    const j = await analyzer().judge(canary({ metrics: [{ name: 'latency', query: QUERY }] }), signal(), NOW);
    expect(j).toMatchObject({ verdict: 'Fail', score: 0, metrics: [{ name: 'latency', classification: 'High', canarySamples: 16 }] });
  });

  it('given a template and a second metric within its tolerance, then the score counts both', async () => {
    const t: MetricTemplate = {
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'lat', namespace: 'test' },
      spec: { provider: { type: 'prometheus', address: prometheus.address }, query: QUERY },
    };
    samples = { podinfo: [spread(200)], 'podinfo-primary': [spread(100)] };
    const j = await analyzer([t]).judge(
      canary({
        pass: 100,
        marginal: 50,
        metrics: [
          { name: 'slow', templateRef: { name: 'lat' } },
          { name: 'tolerant', templateRef: { name: 'lat' }, effectSize: 3 },
        ],
      }),
      signal(),
      NOW,
    );
    expect(j).toMatchObject({ verdict: 'Marginal', score: 50, pass: 100, marginal: 50 });
  });

  it.each<[string, CanaryJudge, RegExp]>([
    ['a missing template', { metrics: [{ name: 'lat', templateRef: { name: 'nope' } }] }, /^lat: MetricTemplate test\/nope not found$/],
    ['an unknown placeholder', { metrics: [{ name: 'lat', query: 'x{a="{{ nope }}"}' }] }, /^lat: .*unknown placeholder/],
    ['no query', { metrics: [{ name: 'lat' }] }, /^lat: needs templateRef or query$/],
  ])('given %s, then the judgement is an error naming the metric', async (_what, judge, message) => {
    const j = await analyzer().judge(canary(judge), signal(), NOW);
    expect(j).toEqual({ error: expect.stringMatching(message) });
  });

  it('given Prometheus failing, then the judgement is an error naming the metric and the backend', async () => {
    prometheus.handler = () => ({ status: 500, body: { status: 'error', error: 'boom' } });
    const j = await analyzer().judge(canary({ metrics: [{ name: 'lat', query: QUERY }] }), signal(), NOW);
    expect(j).toEqual({ error: expect.stringMatching(/^lat: prometheus: query failed/) });
  });

  it('given a template of a backend without range queries, then the judgement says so', async () => {
    const t: MetricTemplate = {
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'dd', namespace: 'test' },
      spec: { provider: { type: 'datadog', address: prometheus.address }, query: 'avg:latency{*}' },
    };
    const j = await analyzer([t]).judge(canary({ metrics: [{ name: 'lat', templateRef: { name: 'dd' } }] }), signal(), NOW);
    expect(j).toEqual({ error: 'lat: the judge needs range queries, which the datadog provider does not offer' });
  });
});
