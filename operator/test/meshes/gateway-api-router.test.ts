import type { KubeObject } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { gatewayApiRouter, HttpRouteRouter } from '../../src/meshes/gateway-api/router.js';
import { LinkerdRouter } from '../../src/meshes/linkerd/router.js';
import { routesFor } from '../../src/meshes/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admittingClient } from '../fakes/upstream-crds.js';

type Route = KubeObject & { spec: Record<string, unknown> };

const GATEWAY = { name: 'public', namespace: 'gateway-system' };
const APEX_PARENT = { group: 'core', kind: 'Service', name: 'podinfo', port: 9898 };

describe('HttpRouteRouter.validate (Gateway API)', () => {
  const router = gatewayApiRouter('v1', routerDepsOf(new FakeKube()));

  it('given no gatewayRefs, then it is an error: the HTTPRoute would attach to nothing', () => {
    expect(router.validate!(canaryOf(), strategyFor(canaryOf()))).toEqual({
      errors: ['provider gatewayapi:v1 needs service.gatewayRefs: the Gateways (or, for a mesh, the Service) the HTTPRoute attaches to'],
      notices: [],
    });
    expect(router.validate!(canaryOf({ gatewayRefs: [] }), strategyFor(canaryOf({ gatewayRefs: [] }))).errors).toHaveLength(1);
  });

  it('given gatewayRefs and convertible matches, then there is nothing to report', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ uri: { prefix: '/api' } }] },
      { iterations: 3, match: [{ headers: { a: { exact: '1' } } }] },
    );
    expect(router.validate!(c, strategyFor(c))).toEqual({ errors: [], notices: [] });
  });

  it('given match fields an HTTPRoute cannot express, then they are an error, named', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ sourceLabels: { app: 'x' } }] },
      { iterations: 3, match: [{ withoutHeaders: { a: { exact: '1' } } }] },
    );
    expect(router.validate!(c, strategyFor(c))).toEqual({
      errors: ['match fields sourceLabels, withoutHeaders cannot be expressed in an HTTPRoute'],
      notices: [],
    });
  });

  it('given neither gatewayRefs nor convertible matches, then both errors are reported', () => {
    const c = canaryOf({ match: [{ port: 80 }] });
    expect(router.validate!(c, strategyFor(c)).errors).toEqual([
      'provider gatewayapi:v1 needs service.gatewayRefs: the Gateways (or, for a mesh, the Service) the HTTPRoute attaches to',
      'match fields port cannot be expressed in an HTTPRoute',
    ]);
  });

  it('given retries or a trafficPolicy, then a notice says they are not applied', () => {
    expect(
      router.validate!(
        canaryOf({ gatewayRefs: [GATEWAY], retries: { attempts: 3 } }),
        strategyFor(canaryOf({ gatewayRefs: [GATEWAY], retries: { attempts: 3 } })),
      ),
    ).toEqual({
      errors: [],
      notices: ['service.retries and service.trafficPolicy have no HTTPRoute field and are not applied by gatewayapi:v1'],
    });
    expect(
      gatewayApiRouter('v1beta1', routerDepsOf(new FakeKube())).validate!(
        canaryOf({ gatewayRefs: [GATEWAY], trafficPolicy: { tls: {} } }),
        strategyFor(canaryOf({ gatewayRefs: [GATEWAY], trafficPolicy: { tls: {} } })),
      ).notices,
    ).toEqual(['service.retries and service.trafficPolicy have no HTTPRoute field and are not applied by gatewayapi:v1beta1']);
  });

  it('given rewrite, CORS, mirror and response headers on the gateway flavour, then nothing is reported (all are supported)', () => {
    const c = canaryOf({
      gatewayRefs: [GATEWAY],
      rewrite: { uri: '/' },
      corsPolicy: { allowMethods: ['GET'] },
      mirror: [{ backendRef: { name: 'x', port: 1 } }],
      headers: { response: { set: { a: '1' } } },
    });
    expect(router.validate!(c, strategyFor(c))).toEqual({ errors: [], notices: [] });
  });
});

