import type { Canary, MetricTemplate } from '../src/api/types.js';
import type { CrossNamespacePolicy } from '../src/core/cross-namespace.js';
import type { SecretReader } from '../src/kube/secrets.js';
import { MetricAnalyzer } from '../src/metrics/analyzer.js';
import { testHttp } from './fakes/outbound.js';
import { signal, VendorApi } from './fakes/vendor-api.js';

/** Security finding 9: a Canary of one namespace using a MetricTemplate (and its Secret) of another. */
const prometheus = new VendorApi();
let address: string;

beforeAll(async () => {
  await prometheus.start();
  prometheus.handler = () => ({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] } } });
  address = prometheus.address;
});

afterAll(() => prometheus.stop());

beforeEach(() => prometheus.reset());

/** The queries Prometheus received. */
const queries = (): (string | null)[] => prometheus.received.map((r) => r.params.get('query'));

const template = (annotations?: Record<string, string>): MetricTemplate => ({
  metadata: { name: 'errors', namespace: 'shared', ...(annotations ? { annotations } : {}) },
  spec: { provider: { type: 'prometheus', address, secretRef: { name: 'prom-creds' } }, query: 'sum(errors{app="{{ variables.app }}"})' },
});

const canary = (namespace: string, app = 'podinfo'): Canary =>
  ({
    metadata: { name: 'podinfo', namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: {
        metrics: [
          { name: 'errors', templateRef: { name: 'errors', namespace: 'shared' }, templateVariables: { app }, thresholdRange: { max: 5 } },
        ],
      },
    },
  }) as unknown as Canary;

function analyzer(t: MetricTemplate, policy: CrossNamespacePolicy = 'opt-in'): { a: MetricAnalyzer; secretReads: string[] } {
  const secretReads: string[] = [];
  const a = new MetricAnalyzer({
    templates: { get: (ns, name) => (ns === t.metadata.namespace && name === t.metadata.name ? t : undefined), list: () => [t] },
    secrets: {
      read: async (ns: string, name: string) => {
        secretReads.push(`${ns}/${name}`);
        return { token: 'shared-token' };
      },
    } as unknown as SecretReader,
    defaultPrometheus: address,
    crossNamespaceRefs: policy,
    http: testHttp,
    ambientNamespaces: [],
  });
  return { a, secretReads };
}

describe('MetricAnalyzer cross-namespace templateRef', () => {
  it.each([[undefined], [{ 'tollgate.dev/allow-cross-namespace': 'team-b' }], [{ 'tollgate.dev/allow-cross-namespace': '' }]])(
    'given a template of namespace shared with annotations %j, then a Canary of team-a is refused: no query, no Secret read, a clear reason',
    async (annotations) => {
      const { a, secretReads } = analyzer(template(annotations));
      const [r] = await a.check(canary('team-a'), 'istio', signal());
      expect(r).toMatchObject({
        name: 'errors',
        ok: false,
        reason: 'CrossNamespaceRefused',
        message:
          'errors: MetricTemplate shared/errors may not be used from namespace team-a: annotate it with tollgate.dev/allow-cross-namespace: "team-a" (a comma-separated list, or "*"), or run the operator with --cross-namespace-refs=allow',
      });
      expect(queries()).toEqual([]);
      expect(secretReads).toEqual([]);
    },
  );

  it.each([['team-a'], ['team-b,team-a'], ['*']])(
    'given the template allows %p, then the Canary of team-a uses it with its Secret',
    async (allow) => {
      const { a, secretReads } = analyzer(template({ 'tollgate.dev/allow-cross-namespace': allow }));
      const [r] = await a.check(canary('team-a'), 'istio', signal());
      expect(r).toMatchObject({ name: 'errors', ok: true, value: 1 });
      expect(secretReads).toEqual(['shared/prom-creds']);
      expect(queries()).toEqual(['sum(errors{app="podinfo"})']);
    },
  );

  it("given --cross-namespace-refs=allow, then no annotation is needed (Flagger's behaviour)", async () => {
    const [r] = await analyzer(template(), 'allow').a.check(canary('team-a'), 'istio', signal());
    expect(r).toMatchObject({ ok: true });
  });

  it("given a template of the Canary's own namespace, then no annotation is needed", async () => {
    const t = { ...template(), metadata: { name: 'errors', namespace: 'team-a' } };
    const c = canary('team-a');
    c.spec.analysis!.metrics![0]!.templateRef = { name: 'errors' };
    expect((await analyzer(t).a.check(c, 'istio', signal()))[0]).toMatchObject({ ok: true });
  });

  it('given an allowed template and an injecting templateVariable, then the query sent keeps its structure', async () => {
    const { a } = analyzer(template({ 'tollgate.dev/allow-cross-namespace': '*' }));
    await a.check(canary('team-a', '"} or vector(1) or {a="'), 'istio', signal());
    expect(queries()).toEqual(['sum(errors{app="\\"} or vector(1) or {a=\\""})']);
  });
});
