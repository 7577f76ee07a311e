import type { CanarySpec, KubeObject } from '../src/api/types.js';
import { resourceKey, Resources, type ResourceType } from '../src/kube/resources.js';
import { routesFor } from '../src/meshes/router.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

type Obj = KubeObject & { spec: Record<string, unknown> };

/** A metric from a MetricTemplate: gatewayapi and smi have no built-in queries (the World's analyzer is a stub). */
const TEMPLATE_METRIC = [{ name: 'error-rate', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } }];
const GATEWAY = { name: 'public', namespace: 'gateway-system' };

interface Case {
  provider: NonNullable<CanarySpec['provider']>;
  analysis: Parameters<typeof aCanary>[0];
  spec: Partial<CanarySpec>;
  /** The mesh objects the router generates, as "Kind name". */
  objects: string[];
  /** The user's Ingress spec.ingressRef names (nginx, skipper). */
  ingress?: KubeObject;
  /** The user's ApisixRoute spec.routeRef names (apisix). */
  apisixRoute?: KubeObject & { spec: Record<string, unknown> };
  /**
   * The canary weight read from the objects the router wrote, by this test's own reader (not the router's
   * getRoutes, so a mistake shared by the router's writer and reader does not pass); undefined when there are none.
   */
  weight: (w: World) => number | undefined;
  /** Resources the API server does not serve (their CRDs are not installed), e.g. MeshHTTPRoute for the TrafficRoute case. */
  notServed?: ResourceType[];
  /** A label of the case's title, when a provider has several. */
  variant?: string;
}

type Entries = Record<string, unknown>[];
const list = (v: unknown): Entries => (Array.isArray(v) ? (v as Entries) : []);
/** TrafficSplit: spec.backends[].service and weight (a quantity in v1alpha1: 900m). */
const trafficSplit = (spec: Record<string, unknown>): [string, unknown][][] => [
  list(spec.backends).map((b) => [String(b.service), b.weight]),
];
/** HTTPRoute: each rule's backendRefs[].name and weight. */
const httpRoute = (spec: Record<string, unknown>): [string, unknown][][] =>
  list(spec.rules).map((r) => list(r.backendRefs).map((b): [string, unknown] => [String(b.name), b.weight]));
/** App Mesh VirtualRouter: each route's weightedTargets[].virtualNodeRef.name and weight. */
const virtualRouter = (spec: Record<string, unknown>): [string, unknown][][] =>
  list(spec.routes).map((r) =>
    list(((r.httpRoute as Record<string, unknown> | undefined)?.action as Record<string, unknown> | undefined)?.weightedTargets).map(
      (t): [string, unknown] => [String((t.virtualNodeRef as { name?: string } | undefined)?.name), t.weight],
    ),
  );

/** Contour HTTPProxy: each route's services[].name and weight. */
const httpProxy = (spec: Record<string, unknown>): [string, unknown][][] =>
  list(spec.routes).map((r) => list(r.services).map((s): [string, unknown] => [String(s.name), s.weight]));

/** TraefikService: spec.weighted.services[].name and weight (the canary absent at 0). */
const traefikService = (spec: Record<string, unknown>): [string, unknown][][] => {
  const services = list((spec.weighted as Record<string, unknown> | undefined)?.services).map((s): [string, unknown] => [
    String(s.name),
    s.weight,
  ]);
  return [services.some(([n]) => n === 'podinfo-canary') ? services : [...services, ['podinfo-canary', 0]]];
};

/**
 * Gloo RouteTable: each route's routeAction.multi.destinations[], the Upstream each names resolved to the Service it
 * stands for (its spec.kube.serviceName), with the weight.
 */
const routeTableWeight = (w: World): number | undefined => {
  const serviceOf = (upstream: string): string =>
    String(((w.kube.get<Obj>(Resources.glooUpstreams, NS, upstream)?.spec.kube ?? {}) as Record<string, unknown>).serviceName);
  return backendWeight(Resources.glooRouteTables, (spec) =>
    list(spec.routes).map((r) =>
      list(((r.routeAction as Record<string, unknown> | undefined)?.multi as Record<string, unknown> | undefined)?.destinations).map(
        (d): [string, unknown] => [serviceOf(String((d.destination as { upstream?: { name?: string } }).upstream?.name)), d.weight],
      ),
    ),
  )(w);
};

