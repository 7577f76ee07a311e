import type { KubeObject } from '../../src/api/types.js';
import { ownedBy } from '../../src/kube/ensure.js';
import { Resources } from '../../src/kube/resources.js';
import { GlooRouter } from '../../src/meshes/gloo/router.js';
import { matcherOf, routesOfRouteTable, routeTableSpec, upstreamRefOf, upstreamSpec, validateForGloo } from '../../src/meshes/gloo/spec.js';
import { TargetError } from '../../src/targets/target.js';
import { routesFor } from '../../src/meshes/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type Obj = KubeObject & { spec: Record<string, unknown> };

const PRIMARY = 'test-podinfo-primaryupstream-9898';
const CANARY = 'test-podinfo-canaryupstream-9898';
const dest = (name: string, weight: number) => ({ destination: { upstream: { name, namespace: 'test' } }, weight });
const weighted = (p: number, c: number) => ({
  inheritablePathMatchers: true,
  routeAction: { multi: { destinations: [dest(PRIMARY, p), dest(CANARY, c)] } },
});
const AB = {
  iterations: 5,
  match: [
    { headers: { 'x-canary': { exact: 'insider' } } },
    { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } }, method: { exact: 'GET' } },
  ],
};

describe('routeTableSpec', () => {
  it.each([0, 10, 100])('given canary weight %p, then one route inheriting the parent path weighs the two Upstreams', (w) => {
    const c = canaryOf();
    const spec = routeTableSpec(c, routesFor(w), strategyFor(c));
    expect(spec).toEqual({ routes: [weighted(100 - w, w)] });
    expect(admitSpec(Resources.glooRouteTables, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given A/B matches, then the weighted route carries one matcher per match (headers, methods) and a second route sends the rest to the primary', () => {
    const c = canaryOf({}, AB);
    const spec = routeTableSpec(c, routesFor(100), strategyFor(c));
    expect(spec).toEqual({
      routes: [
        {
          matchers: [
            { headers: [{ name: 'x-canary', value: 'insider' }] },
            { headers: [{ name: 'cookie', value: '^(.*?;)?(canary=always)(;.*)?$', regex: true }], methods: ['GET'] },
          ],
          ...weighted(0, 100),
        },
        { inheritablePathMatchers: true, routeAction: { single: { upstream: { name: PRIMARY, namespace: 'test' } } } },
      ],
    });
    expect(admitSpec(Resources.glooRouteTables, spec)).toMatchObject({ errors: [], pruned: [] });
  });
});

describe('matcherOf', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['prefix header', { headers: { 'x-user': { prefix: 'a.b' } } }, { headers: [{ name: 'x-user', value: 'a\\.b.*', regex: true }] }],
    ['suffix header', { headers: { 'x-user': { suffix: '+1' } } }, { headers: [{ name: 'x-user', value: '.*\\+1', regex: true }] }],
    ['header presence', { headers: { 'x-user': {} } }, { headers: [{ name: 'x-user' }] }],
    ['query parameter', { queryParams: { beta: { exact: 'on' } } }, { queryParameters: [{ name: 'beta', value: 'on' }] }],
  ])('given a %s, then the Gloo matcher compares it as Envoy does', (_t, match, matcher) => {
    expect(matcherOf(match)).toEqual(matcher);
  });
});

describe('upstreamSpec', () => {
  it('given each side, then a kube Upstream names its Service, namespace and port, accepted by the Upstream schema', () => {
    for (const side of ['primary', 'canary'] as const) {
      const spec = upstreamSpec(canaryOf(), side);
      expect(spec).toEqual({ kube: { serviceName: `podinfo-${side}`, serviceNamespace: 'test', servicePort: 9898 } });
      expect(admitSpec(Resources.glooUpstreams, spec)).toMatchObject({ errors: [], pruned: [] });
    }
  });
});