describe('HttpRouteRouter.validate (Linkerd flavour)', () => {
  const router = new HttpRouteRouter('linkerd', Resources.linkerdHttpRoutes, 'linkerd', routerDepsOf(new FakeKube()));
  const NOTICE =
    'Linkerd HTTPRoutes support only request header changes: service.rewrite, corsPolicy, mirror and response headers are not applied';

  it('given no gatewayRefs, then it is not an error (the parent defaults to the apex Service)', () => {
    expect(router.validate(canaryOf(), strategyFor(canaryOf()))).toEqual({ errors: [], notices: [] });
  });

  it.each<[string, Parameters<typeof canaryOf>[0]]>([
    ['a rewrite', { rewrite: { uri: '/v2' } }],
    ['a CORS policy', { corsPolicy: { allowMethods: ['GET'] } }],
    ['a service mirror', { mirror: [{ backendRef: { name: 'shadow', port: 80 } }] }],
    ['response headers', { headers: { response: { set: { a: '1' } } } }],
  ])('given %s, then a notice says it is not applied', (_title, service) => {
    expect(router.validate(canaryOf(service), strategyFor(canaryOf(service)))).toEqual({ errors: [], notices: [NOTICE] });
  });

  it('given request headers only, then there is no notice', () => {
    expect(
      router.validate(
        canaryOf({ headers: { request: { set: { a: '1' } } } }),
        strategyFor(canaryOf({ headers: { request: { set: { a: '1' } } } })),
      ),
    ).toEqual({ errors: [], notices: [] });
  });

  it('given a rewrite and retries, then both notices are given, the Linkerd one first', () => {
    expect(
      router.validate(
        canaryOf({ rewrite: { uri: '/' }, retries: { attempts: 2 } }),
        strategyFor(canaryOf({ rewrite: { uri: '/' }, retries: { attempts: 2 } })),
      ).notices,
    ).toEqual([NOTICE, 'service.retries and service.trafficPolicy have no HTTPRoute field and are not applied by linkerd']);
  });

  it('given unconvertible match fields, then they are an error here too', () => {
    expect(
      router.validate(
        canaryOf({}, { iterations: 2, match: [{ headers: { a: { exact: '1' } }, ignoreUriCase: true }] }),
        strategyFor(canaryOf({}, { iterations: 2, match: [{ headers: { a: { exact: '1' } }, ignoreUriCase: true }] })),
      ).errors,
    ).toEqual(['match fields ignoreUriCase cannot be expressed in an HTTPRoute']);
  });
});

describe('HttpRouteRouter through the API', () => {
  it('given gatewayapi:v1, when routes are set, then an HTTPRoute gateway.networking.k8s.io/v1 <apex> owned by the Canary carries them', async () => {
    const kube = new FakeKube();
    const router = gatewayApiRouter('v1', routerDepsOf(kube));
    expect(router.provider).toBe('gatewayapi:v1');
    const c = canaryOf({ gatewayRefs: [GATEWAY] });
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(kube.writes).toEqual([{ verb: 'create', kind: 'HTTPRoute', name: 'podinfo' }]);
    const route = kube.get<Route>(Resources.httpRoutesV1, 'test', 'podinfo')!;
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.metadata.ownerReferences).toEqual([OWNER]);
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'public', namespace: 'gateway-system' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
          ],
        },
      ],
    });
    expect(kube.get(Resources.httpRoutesV1beta1, 'test', 'podinfo')).toBeUndefined();
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
  });

  it('given gatewayapi:v1beta1, then the HTTPRoute is written as v1beta1', async () => {
    const kube = new FakeKube();
    const router = gatewayApiRouter('v1beta1', routerDepsOf(kube));
    const c = canaryOf({ gatewayRefs: [GATEWAY] });
    await router.setRoutes(c, TARGET, routesFor(25), strategyFor(c), signal());
    expect(kube.get<Route>(Resources.httpRoutesV1beta1, 'test', 'podinfo')!.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(kube.get(Resources.httpRoutesV1, 'test', 'podinfo')).toBeUndefined();
    expect(await router.getRoutes(c)).toEqual(routesFor(25));
  });

  it('given the route carries the routes, when set again, then nothing is written; reconcile keeps live weights; finalize deletes the owned route', async () => {
    const kube = new FakeKube();
    const router = gatewayApiRouter('v1', routerDepsOf(kube));
    const c = canaryOf({ gatewayRefs: [GATEWAY] });
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(await router.getRoutes(c)).toEqual(routesFor(0));
    await router.setRoutes(c, TARGET, routesFor(40), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(40), strategyFor(c), signal());
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(kube.writes.map((w) => w.verb)).toEqual(['create', 'update']);
    expect(await router.getRoutes(c)).toEqual(routesFor(40));
    await router.finalize(c, signal());
    expect(kube.writes.map((w) => w.verb)).toEqual(['create', 'update', 'delete']);
    expect(kube.get(Resources.httpRoutesV1, 'test', 'podinfo')).toBeUndefined();
    expect(await router.getRoutes(c)).toBeUndefined();
  });

  it('given an HTTPRoute that existed before the Canary, when finalized after the Canary adopted it, then it gets its original spec back', async () => {
    const kube = new FakeKube();
    const original = {
      parentRefs: [{ name: 'public', namespace: 'gateway-system' }],
      rules: [{ backendRefs: [{ name: 'podinfo', port: 9898 }] }],
    };
    kube.put(Resources.httpRoutesV1, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: original,
    });
    const router = gatewayApiRouter('v1', routerDepsOf(kube));
    const c = canaryOf({ gatewayRefs: [GATEWAY] });
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
    await router.finalize(c, signal());
    expect(kube.get<Route>(Resources.httpRoutesV1, 'test', 'podinfo')?.spec).toEqual(original);
  });

  it('given a mirrored step, then getRoutes reads it back as mirrored', async () => {
    const kube = new FakeKube();
    const router = gatewayApiRouter('v1', routerDepsOf(kube));
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 3, mirror: true });
    await router.setRoutes(c, TARGET, routesFor(0, true), strategyFor(c), signal());
    expect(await router.getRoutes(c)).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: true });
  });

  it('given an API server with the upstream Gateway API schema, then the route is accepted, stored with server defaults, and an idle second write is skipped', async () => {
    const kube = new FakeKube();
    const router = gatewayApiRouter('v1', routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], hosts: ['app.example.com'], timeout: '30s', headers: { request: { set: { a: '1' } } } },
      { iterations: 3, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] },
    );
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    expect(kube.get<Route>(Resources.httpRoutesV1, 'test', 'podinfo')!.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateway-system' }],
      hostnames: ['app.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }] }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }] } }],
          backendRefs: [
            { group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 0 },
            { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 100 },
          ],
          timeouts: { request: '30s' },
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }] } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 100 }],
          timeouts: { request: '30s' },
        },
      ],
    });
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(kube.writes).toEqual([{ verb: 'create', kind: 'HTTPRoute', name: 'podinfo' }]);
    expect(await router.getRoutes(c)).toEqual(routesFor(100));
  });

  it('given the apex metadata overlay, then the HTTPRoute carries its labels and annotations', async () => {
    const kube = new FakeKube();
    await gatewayApiRouter('v1', routerDepsOf(kube)).setRoutes(
      canaryOf({ gatewayRefs: [GATEWAY], apex: { labels: { tier: 'web' }, annotations: { a: 'b' } } }),
      TARGET,
      routesFor(0),
      strategyFor(canaryOf({ gatewayRefs: [GATEWAY], apex: { labels: { tier: 'web' }, annotations: { a: 'b' } } })),
      signal(),
    );
    const route = kube.get<Route>(Resources.httpRoutesV1, 'test', 'podinfo')!;
    expect(route.metadata.labels).toEqual({ tier: 'web', 'tollgate.dev/canary': 'podinfo' });
    expect(route.metadata.annotations).toMatchObject({ a: 'b' });
  });
});

