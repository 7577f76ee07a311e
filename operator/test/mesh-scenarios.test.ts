import type { CanarySpec, KubeObject } from '../src/api/types.js';
import { Resources } from '../src/kube/resources.js';
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
}

const CASES: Case[] = [
  { provider: 'linkerd', analysis: {}, spec: {}, objects: ['TrafficSplit podinfo'] },
  { provider: 'smi:v1alpha1', analysis: { metrics: TEMPLATE_METRIC }, spec: {}, objects: ['TrafficSplit podinfo'] },
  {
    provider: 'gatewayapi:v1',
    analysis: { metrics: TEMPLATE_METRIC },
    spec: { service: { port: 9898, gatewayRefs: [GATEWAY] } },
    objects: ['HTTPRoute podinfo'],
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
  },
];

const worldFor = (c: Case, extra: Partial<CanarySpec> = {}): World =>
  new World().apply(aDeployment(), aCanary(c.analysis, { provider: c.provider, ...c.spec, ...extra }));

/** The canary weight as the provider's router reads it back from its own objects. */
const weightOf = async (w: World, provider: string): Promise<number | undefined> =>
  (await w.deps.routerFor(provider).getRoutes(w.canary))?.canaryWeight;

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

describe.each(CASES)('given a Canary with provider $provider', (c) => {
  it('when initialized, then the router objects send all traffic to the primary and no Istio object exists', async () => {
    const w = worldFor(c);
    await initialized(w);
    expect(await w.deps.routerFor(c.provider).getRoutes(w.canary)).toEqual(routesFor(0));
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
      weights.push(await weightOf(w, c.provider));
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