/** A weight as written: a number, or a Kubernetes quantity ("900m" is 0.9). */
const amount = (v: unknown): number => (typeof v === 'string' && v.endsWith('m') ? Number(v.slice(0, -1)) / 1000 : Number(v ?? 0));
/** The canary's share in percent of primary and canary weights. */
const share = (p: number, k: number): number => (p + k > 0 ? Math.round((100 * k) / (p + k)) : 0);

/**
 * The weight in the mesh object `podinfo` of `resource`: the canary's share of the first of its entry lists
 * (backends as [name, weight]) that holds both podinfo-primary and podinfo-canary.
 */
const backendWeight =
  (resource: ResourceType, backends: (spec: Record<string, unknown>) => [string, unknown][][]) =>
  (w: World): number | undefined => {
    const o = w.kube.get<Obj>(resource, NS, 'podinfo');
    for (const entries of o ? backends(o.spec) : []) {
      const weights = new Map(entries.map(([name, weight]) => [name, amount(weight)]));
      const [p, k] = [weights.get('podinfo-primary'), weights.get('podinfo-canary')];
      if (p !== undefined && k !== undefined) return share(p, k);
    }
    return undefined;
  };

const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' };
/** The user's Ingress spec.ingressRef names (nginx, skipper): the apex Service at app.example.com/. */
const userIngress = (): KubeObject & { spec: Record<string, unknown> } => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: NS },
  spec: {
    rules: [
      {
        host: 'app.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'podinfo', port: { number: 9898 } } } }] },
      },
    ],
  },
});
const canaryIngress = (w: World): KubeObject | undefined => w.kube.get(Resources.ingresses, NS, 'web-canary');

