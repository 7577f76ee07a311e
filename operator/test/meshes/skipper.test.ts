import type { Canary, CanarySpec } from '../../src/api/types.js';
import { DURATION, SUCCESS_RATE } from '../../src/api/metric-names.js';
import { Resources } from '../../src/kube/resources.js';
import type { Ingress } from '../../src/meshes/ingress.js';
import { builtinQuery, builtinQueryVars } from '../../src/meshes/registry.js';
import { routesFor } from '../../src/meshes/router.js';
import { routesOfSkipperIngress, skipperAnnotations, skipperIngressSpec, withPredicate } from '../../src/meshes/skipper/spec.js';
import { renderQuery, type QueryVars } from '../../src/metrics/render.js';
import { aCanary, aDeployment, NS, World } from '../fakes/world.js';

const W = 'zalando.org/backend-weights';
const PRED = 'zalando.org/skipper-predicate';
const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' };
const path = (service: string, p = '/'): Record<string, unknown> => ({
  path: p,
  pathType: 'Prefix',
  backend: { service: { name: service, port: { number: 9898 } } },
});
const userIngress = (): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: NS, annotations: { [PRED]: 'Method("GET")' } },
  spec: { rules: [{ host: 'app.example.com', http: { paths: [path('podinfo'), path('assets', '/static')] } }] },
});
const canary = aCanary({}, { provider: 'skipper', ingressRef: INGRESS_REF });

describe('skipper spec', () => {
  it('given an Ingress, then each apex path goes to the primary and is followed by its copy to the canary; other paths are kept', () => {
    expect(skipperIngressSpec(userIngress().spec, 'podinfo', 'podinfo-primary', 'podinfo-canary')).toEqual({
      rules: [{ host: 'app.example.com', http: { paths: [path('podinfo-primary'), path('assets', '/static'), path('podinfo-canary')] } }],
    });
    expect(skipperIngressSpec({ rules: [{ http: { paths: [path('other')] } }] }, 'podinfo', 'p', 'c')).toBeUndefined();
  });

  it.each([
    [undefined, 'Weight(100)', 'Weight(100)'],
    ['Method("GET")', 'Weight(100)', 'Weight(100) && Method("GET")'],
    ['Weight(100) && Method("GET")', 'False()', 'False() && Method("GET")'],
    ['False() && Path("/")', 'Weight(100)', 'Weight(100) && Path("/")'],
  ])('given the predicate %p, then putting %s first gives %p', (raw, first, expected) => {
    expect(withPredicate(raw, first)).toBe(expected);
  });

  it('given weight 25, then the backend weights are 75/25 and the clone takes precedence; at 0 its routes are off', () => {
    expect(skipperAnnotations({ team: 'a', [W]: '{}' }, routesFor(25), canary)).toEqual({
      team: 'a',
      [W]: '{"podinfo-primary":75,"podinfo-canary":25}',
      [PRED]: 'Weight(100)',
    });
    expect(skipperAnnotations({}, routesFor(0), canary)[PRED]).toBe('False()');
  });

  it.each<[string, Record<string, string>, number]>([
    ['75/25 with precedence', { [W]: '{"podinfo-primary":75,"podinfo-canary":25}', [PRED]: 'Weight(100)' }, 25],
    ['ratios 3:1', { [W]: '{"podinfo-primary":3,"podinfo-canary":1}', [PRED]: 'Weight(100)' }, 25],
    ['routes off', { [W]: '{"podinfo-primary":50,"podinfo-canary":50}', [PRED]: 'False() && Method("GET")' }, 0],
    ['weights that are not JSON', { [W]: '{', [PRED]: 'Weight(100)' }, 0],
    ['no weights', { [PRED]: 'Weight(100)' }, 0],
  ])('given %s, then the canary weight read back is %s', (_t, annotations, weight) => {
    expect(routesOfSkipperIngress(canary, { metadata: { name: 'web-canary', annotations } })).toEqual(routesFor(weight));
  });
});

describe('skipper built-in queries', () => {
  const vars: QueryVars = {
    name: 'podinfo',
    namespace: 'team-a',
    target: 'podinfo',
    service: 'podinfo',
    ingress: 'web.public',
    route: '',
    interval: '1m',
    variables: {},
  };
  const render = (metric: typeof SUCCESS_RATE | typeof DURATION): string =>
    renderQuery(builtinQuery('skipper', metric), builtinQueryVars('skipper', vars), 'promql');
  const route = 'route=~"kube(ew)?_team_a__web_public_canary__.*__podinfo_canary(_[0-9]+)?"';

  it("given request-success-rate, then the canary route's non-5xx share, names spelled as Skipper's route ids", () => {
    expect(render(SUCCESS_RATE)).toBe(
      `sum(rate(skipper_response_duration_seconds_bucket{${route}, code!~"5..", le="+Inf"}[1m]))` +
        ` / sum(rate(skipper_response_duration_seconds_bucket{${route}, le="+Inf"}[1m])) * 100`,
    );
  });

  it('given request-duration, then the mean serve time of the canary route in milliseconds', () => {
    expect(render(DURATION)).toBe(
      `sum(rate(skipper_serve_route_duration_seconds_sum{${route}}[1m])) / sum(rate(skipper_serve_route_duration_seconds_count{${route}}[1m])) * 1000`,
    );
  });

  it('given another provider, then its placeholder values are left as they are', () => {
    expect(builtinQueryVars('nginx', vars)).toBe(vars);
  });
});

function world(spec: Partial<CanarySpec> = {}): World {
  const w = new World().apply(aDeployment(), aCanary({}, { provider: 'skipper', ingressRef: INGRESS_REF, ...spec }));
  w.kube.put(Resources.ingresses, userIngress());
  return w;
}
const clone = (w: World): Ingress | undefined => w.kube.get<Ingress>(Resources.ingresses, NS, 'web-canary');
/** The canary's share as Skipper reads the clone (this test's own reader): 0 when its routes are off. */
const weightOf = (w: World): number | undefined => {
  const a = clone(w)?.metadata.annotations;
  if (!a) return undefined;
  if (a[PRED]!.startsWith('False()')) return 0;
  const weights = JSON.parse(a[W]!) as Record<string, number>;
  return (100 * weights['podinfo-canary']!) / (weights['podinfo-primary']! + weights['podinfo-canary']!);
};
const stalled = (c: Canary): string | undefined => c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True')?.reason;

describe('given a Canary with provider skipper and the Ingress it names', () => {
  async function initialized(w: World): Promise<void> {
    await w.reconcile();
    await w.reconcile();
    expect(w.canary.status?.phase).toBe('Initialized');
  }

  it('when initialized, then web-canary exists with its routes off, and the user Ingress is not written', async () => {
    const w = world();
    await initialized(w);
    expect(clone(w)!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(clone(w)!.metadata.annotations?.[PRED]).toBe('False() && Method("GET")');
    expect(weightOf(w)).toBe(0);
    expect(w.kube.writes.filter((x) => x.kind === 'Ingress')).toEqual([{ verb: 'create', kind: 'Ingress', name: 'web-canary' }]);
  });

  it('without spec.ingressRef, then it is stalled as an invalid spec', async () => {
    const w = world({ ingressRef: undefined });
    await w.reconcile();
    expect(stalled(w.canary)).toBe('InvalidSpec');
  });
});