describe('upstreamSpec with an upstreamRef', () => {
  const CONFIG = {
    kube: { serviceName: 'config', serviceNamespace: 'gloo-system', servicePort: 80 },
    discoveryMetadata: { labels: { app: 'config' } },
    connectionConfig: { maxRequestsPerConnection: 1 },
    useHttp2: true,
  };

  it("given the referenced Upstream's spec, then its options are copied and its kube Service replaced by the side's", () => {
    const spec = upstreamSpec(canaryOf(), 'canary', CONFIG);
    expect(spec).toEqual({
      connectionConfig: { maxRequestsPerConnection: 1 },
      useHttp2: true,
      kube: { serviceName: 'podinfo-canary', serviceNamespace: 'test', servicePort: 9898 },
    });
    expect(admitSpec(Resources.glooUpstreams, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it.each<[string, Record<string, unknown> | undefined, unknown]>([
    ['none', undefined, undefined],
    ['a namespace', { name: 'config', namespace: 'gloo-system' }, { name: 'config', namespace: 'gloo-system' }],
    ["no namespace (the Canary's)", { name: 'config' }, { name: 'config', namespace: 'test' }],
  ])('given upstreamRef with %s, then the Upstream read is as named', (_t, ref, expected) => {
    expect(upstreamRefOf(canaryOf({}, {}, ref ? { upstreamRef: ref } : {}))).toEqual(expected);
  });
});

describe('routesOfRouteTable', () => {
  it.each<[string, Record<string, unknown> | undefined, ReturnType<typeof routesFor> | undefined]>([
    ['no object', undefined, undefined],
    ['no weighted route', { routes: [{ routeAction: { single: { upstream: { name: PRIMARY } } } }] }, undefined],
    ['90/10', { routes: [weighted(90, 10)] }, routesFor(10)],
    ['relative weights 1/3', { routes: [weighted(1, 3)] }, routesFor(75)],
    ['the A/B layout', { routes: [{ matchers: [{}], ...weighted(0, 100) }, { routeAction: { single: {} } }] }, routesFor(100)],
  ])('given %s, then the routes read back are as Gloo splits', (_t, spec, routes) => {
    expect(routesOfRouteTable(canaryOf(), spec)).toEqual(routes);
  });
});

describe('validateForGloo', () => {
  it('given the Flagger gloo e2e Canary, then there is nothing to report', () => {
    const c = canaryOf({ targetPort: 9898 }, AB);
    expect(validateForGloo(c, strategyFor(c))).toEqual({ errors: [], notices: [] });
  });

  it('given uri or a non-exact method in a match, then both are refused', () => {
    const c = canaryOf({}, { iterations: 5, match: [{ uri: { prefix: '/api' }, method: { regex: 'GET|HEAD' } }] });
    expect(validateForGloo(c, strategyFor(c)).errors).toEqual([
      'match fields uri, method (not exact) cannot be expressed as Gloo matchers (headers, queryParams, an exact method can)',
    ]);
  });

  it('given routing fields of the VirtualService, then one notice names them', () => {
    const c = canaryOf({ timeout: '5s', hosts: ['app.example.com'] });
    expect(validateForGloo(c, strategyFor(c))).toEqual({
      errors: [],
      notices: [
        'service.hosts, service.timeout not applied by gloo: the RouteTable podinfo only weighs the Upstreams; set them on the VirtualService that delegates to it',
      ],
    });
  });
});

describe('GlooRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given a Canary, then the Upstreams are written before the RouteTable, all owned; idle writes are skipped; finalize deletes all three', async () => {
    const kube = new FakeKube();
    const router = new GlooRouter(routerDepsOf(kube, admittingClient(kube.client())));
    expect(router.provider).toBe('gloo');
    const c = canaryOf({ apex: { labels: { test: 'test-label' } } });
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(kinds(kube)).toEqual([
      `create Upstream ${PRIMARY}`,
      `create Upstream ${CANARY}`,
      'create RouteTable podinfo',
      'update RouteTable podinfo',
    ]);
    const rt = kube.get<Obj>(Resources.glooRouteTables, 'test', 'podinfo')!;
    expect(rt.apiVersion).toBe('gateway.solo.io/v1');
    expect(rt.metadata.ownerReferences).toEqual([OWNER]);
    expect(rt.metadata.labels).toEqual({ test: 'test-label', 'tollgate.dev/canary': 'podinfo' });
    expect(rt.spec).toEqual({ routes: [weighted(90, 10)] });
    expect(kube.get<Obj>(Resources.glooUpstreams, 'test', CANARY)!.metadata.ownerReferences).toEqual([OWNER]);
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
    await router.finalize(c, signal());
    expect(kinds(kube).slice(4)).toEqual(['delete RouteTable podinfo', `delete Upstream ${PRIMARY}`, `delete Upstream ${CANARY}`]);
    expect(await router.getRoutes(c)).toBeUndefined();
  });

  it('given an upstreamRef, then both Upstreams carry its options; a missing one stalls the Canary naming it', async () => {
    const kube = new FakeKube();
    kube.put(Resources.glooUpstreams, {
      apiVersion: 'gloo.solo.io/v1',
      kind: 'Upstream',
      metadata: { name: 'config-upstream', namespace: 'gloo-system' },
      spec: {
        kube: { serviceName: 'x', serviceNamespace: 'gloo-system', servicePort: 80 },
        connectionConfig: { maxRequestsPerConnection: 1 },
      },
    });
    const router = new GlooRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const ref = { apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', name: 'config-upstream', namespace: 'gloo-system' };
    const c = canaryOf({}, { stepWeight: 10 }, { upstreamRef: ref });
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    for (const name of [PRIMARY, CANARY])
      expect(kube.get<Obj>(Resources.glooUpstreams, 'test', name)!.spec.connectionConfig).toEqual({ maxRequestsPerConnection: 1 });
    const missing = canaryOf({}, { stepWeight: 10 }, { upstreamRef: { ...ref, name: 'gone' } });
    const err = await router.reconcile(missing, TARGET, strategyFor(missing), signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ reason: 'TargetInvalid', message: 'Upstream gloo-system/gone (spec.upstreamRef) not found' });
  });

  it('given a RouteTable of the same name the Canary does not own, then it is adopted and finalize gives its original spec back', async () => {
    const kube = new FakeKube();
    const original = {
      routes: [{ routeAction: { single: { upstream: { name: 'gloo-system-podinfo-9898', namespace: 'gloo-system' } } } }],
    };
    kube.put(Resources.glooRouteTables, {
      apiVersion: 'gateway.solo.io/v1',
      kind: 'RouteTable',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: original,
    });
    const router = new GlooRouter(routerDepsOf(kube));
    const c = canaryOf();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(50), strategyFor(c), signal());
    expect(ownedBy(kube.get<Obj>(Resources.glooRouteTables, 'test', 'podinfo')!, c)).toBe(false);
    expect(await router.getRoutes(c)).toEqual(routesFor(50));
    await router.finalize(c, signal());
    expect(kube.get<Obj>(Resources.glooRouteTables, 'test', 'podinfo')!.spec).toEqual(original);
  });
});