const CASES: Case[] = [
  {
    provider: 'linkerd',
    analysis: {},
    spec: {},
    objects: ['TrafficSplit podinfo'],
    weight: backendWeight(Resources.trafficSplitsV1alpha2, trafficSplit),
  },
  {
    provider: 'smi:v1alpha1',
    analysis: { metrics: TEMPLATE_METRIC },
    spec: {},
    objects: ['TrafficSplit podinfo'],
    weight: backendWeight(Resources.trafficSplitsV1alpha1, trafficSplit),
  },
  {
    provider: 'gatewayapi:v1',
    analysis: { metrics: TEMPLATE_METRIC },
    spec: { service: { port: 9898, gatewayRefs: [GATEWAY] } },
    objects: ['HTTPRoute podinfo'],
    weight: backendWeight(Resources.httpRoutesV1, httpRoute),
  },
  {
    provider: 'appmesh:v1beta2',
    analysis: {},
    spec: {},
    objects: [
      'VirtualService podinfo',
      'VirtualService podinfo-canary',
      'VirtualRouter podinfo',
      'VirtualRouter podinfo-canary',
      'VirtualNode podinfo-primary',
      'VirtualNode podinfo-canary',
    ],
    weight: backendWeight(Resources.appMeshVirtualRouters, virtualRouter),
  },
  {
    provider: 'contour',
    analysis: {},
    spec: {},
    objects: ['HTTPProxy podinfo'],
    weight: backendWeight(Resources.httpProxies, httpProxy),
  },
  {
    provider: 'traefik',
    analysis: {},
    spec: {},
    objects: ['TraefikService podinfo'],
    weight: backendWeight(Resources.traefikServices, traefikService),
  },
  {
    provider: 'gloo',
    analysis: {},
    spec: {},
    objects: ['RouteTable podinfo', 'Upstream test-podinfo-primaryupstream-9898', 'Upstream test-podinfo-canaryupstream-9898'],
    weight: routeTableWeight,
  },
  {
    provider: 'apisix',
    analysis: {},
    spec: { routeRef: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: 'web' } },
    apisixRoute: {
      apiVersion: 'apisix.apache.org/v2',
      kind: 'ApisixRoute',
      metadata: { name: 'web', namespace: NS },
      spec: { http: [{ name: 'all', match: { paths: ['/*'] }, backends: [{ serviceName: 'podinfo', servicePort: 9898 }] }] },
    },
    objects: ['ApisixRoute web-podinfo-canary'],
    /** The clone's first rule: backends[].serviceName and weight. */
    weight: (w) => {
      const clone = w.kube.get<Obj>(Resources.apisixRoutes, NS, 'web-podinfo-canary');
      const backends = list(list(clone?.spec.http)[0]?.backends);
      const of = (name: string) => backends.find((b) => b.serviceName === name)?.weight;
      return clone ? share(amount(of('podinfo-primary')), amount(of('podinfo-canary'))) : undefined;
    },
  },
  {
    provider: 'kuma',
    variant: 'MeshHTTPRoute',
    analysis: {},
    spec: {},
    objects: ['MeshHTTPRoute podinfo'],
    /** to[].rules[].default.backendRefs[] of the MeshService names and weights. */
    weight: (w) => {
      const mhr = w.kube.get<Obj>(Resources.kumaMeshHttpRoutes, NS, 'podinfo');
      const rule = list(list(mhr?.spec.to)[0]?.rules)[0];
      const backendRefs = list((rule?.default as Record<string, unknown> | undefined)?.backendRefs);
      const of = (name: string) => backendRefs.find((b) => b.name === name)?.weight;
      return mhr ? share(amount(of('podinfo-primary')), amount(of('podinfo-canary'))) : undefined;
    },
  },
  {
    provider: 'kuma',
    variant: 'TrafficRoute (no MeshHTTPRoute served)',
    notServed: [Resources.kumaMeshHttpRoutes],
    analysis: {},
    spec: {},
    objects: ['TrafficRoute podinfo.test'],
    /** conf.split[].destination's kuma.io/service tag (<service>_<namespace>_svc_<port>) and weight. */
    weight: (w) => {
      const tr = w.kube.get<Obj>(Resources.kumaTrafficRoutes, undefined, 'podinfo.test');
      const split = list((tr?.spec.conf as Record<string, unknown> | undefined)?.split);
      const of = (svc: string) =>
        split.find((s) => (s.destination as Record<string, string>)['kuma.io/service'] === `${svc}_test_svc_9898`)?.weight;
      return tr ? share(amount(of('podinfo-primary')), amount(of('podinfo-canary'))) : undefined;
    },
  },
  {
    provider: 'nginx',
    analysis: {},
    spec: { ingressRef: INGRESS_REF },
    ingress: userIngress(),
    objects: ['Ingress web-canary'],
    weight: (w) => {
      const a = canaryIngress(w)?.metadata.annotations;
      if (!a) return undefined;
      return a['nginx.ingress.kubernetes.io/canary'] === 'true' ? Number(a['nginx.ingress.kubernetes.io/canary-weight'] ?? 0) : 0;
    },
  },
  {
    provider: 'skipper',
    analysis: {},
    spec: { ingressRef: INGRESS_REF },
    ingress: userIngress(),
    objects: ['Ingress web-canary'],
    /** 0 when the clone's routes are off (False()), else the canary's share of the backend weights. */
    weight: (w) => {
      const a = canaryIngress(w)?.metadata.annotations;
      if (!a) return undefined;
      if (a['zalando.org/skipper-predicate']!.split('&&').some((p) => p.trim() === 'False()')) return 0;
      const weights = JSON.parse(a['zalando.org/backend-weights']!) as Record<string, number>;
      return share(weights['podinfo-primary'] ?? 0, weights['podinfo-canary'] ?? 0);
    },
  },
];

function worldFor(c: Case, extra: Partial<CanarySpec> = {}): World {
  const w = new World().apply(aDeployment(), aCanary(c.analysis, { provider: c.provider, ...c.spec, ...extra }));
  if (c.ingress) w.kube.put(Resources.ingresses, c.ingress);
  if (c.apisixRoute) w.kube.put(Resources.apisixRoutes, c.apisixRoute);
  for (const r of c.notServed ?? []) w.kube.notServed.add(resourceKey(r));
  return w;
}
const weightOf = (w: World, c: Case): number | undefined => c.weight(w);

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

const TITLED = CASES.map((c) => ({ ...c, title: c.variant ? `${c.provider} (${c.variant})` : c.provider }));

