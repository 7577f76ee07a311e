import type { Canary, KubeObject } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { ownedBy } from '../../src/kube/ensure.js';
import { AppMeshRouter } from '../../src/meshes/appmesh/router.js';
import {
  canaryRouterSpec,
  protocolOf,
  routesOfVirtualRouter,
  virtualNodeSpec,
  virtualRouterSpec,
  virtualServiceSpec,
} from '../../src/meshes/appmesh/spec.js';
import { routesFor, type Routes } from '../../src/meshes/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, copy, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type Obj = KubeObject & { spec: Record<string, unknown> };

const ARN = 'arn:aws:appmesh:us-west-2:123456789012:mesh/global/virtualService/backend2.test.svc.cluster.local';
const node = (name: string, weight: number) => ({ virtualNodeRef: { name }, weight });

describe('virtualNodeSpec', () => {
  it('given the primary with a timeout and backends by name and by ARN, then the node selects the primary pods, listens on http and discovers podinfo-primary by DNS', () => {
    const c = canaryOf({ timeout: '30s', backends: ['backend1', ARN] });
    const spec = virtualNodeSpec(c, TARGET, 'primary');
    expect(spec).toEqual({
      podSelector: { matchLabels: { app: 'podinfo-primary' } },
      listeners: [{ portMapping: { port: 9898, protocol: 'http' }, timeout: { http: { perRequest: { unit: 's', value: 30 } } } }],
      serviceDiscovery: { dns: { hostname: 'podinfo-primary.test.svc.cluster.local' } },
      backends: [
        { virtualService: { virtualServiceRef: { name: 'backend1' } } },
        {
          virtualService: {
            virtualServiceARN: 'arn:aws:appmesh:us-west-2:123456789012:mesh/global/virtualService/backend2.test.svc.cluster.local',
          },
        },
      ],
    });
    expect(admitSpec(Resources.appMeshVirtualNodes, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given the canary, then the node selects the target pods and discovers podinfo-canary', () => {
    expect(virtualNodeSpec(canaryOf(), TARGET, 'canary')).toEqual({
      podSelector: { matchLabels: { app: 'podinfo' } },
      listeners: [{ portMapping: { port: 9898, protocol: 'http' } }],
      serviceDiscovery: { dns: { hostname: 'podinfo-canary.test.svc.cluster.local' } },
    });
  });

  it('given portName http2 and a sub-second timeout, then the listener is http2 and the timeout is in ms under http2', () => {
    const spec = virtualNodeSpec(canaryOf({ portName: 'http2', timeout: '1.5s' }), TARGET, 'canary');
    expect(spec).toEqual({
      podSelector: { matchLabels: { app: 'podinfo' } },
      listeners: [{ portMapping: { port: 9898, protocol: 'http2' }, timeout: { http2: { perRequest: { unit: 'ms', value: 1500 } } } }],
      serviceDiscovery: { dns: { hostname: 'podinfo-canary.test.svc.cluster.local' } },
    });
    expect(admitSpec(Resources.appMeshVirtualNodes, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given service.name and another selector label, then the DNS name follows the Services and the selector the pods', () => {
    const target = { ...TARGET, selectorLabel: 'app.kubernetes.io/name', selectorValue: 'web' };
    expect(virtualNodeSpec(canaryOf({ name: 'frontend', port: 8080 }), target, 'primary')).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web-primary' } },
      listeners: [{ portMapping: { port: 8080, protocol: 'http' } }],
      serviceDiscovery: { dns: { hostname: 'frontend-primary.test.svc.cluster.local' } },
    });
  });

  it.each<[string, { unit: string; value: number }]>([
    ['30s', { unit: 's', value: 30 }],
    ['1m', { unit: 's', value: 60 }],
    ['2m30s', { unit: 's', value: 150 }],
    ['1h', { unit: 's', value: 3600 }],
    ['500ms', { unit: 'ms', value: 500 }],
    ['1.5s', { unit: 'ms', value: 1500 }],
    ['1s250ms', { unit: 'ms', value: 1250 }],
  ])('given timeout %s, then perRequest is %j', (timeout, perRequest) => {
    expect(virtualNodeSpec(canaryOf({ timeout }), TARGET, 'primary').listeners).toEqual([
      { portMapping: { port: 9898, protocol: 'http' }, timeout: { http: { perRequest } } },
    ]);
  });

  it.each<[string | undefined, 'http' | 'http2']>([
    [undefined, 'http'],
    ['http', 'http'],
    ['http2', 'http2'],
    ['tcp', 'http'],
    ['grpc', 'http'],
  ])('given portName %p, then the protocol is %s', (portName, protocol) => {
    expect(protocolOf(canaryOf(portName ? { portName } : {}))).toBe(protocol);
  });
});

describe('virtualRouterSpec', () => {
  it('given a service match prefix, retries with unknown events and a timeout at 10%, then one weighted route carries the prefix, the known retry events and the timeout', () => {
    const c = canaryOf({
      match: [{ uri: { prefix: '/api' } }],
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error, connect-failure,5xx,client-error' },
      timeout: '15s',
    });
    const spec = virtualRouterSpec(c, routesFor(10), strategyFor(c));
    expect(spec).toEqual({
      listeners: [{ portMapping: { port: 9898, protocol: 'http' } }],
      routes: [
        {
          name: 'podinfo',
          httpRoute: {
            match: { prefix: '/api' },
            action: {
              weightedTargets: [
                { virtualNodeRef: { name: 'podinfo-primary' }, weight: 90 },
                { virtualNodeRef: { name: 'podinfo-canary' }, weight: 10 },
              ],
            },
            retryPolicy: { maxRetries: 3, perRetryTimeout: { unit: 's', value: 2 }, httpRetryEvents: ['gateway-error', 'client-error'] },
            timeout: { perRequest: { unit: 's', value: 15 } },
          },
        },
      ],
    });
    expect(admitSpec(Resources.appMeshVirtualRouters, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given no service match and no options, then the route matches prefix "/" and has neither retries nor timeout', () => {
    expect(virtualRouterSpec(canaryOf(), routesFor(0), strategyFor(canaryOf()))).toEqual({
      listeners: [{ portMapping: { port: 9898, protocol: 'http' } }],
      routes: [
        {
          name: 'podinfo',
          httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [node('podinfo-primary', 100), node('podinfo-canary', 0)] } },
        },
      ],
    });
  });

  it('given a service match that is not a prefix, then the route matches prefix "/"', () => {
    expect(
      (
        virtualRouterSpec(
          canaryOf({ match: [{ uri: { exact: '/api' } }] }),
          routesFor(0),
          strategyFor(canaryOf({ match: [{ uri: { exact: '/api' } }] })),
        ).routes as { httpRoute: { match: unknown } }[]
      )[0]!.httpRoute.match,
    ).toEqual({ prefix: '/' });
  });

  it.each<[string, { attempts?: number; perTryTimeout?: string; retryOn?: string }, Record<string, unknown> | undefined]>([
    [
      'retries without retryOn and perTryTimeout (defaults server-error,gateway-error and 5s)',
      { attempts: 2 },
      { maxRetries: 2, perRetryTimeout: { unit: 's', value: 5 }, httpRetryEvents: ['server-error', 'gateway-error'] },
    ],
    [
      'only events App Mesh does not know (falls back to server-error)',
      { attempts: 1, retryOn: '5xx,connect-failure,reset' },
      { maxRetries: 1, perRetryTimeout: { unit: 's', value: 5 }, httpRetryEvents: ['server-error'] },
    ],
    [
      'a sub-second perTryTimeout and every known event',
      { attempts: 4, perTryTimeout: '250ms', retryOn: 'server-error,gateway-error,client-error,stream-error' },
      {
        maxRetries: 4,
        perRetryTimeout: { unit: 'ms', value: 250 },
        httpRetryEvents: ['server-error', 'gateway-error', 'client-error', 'stream-error'],
      },
    ],
    ['zero attempts (no retries)', { attempts: 0, retryOn: 'gateway-error' }, undefined],
  ])('given %s, then the retry policy is as expected', (_title, retries, retryPolicy) => {
    const spec = virtualRouterSpec(canaryOf({ retries }), routesFor(0), strategyFor(canaryOf({ retries })));
    const route = (spec.routes as { httpRoute: Record<string, unknown> }[])[0]!.httpRoute;
    expect(route.retryPolicy).toEqual(retryPolicy);
    expect(admitSpec(Resources.appMeshVirtualRouters, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given A/B testing on http2 with header matches of every kind, then a matched route (priority 10) comes before the default route to the primary (priority 20)', () => {
    const c = canaryOf(
      { portName: 'http2', timeout: '5s' },
      {
        iterations: 10,
        match: [
          {
            headers: {
              'x-canary': { exact: 'insider' },
              'user-agent': { regex: '.*Firefox.*' },
              'x-tier': { prefix: 'beta' },
              'x-region': { suffix: '-west' },
              'x-any': {},
            },
          },
        ],
      },
    );
    const spec = virtualRouterSpec(c, routesFor(100), strategyFor(c));
    expect(spec).toEqual({
      listeners: [{ portMapping: { port: 9898, protocol: 'http2' } }],
      routes: [
        {
          name: 'podinfo-a',
          priority: 10,
          http2Route: {
            match: {
              prefix: '/',
              headers: [
                { name: 'x-canary', match: { exact: 'insider' } },
                { name: 'user-agent', match: { regex: '.*Firefox.*' } },
                { name: 'x-tier', match: { prefix: 'beta' } },
                { name: 'x-region', match: { suffix: '-west' } },
                { name: 'x-any', match: { regex: '.*' } },
              ],
            },
            action: {
              weightedTargets: [
                { virtualNodeRef: { name: 'podinfo-primary' }, weight: 0 },
                { virtualNodeRef: { name: 'podinfo-canary' }, weight: 100 },
              ],
            },
            timeout: { perRequest: { unit: 's', value: 5 } },
          },
        },
        {
          name: 'podinfo-b',
          priority: 20,
          http2Route: {
            match: { prefix: '/' },
            action: { weightedTargets: [{ virtualNodeRef: { name: 'podinfo-primary' }, weight: 100 }] },
            timeout: { perRequest: { unit: 's', value: 5 } },
          },
        },
      ],
    });
    expect(admitSpec(Resources.appMeshVirtualRouters, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given A/B testing with a service prefix, then both routes use it', () => {
    const c = canaryOf({ match: [{ uri: { prefix: '/api' } }] }, { iterations: 2, match: [{ headers: { a: { exact: '1' } } }] });
    const routes = virtualRouterSpec(c, routesFor(0), strategyFor(c)).routes as { httpRoute: { match: unknown } }[];
    expect(routes.map((r) => r.httpRoute.match)).toEqual([
      { prefix: '/api', headers: [{ name: 'a', match: { exact: '1' } }] },
      { prefix: '/api' },
    ]);
  });
});

describe('canaryRouterSpec and virtualServiceSpec', () => {
  it('given a canary, then the canary router sends everything to the canary node', () => {
    const spec = canaryRouterSpec(canaryOf({ timeout: '5s', retries: { attempts: 3 } }));
    expect(spec).toEqual({
      listeners: [{ portMapping: { port: 9898, protocol: 'http' } }],
      routes: [
        {
          name: 'podinfo-canary',
          httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNodeRef: { name: 'podinfo-canary' }, weight: 100 }] } },
        },
      ],
    });
    expect(admitSpec(Resources.appMeshVirtualRouters, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given http2, then the canary route is an http2Route', () => {
    expect(canaryRouterSpec(canaryOf({ portName: 'http2', name: 'web' }))).toEqual({
      listeners: [{ portMapping: { port: 9898, protocol: 'http2' } }],
      routes: [
        {
          name: 'web-canary',
          http2Route: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNodeRef: { name: 'web-canary' }, weight: 100 }] } },
        },
      ],
    });
  });

  it('given the apex, then the virtual service is named by its FQDN and provided by the router', () => {
    const spec = virtualServiceSpec(canaryOf(), 'podinfo', 'podinfo');
    expect(spec).toEqual({
      awsName: 'podinfo.test.svc.cluster.local',
      provider: { virtualRouter: { virtualRouterRef: { name: 'podinfo' } } },
    });
    expect(admitSpec(Resources.appMeshVirtualServices, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given the canary, then its virtual service points at the canary router', () => {
    expect(virtualServiceSpec(canaryOf(), 'podinfo-canary', 'podinfo-canary')).toEqual({
      awsName: 'podinfo-canary.test.svc.cluster.local',
      provider: { virtualRouter: { virtualRouterRef: { name: 'podinfo-canary' } } },
    });
  });
});

describe('routesOfVirtualRouter', () => {
  it.each<[string, Canary, Routes]>([
    ['a weighted canary at 10%', canaryOf(), routesFor(10)],
    ['no canary traffic', canaryOf(), routesFor(0)],
    ['all traffic on the canary', canaryOf(), routesFor(100)],
    ['http2', canaryOf({ portName: 'http2' }), routesFor(35)],
    ['an A/B run', canaryOf({}, { iterations: 2, match: [{ headers: { a: { exact: '1' } } }] }), routesFor(100)],
    ['a service name', canaryOf({ name: 'frontend' }), routesFor(60)],
  ])('given the spec written for %s, then the same routes are read back', (_title, c, routes) => {
    expect(routesOfVirtualRouter(c, copy(virtualRouterSpec(c, routes, strategyFor(c))))).toEqual(routes);
  });

  it('given a target without weight, then its weight reads as 0', () => {
    const spec = {
      routes: [
        { httpRoute: { action: { weightedTargets: [node('podinfo-primary', 100), { virtualNodeRef: { name: 'podinfo-canary' } }] } } },
      ],
    };
    expect(routesOfVirtualRouter(canaryOf(), spec)).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
  });

  it('given a route for other nodes first, then the split route is found', () => {
    const spec = {
      routes: [
        { name: 'x', httpRoute: { action: { weightedTargets: [node('other', 100)] } } },
        { name: 'podinfo', http2Route: { action: { weightedTargets: [node('podinfo-canary', 5), node('podinfo-primary', 95)] } } },
      ],
    };
    expect(routesOfVirtualRouter(canaryOf(), spec)).toEqual({ primaryWeight: 95, canaryWeight: 5, mirrored: false });
  });

  it.each<[string, Record<string, unknown> | undefined]>([
    ['no spec', undefined],
    ['no routes', { listeners: [] }],
    [
      'only the primary (the A/B default route)',
      { routes: [{ httpRoute: { action: { weightedTargets: [node('podinfo-primary', 100)] } } }] },
    ],
    ['a tcpRoute', { routes: [{ tcpRoute: { action: { weightedTargets: [node('podinfo-primary', 50), node('podinfo-canary', 50)] } } }] }],
    [
      'nodes of another Canary',
      { routes: [{ httpRoute: { action: { weightedTargets: [node('web-primary', 50), node('web-canary', 50)] } } }] },
    ],
  ])('given %s, then there are no routes', (_title, spec) => {
    expect(routesOfVirtualRouter(canaryOf(), spec)).toBeUndefined();
  });
});

describe('AppMeshRouter.validate', () => {
  const router = new AppMeshRouter('appmesh:v1beta2', routerDepsOf(new FakeKube()));

  it('given a plain canary, then there is nothing to report', () => {
    expect(router.validate(canaryOf(), strategyFor(canaryOf()))).toEqual({ errors: [], notices: [] });
  });

  it('given portName grpc, then it is an error', () => {
    expect(router.validate(canaryOf({ portName: 'grpc' }), strategyFor(canaryOf({ portName: 'grpc' })))).toEqual({
      errors: ['App Mesh grpc routes are not supported yet: use portName http or http2'],
      notices: [],
    });
  });

  it('given several A/B matches, then it is an error', () => {
    const c = canaryOf({}, { iterations: 2, match: [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }] });
    expect(router.validate(c, strategyFor(c))).toEqual({
      errors: ['App Mesh A/B routes take a single match condition (analysis.match has several)'],
      notices: [],
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a uri', { uri: { prefix: '/beta' } }],
    ['query params', { queryParams: { beta: { exact: '1' } } }],
    ['headers and sourceLabels', { headers: { a: { exact: '1' } }, sourceLabels: { app: 'x' } }],
  ])('given an A/B match on %s, then it is an error: App Mesh matches headers only', (_title, match) => {
    expect(
      router.validate(canaryOf({}, { iterations: 2, match: [match] }), strategyFor(canaryOf({}, { iterations: 2, match: [match] }))).errors,
    ).toEqual(['App Mesh A/B routes match headers only']);
  });

  it('given grpc and two non-header matches, then all three errors are reported', () => {
    const c = canaryOf({ portName: 'grpc' }, { iterations: 2, match: [{ uri: { prefix: '/' } }, { headers: { a: { exact: '1' } } }] });
    expect(router.validate(c, strategyFor(c)).errors).toEqual([
      'App Mesh grpc routes are not supported yet: use portName http or http2',
      'App Mesh A/B routes take a single match condition (analysis.match has several)',
      'App Mesh A/B routes match headers only',
    ]);
  });

  it.each<[string, Parameters<typeof canaryOf>[0]]>([
    ['a trafficPolicy', { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
    ['a CORS policy', { corsPolicy: { allowMethods: ['GET'] } }],
    ['header changes', { headers: { request: { set: { a: '1' } } } }],
  ])('given %s, then a notice says it is not applied', (_title, service) => {
    expect(router.validate(canaryOf(service), strategyFor(canaryOf(service)))).toEqual({
      errors: [],
      notices: ['service.trafficPolicy, corsPolicy and headers have no App Mesh field and are not applied'],
    });
  });

  it('given A/B matches in the deprecated canaryAnalysis, then they are validated like analysis.match', () => {
    const c = canaryOf({}, undefined, {
      analysis: undefined,
      canaryAnalysis: { iterations: 2, match: [{ uri: { prefix: '/beta' } }, { headers: { a: { exact: '1' } } }] },
    });
    expect(router.validate(c, strategyFor(c)).errors).toEqual([
      'App Mesh A/B routes take a single match condition (analysis.match has several)',
      'App Mesh A/B routes match headers only',
    ]);
  });
});

describe('AppMeshRouter through the API', () => {
  const writes = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given no mesh objects, when routes are set, then 2 VirtualNodes, 2 VirtualRouters and 2 VirtualServices are created, in dependency order, all owned by the Canary', async () => {
    const kube = new FakeKube();
    const router = new AppMeshRouter('appmesh:v1beta2', routerDepsOf(kube));
    expect(router.meshObjectsFirst).toBe(true);
    expect(router.provider).toBe('appmesh:v1beta2');
    const c = canaryOf();
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(writes(kube)).toEqual([
      'create VirtualNode podinfo-primary',
      'create VirtualNode podinfo-canary',
      'create VirtualRouter podinfo-canary',
      'create VirtualService podinfo-canary',
      'create VirtualRouter podinfo',
      'create VirtualService podinfo',
    ]);
    const all = [
      ...kube.lister<Obj>(Resources.appMeshVirtualNodes).list('test'),
      ...kube.lister<Obj>(Resources.appMeshVirtualRouters).list('test'),
      ...kube.lister<Obj>(Resources.appMeshVirtualServices).list('test'),
    ];
    expect(all.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`).sort()).toEqual([
      'appmesh.k8s.aws/v1beta2 VirtualNode podinfo-canary',
      'appmesh.k8s.aws/v1beta2 VirtualNode podinfo-primary',
      'appmesh.k8s.aws/v1beta2 VirtualRouter podinfo',
      'appmesh.k8s.aws/v1beta2 VirtualRouter podinfo-canary',
      'appmesh.k8s.aws/v1beta2 VirtualService podinfo',
      'appmesh.k8s.aws/v1beta2 VirtualService podinfo-canary',
    ]);
    expect(all.every((o) => ownedBy(o, c))).toBe(true);
    expect(kube.get(Resources.virtualServices, 'test', 'podinfo')).toBeUndefined();
    expect(kube.get<Obj>(Resources.appMeshVirtualNodes, 'test', 'podinfo-primary')!.spec).toEqual(virtualNodeSpec(c, TARGET, 'primary'));
    expect(kube.get<Obj>(Resources.appMeshVirtualServices, 'test', 'podinfo')!.spec).toEqual({
      awsName: 'podinfo.test.svc.cluster.local',
      provider: { virtualRouter: { virtualRouterRef: { name: 'podinfo' } } },
    });
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
  });

  it('given the mesh objects exist, when the same routes are set, then nothing is written; a new split updates the apex VirtualRouter only', async () => {
    const kube = new FakeKube();
    const router = new AppMeshRouter('appmesh', routerDepsOf(kube));
    await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
    await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
    expect(kube.writes).toHaveLength(6);
    await router.setRoutes(canaryOf(), TARGET, routesFor(30), strategyFor(canaryOf()), signal());
    expect(writes(kube).slice(6)).toEqual(['update VirtualRouter podinfo']);
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(30));
  });

  it('given no mesh objects, then getRoutes is undefined; reconcile creates them at 0 and keeps live weights later', async () => {
    const kube = new FakeKube();
    const router = new AppMeshRouter('appmesh', routerDepsOf(kube));
    expect(await router.getRoutes(canaryOf())).toBeUndefined();
    await router.reconcile(canaryOf(), TARGET, strategyFor(canaryOf()), signal());
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(0));
    await router.setRoutes(canaryOf(), TARGET, routesFor(50), strategyFor(canaryOf()), signal());
    await router.reconcile(canaryOf(), TARGET, strategyFor(canaryOf()), signal());
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(50));
  });

  it('given the mesh objects, when finalized (revertOnDeletion), then all six are deleted, services and routers before nodes; without them, nothing is written', async () => {
    const kube = new FakeKube();
    const router = new AppMeshRouter('appmesh', routerDepsOf(kube));
    await router.finalize(canaryOf(), signal());
    expect(kube.writes).toEqual([]);
    await router.setRoutes(canaryOf(), TARGET, routesFor(50), strategyFor(canaryOf()), signal());
    await router.finalize(canaryOf(), signal());
    expect(writes(kube).slice(6)).toEqual([
      'delete VirtualService podinfo',
      'delete VirtualService podinfo-canary',
      'delete VirtualRouter podinfo',
      'delete VirtualRouter podinfo-canary',
      'delete VirtualNode podinfo-primary',
      'delete VirtualNode podinfo-canary',
    ]);
    expect(await router.getRoutes(canaryOf())).toBeUndefined();
  });

  it('given a VirtualNode of the same name that the Canary does not own, when finalized, then it is left alone', async () => {
    const kube = new FakeKube();
    kube.put(Resources.appMeshVirtualNodes, {
      apiVersion: 'appmesh.k8s.aws/v1beta2',
      kind: 'VirtualNode',
      metadata: { name: 'podinfo-primary', namespace: 'test' },
      spec: {},
    });
    await new AppMeshRouter('appmesh', routerDepsOf(kube)).finalize(canaryOf(), signal());
    expect(kube.writes).toEqual([]);
    expect(kube.get(Resources.appMeshVirtualNodes, 'test', 'podinfo-primary')).toBeDefined();
  });

  it('given an API server with the upstream App Mesh schema, then all six objects are accepted and an idle second write is skipped', async () => {
    const kube = new FakeKube();
    const router = new AppMeshRouter('appmesh:v1beta2', routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf(
      { portName: 'http2', timeout: '2s', backends: ['backend1', ARN], retries: { attempts: 2 } },
      { iterations: 3, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] },
    );
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    expect(kube.writes).toHaveLength(6);
    expect(await router.getRoutes(c)).toEqual(routesFor(100));
  });
});