describe('LinkerdRouter', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given no gatewayRefs, when routes are set, then an SMI TrafficSplit v1alpha2 <apex> is written and no HTTPRoute', async () => {
    const kube = new FakeKube();
    const router = new LinkerdRouter(routerDepsOf(kube));
    expect(router.provider).toBe('linkerd');
    await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
    expect(kinds(kube)).toEqual(['create TrafficSplit podinfo']);
    const ts = kube.get<Route>(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')!;
    expect(ts.apiVersion).toBe('split.smi-spec.io/v1alpha2');
    expect(ts.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: 90 },
        { service: 'podinfo-canary', weight: 10 },
      ],
    });
    expect(kube.get(Resources.linkerdHttpRoutes, 'test', 'podinfo')).toBeUndefined();
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(10));
  });

  it('given gatewayRefs (the apex Service), when routes are set, then a policy.linkerd.io/v1beta3 HTTPRoute is written and no TrafficSplit', async () => {
    const kube = new FakeKube();
    const router = new LinkerdRouter(routerDepsOf(kube));
    const c = canaryOf({ gatewayRefs: [APEX_PARENT], timeout: '10s', rewrite: { uri: '/' } });
    await router.setRoutes(c, TARGET, routesFor(20), strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create HTTPRoute podinfo']);
    const route = kube.get<Route>(Resources.linkerdHttpRoutes, 'test', 'podinfo')!;
    expect(route.apiVersion).toBe('policy.linkerd.io/v1beta3');
    expect(route.metadata.ownerReferences).toEqual([OWNER]);
    expect(route.spec).toEqual({
      parentRefs: [{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 80 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 20 },
          ],
          timeouts: { request: '10s' },
        },
      ],
    });
    for (const r of [Resources.trafficSplitsV1alpha1, Resources.trafficSplitsV1alpha2, Resources.httpRoutesV1])
      expect(kube.get(r, 'test', 'podinfo')).toBeUndefined();
    expect(await router.getRoutes(c)).toEqual(routesFor(20));
  });

  it('given A/B testing without gatewayRefs, then validate refuses it: a TrafficSplit cannot match requests', () => {
    const router = new LinkerdRouter(routerDepsOf(new FakeKube()));
    expect(
      router.validate(
        canaryOf({}, { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] }),
        strategyFor(canaryOf({}, { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] })),
      ),
    ).toEqual({
      errors: ['A/B testing with provider linkerd needs service.gatewayRefs (an HTTPRoute): a TrafficSplit cannot match requests'],
      notices: [],
    });
  });

  it('given A/B testing through the deprecated canaryAnalysis without gatewayRefs, then validate refuses it too', () => {
    const router = new LinkerdRouter(routerDepsOf(new FakeKube()));
    const c = canaryOf({}, undefined, {
      analysis: undefined,
      canaryAnalysis: { iterations: 5, match: [{ headers: { a: { exact: '1' } } }] },
    });
    expect(router.validate(c, strategyFor(c)).errors).toHaveLength(1);
  });

  it('given a plain canary without gatewayRefs, then validate has nothing to say', () => {
    expect(
      new LinkerdRouter(routerDepsOf(new FakeKube())).validate(
        canaryOf({ rewrite: { uri: '/' } }),
        strategyFor(canaryOf({ rewrite: { uri: '/' } })),
      ),
    ).toEqual({
      errors: [],
      notices: [],
    });
  });

  it('given A/B testing with gatewayRefs, then validate accepts it and the HTTPRoute has the matched rule and the default rule', async () => {
    const kube = new FakeKube();
    const router = new LinkerdRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf({ gatewayRefs: [APEX_PARENT] }, { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
    expect(router.validate(c, strategyFor(c))).toEqual({ errors: [], notices: [] });
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    expect(kube.get<Route>(Resources.linkerdHttpRoutes, 'test', 'podinfo')!.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }] }],
        backendRefs: [
          { group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 0 },
          { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 100 },
        ],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 100 }],
      },
    ]);
    expect(await router.getRoutes(c)).toEqual(routesFor(100));
  });

  it('given gatewayRefs with an unsupported filter, then validate gives the Linkerd notice', () => {
    expect(
      new LinkerdRouter(routerDepsOf(new FakeKube())).validate(
        canaryOf({ gatewayRefs: [APEX_PARENT], corsPolicy: { allowMethods: ['GET'] } }),
        strategyFor(canaryOf({ gatewayRefs: [APEX_PARENT], corsPolicy: { allowMethods: ['GET'] } })),
      ).notices,
    ).toEqual([
      'Linkerd HTTPRoutes support only request header changes: service.rewrite, corsPolicy, mirror and response headers are not applied',
    ]);
  });

  it('given an owned TrafficSplit or HTTPRoute, when finalized, then the one the Canary uses is deleted', async () => {
    const kube = new FakeKube();
    const router = new LinkerdRouter(routerDepsOf(kube));
    await router.setRoutes(canaryOf(), TARGET, routesFor(50), strategyFor(canaryOf()), signal());
    await router.finalize(canaryOf(), signal());
    expect(kube.get(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')).toBeUndefined();
    const viaRoute = canaryOf({ gatewayRefs: [APEX_PARENT] });
    await router.setRoutes(viaRoute, TARGET, routesFor(50), strategyFor(viaRoute), signal());
    await router.finalize(viaRoute, signal());
    expect(kube.get(Resources.linkerdHttpRoutes, 'test', 'podinfo')).toBeUndefined();
    expect(kinds(kube)).toEqual([
      'create TrafficSplit podinfo',
      'delete TrafficSplit podinfo',
      'create HTTPRoute podinfo',
      'delete HTTPRoute podinfo',
    ]);
  });

  it('given an API server with the upstream schemas, then the TrafficSplit and the HTTPRoute are accepted and idle writes are skipped', async () => {
    const kube = new FakeKube();
    const router = new LinkerdRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const viaSmi = canaryOf();
    const viaRoute = canaryOf({
      name: 'frontend',
      gatewayRefs: [{ ...APEX_PARENT, name: 'frontend' }],
      headers: { request: { add: { a: '1' } } },
    });
    for (let i = 0; i < 2; i++) {
      await router.setRoutes(viaSmi, TARGET, routesFor(30), strategyFor(viaSmi), signal());
      await router.setRoutes(viaRoute, TARGET, routesFor(30), strategyFor(viaRoute), signal());
    }
    expect(kinds(kube)).toEqual(['create TrafficSplit podinfo', 'create HTTPRoute frontend']);
  });
});