describe.each(TITLED)('given a Canary with provider $title', (c) => {
  it('when initialized, then the router objects send all traffic to the primary and no Istio object exists', async () => {
    const w = worldFor(c);
    await initialized(w);
    expect(await w.deps.routerFor(c.provider).getRoutes(w.canary)).toEqual(routesFor(0));
    expect(weightOf(w, c)).toBe(0);
    expect(w.kube.get(Resources.virtualServices, NS, 'podinfo')).toBeUndefined();
    expect(w.canary.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  });

  it('when a healthy new revision is released, then the weights read back are 25, 50, then 0 at Succeeded', async () => {
    const w = worldFor(c);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    const weights: (number | undefined)[] = [];
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick();
      weights.push(weightOf(w, c));
    }
    expect(weights).toEqual([25, 50, 0]);
    expect(w.canary.status).toMatchObject({ phase: 'Succeeded', canaryWeight: 0, failedChecks: 0 });
    expect(w.deployment('podinfo-primary')!.spec.template.spec.containers[0]!.env).toEqual([{ name: 'VERSION', value: 'v2' }]);
  });

  it('when nothing changes after initialization, then a reconcile writes nothing', async () => {
    const w = worldFor(c);
    await initialized(w);
    await w.tick();
    const before = w.kube.writes.length;
    await w.tick();
    await w.tick();
    expect(w.kube.writes.slice(before)).toEqual([]);
  });

  it('when deleted with revertOnDeletion, then the target serves again, the mesh objects are deleted and the finalizer goes', async () => {
    const w = worldFor(c, { revertOnDeletion: true });
    await initialized(w);
    expect(w.canary.metadata.finalizers).toEqual(['tollgate.dev/finalizer']);
    const live = w.canary;
    w.kube.put(Resources.canaries, { ...live, metadata: { ...live.metadata, deletionTimestamp: new Date(w.now).toISOString() } });
    const before = w.kube.writes.length;
    await w.tick(0);
    expect(
      w.kube.writes
        .slice(before)
        .filter((x) => x.verb === 'delete')
        .map((x) => `${x.kind} ${x.name}`),
    ).toEqual(c.objects);
    expect(await w.deps.routerFor(c.provider).getRoutes(w.canary)).toBeUndefined();
    expect(weightOf(w, c)).toBeUndefined();
    expect(w.canary.metadata.finalizers ?? []).toEqual([]);
    expect(w.deployment('podinfo')!.spec.replicas).toBe(2);
  });
});

describe('given the written objects of each provider', () => {
  it('linkerd without gatewayRefs writes a TrafficSplit v1alpha2 with integer weights', async () => {
    const w = worldFor(CASES[0]!);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.kube.get<Obj>(Resources.trafficSplitsV1alpha2, NS, 'podinfo')!.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: 75 },
        { service: 'podinfo-canary', weight: 25 },
      ],
    });
    expect(w.kube.get(Resources.linkerdHttpRoutes, NS, 'podinfo')).toBeUndefined();
  });

  it('smi:v1alpha1 writes quantities: 750m and 250m at the first step', async () => {
    const w = worldFor(CASES[1]!);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.kube.get<Obj>(Resources.trafficSplitsV1alpha1, NS, 'podinfo')!.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: '750m' },
        { service: 'podinfo-canary', weight: '250m' },
      ],
    });
  });

  it('gatewayapi:v1 writes an HTTPRoute attached to the gatewayRefs', async () => {
    const w = worldFor(CASES[2]!);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.kube.get<Obj>(Resources.httpRoutesV1, NS, 'podinfo')!.spec).toEqual({
      parentRefs: [{ name: 'public', namespace: 'gateway-system' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 75 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 25 },
          ],
        },
      ],
    });
  });

  it('gatewayapi:v1 without gatewayRefs is stalled as an invalid spec and writes no HTTPRoute', async () => {
    const w = new World().apply(aDeployment(), aCanary({ metrics: TEMPLATE_METRIC }, { provider: 'gatewayapi:v1' }));
    await w.reconcile();
    const stalled = w.canary.status?.conditions?.find((x) => x.type === 'Stalled');
    expect({ status: stalled?.status, reason: stalled?.reason }).toEqual({ status: 'True', reason: 'InvalidSpec' });
    expect(stalled?.message).toContain('needs service.gatewayRefs');
    expect(w.kube.get(Resources.httpRoutesV1, NS, 'podinfo')).toBeUndefined();
  });

  it('appmesh:v1beta2 creates the VirtualNodes before the primary Deployment (sidecar injection needs them)', async () => {
    const w = worldFor(CASES[3]!);
    await initialized(w);
    const order = w.kube.writes.map((x) => `${x.verb} ${x.kind} ${x.name}`);
    const primaryNode = order.indexOf('create VirtualNode podinfo-primary');
    const canaryNode = order.indexOf('create VirtualNode podinfo-canary');
    const primaryDeployment = order.indexOf('create Deployment podinfo-primary');
    expect(primaryNode).toBeGreaterThanOrEqual(0);
    expect(canaryNode).toBeGreaterThanOrEqual(0);
    expect(primaryDeployment).toBeGreaterThan(Math.max(primaryNode, canaryNode));
    expect(order.filter((x) => / (VirtualNode|VirtualRouter|VirtualService) /.test(x) && x.startsWith('create')).sort()).toEqual([
      'create VirtualNode podinfo-canary',
      'create VirtualNode podinfo-primary',
      'create VirtualRouter podinfo',
      'create VirtualRouter podinfo-canary',
      'create VirtualService podinfo',
      'create VirtualService podinfo-canary',
    ]);
  });

  it('a provider whose CRDs are not installed is reported as RouterUnavailable', async () => {
    const w = worldFor(CASES[1]!);
    w.kube.notServed.add('trafficsplits.split.smi-spec.io/v1alpha1');
    expect(await w.reconcile()).toBe(30_000);
    expect(w.canary.status?.conditions?.find((x) => x.type === 'Stalled')?.reason).toBe('RouterUnavailable');
  });
});

describe('given a Canary with provider emissary (the clone exists only while the canary has traffic)', () => {
  const MAPPING = {
    apiVersion: 'getambassador.io/v3alpha1',
    kind: 'Mapping',
    metadata: { name: 'podinfo', namespace: NS },
    spec: { hostname: '*', prefix: '/', service: 'podinfo:9898' },
  };
  /** This test's own reader: the clone's service and weight; no clone is 0 (the user's unweighted Mapping takes all). */
  const weight = (w: World): number | undefined => {
    const clone = w.kube.get<Obj>(Resources.emissaryMappings, NS, 'podinfo-canary');
    if (!clone) return 0;
    return clone.spec.service === 'podinfo-canary:9898' ? Number(clone.spec.weight) : undefined;
  };
  const world = (extra: Partial<CanarySpec> = {}): World => {
    const w = new World().apply(aDeployment(), aCanary({ metrics: TEMPLATE_METRIC }, { provider: 'emissary', ...extra }));
    w.kube.put(Resources.emissaryMappings, MAPPING);
    return w;
  };

  it('when a healthy revision is released, then the clone carries 25, 50 and is deleted at Succeeded; idle, nothing is written', async () => {
    const w = world();
    await initialized(w);
    expect(w.kube.writes.filter((x) => x.kind === 'Mapping')).toEqual([]);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const weights: (number | undefined)[] = [];
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick();
      weights.push(weight(w));
    }
    expect(weights).toEqual([25, 50, 0]);
    expect(w.kube.get<Obj>(Resources.emissaryMappings, NS, 'podinfo')!.spec).toEqual(MAPPING.spec);
    const before = w.kube.writes.length;
    await w.tick();
    await w.tick();
    expect(w.kube.writes.slice(before)).toEqual([]);
  });

  it("when the user's Mapping is missing, then the Canary is stalled as TargetInvalid naming it", async () => {
    const w = new World().apply(aDeployment(), aCanary({ metrics: TEMPLATE_METRIC }, { provider: 'ambassador' }));
    await w.reconcile();
    await w.reconcile();
    const stalled = w.canary.status?.conditions?.find((x) => x.type === 'Stalled');
    expect({ status: stalled?.status, reason: stalled?.reason }).toEqual({ status: 'True', reason: 'TargetInvalid' });
    expect(stalled?.message).toContain('Mapping test/podinfo (service.mappings) not found');
  });

  it('when deleted with revertOnDeletion mid-release, then the clone is deleted and the finalizer goes', async () => {
    const w = world({ revertOnDeletion: true });
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(weight(w)).toBe(25);
    const live = w.canary;
    w.kube.put(Resources.canaries, { ...live, metadata: { ...live.metadata, deletionTimestamp: new Date(w.now).toISOString() } });
    await w.tick(0);
    expect(w.kube.get(Resources.emissaryMappings, NS, 'podinfo-canary')).toBeUndefined();
    expect(w.canary.metadata.finalizers ?? []).toEqual([]);
  });
});
