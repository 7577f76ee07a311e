import type { KubeObject } from '../src/api/types.js';
import { Resources } from '../src/kube/resources.js';
import { primaryQuery, primaryScaledObjectSpec, type ScaledObject } from '../src/targets/scaled-object-spec.js';
import { PAUSED_REPLICAS } from '../src/targets/scaled-object.js';
import { admitSpec } from './fakes/upstream-crds.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

describe('primaryQuery', () => {
  it.each<[string, string, string]>([
    ['the target name', 'sum(rate(http_requests_total{app="podinfo"}[2m]))', 'sum(rate(http_requests_total{app="podinfo-primary"}[2m]))'],
    [
      'the canary name',
      'sum(rate(http_requests_total{app="podinfo-canary"}[2m]))',
      'sum(rate(http_requests_total{app="podinfo-primary"}[2m]))',
    ],
    ['both', '{app="podinfo-canary", svc="podinfo"}', '{app="podinfo-primary", svc="podinfo-primary"}'],
    ['the primary name, left alone', '{app="podinfo-primary"}', '{app="podinfo-primary"}'],
    ['a pod name pattern', '{pod=~"podinfo-.*"}', '{pod=~"podinfo-primary-.*"}'],
    ['a longer name, left alone', '{app="mypodinfo", job="podinfo_total"}', '{app="mypodinfo", job="podinfo_total"}'],
    ['several occurrences', 'a{x="podinfo"} / b{y="podinfo"}', 'a{x="podinfo-primary"} / b{y="podinfo-primary"}'],
  ])('given %s, then it is rewritten for the primary', (_title, query, want) => {
    expect(primaryQuery(query, 'podinfo')).toBe(want);
  });

  it('given a target name with regular expression characters, then it is matched literally', () => {
    expect(primaryQuery('{app="web.v1"} {app="webxv1"}', 'web.v1')).toBe('{app="web.v1-primary"} {app="webxv1"}');
  });
});

const userSpec = (): ScaledObject['spec'] => ({
  scaleTargetRef: { name: 'podinfo' },
  pollingInterval: 10,
  minReplicaCount: 1,
  maxReplicaCount: 4,
  advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa', behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } },
  triggers: [
    {
      type: 'prometheus',
      name: 'prom-trigger',
      metadata: { serverAddress: 'http://prom:9090', query: 'sum(rate(x{app="podinfo"}[30s]))', threshold: '5' },
    },
    {
      type: 'prometheus',
      name: 'other',
      metadata: { serverAddress: 'http://prom:9090', query: 'sum(rate(y{app="podinfo-canary"}[30s]))', threshold: '5' },
    },
    { type: 'cpu', metricType: 'Utilization', metadata: { value: '60' } },
  ],
});

describe('primaryScaledObjectSpec', () => {
  const ref = {
    primaryScalerQueries: { 'prom-trigger': 'sum(rate(http_requests_total{ app="podinfo-primary" }[30s]))' },
    primaryScalerReplicas: { minReplicas: 2, maxReplicas: 5 },
  };

  it('then the primary is the target, primaryScalerQueries replaces its trigger, other queries are rewritten, the rest copied', () => {
    const spec = primaryScaledObjectSpec(userSpec(), ref, 'podinfo');
    expect(spec).toEqual({
      scaleTargetRef: { name: 'podinfo-primary' },
      pollingInterval: 10,
      minReplicaCount: 2,
      maxReplicaCount: 5,
      advanced: {
        horizontalPodAutoscalerConfig: { name: 'podinfo-hpa-primary', behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
      },
      triggers: [
        { ...userSpec().triggers[0], metadata: { ...userSpec().triggers[0]!.metadata, query: ref.primaryScalerQueries['prom-trigger'] } },
        { ...userSpec().triggers[1], metadata: { ...userSpec().triggers[1]!.metadata, query: 'sum(rate(y{app="podinfo-primary"}[30s]))' } },
        userSpec().triggers[2],
      ],
    });
  });

  it('then the real KEDA CRD schema accepts it, nothing pruned', () => {
    expect(admitSpec(Resources.scaledObjects, primaryScaledObjectSpec(userSpec(), ref, 'podinfo'))).toMatchObject({
      errors: [],
      pruned: [],
    });
  });

  it('given a ScaledObject named apart from the target, then the primary workload is still the scale target', () => {
    expect(primaryScaledObjectSpec(userSpec(), {}, 'web').scaleTargetRef.name).toBe('web-primary');
  });

  it("given no overrides, then the bounds are the user's and the user's spec is not changed", () => {
    const user = userSpec();
    const spec = primaryScaledObjectSpec(user, {}, 'podinfo');
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([1, 4]);
    expect(user).toEqual(userSpec());
  });
});

describe("given an autoscalerRef to the user's KEDA ScaledObject", () => {
  const so = (query: string, annotations?: Record<string, string>): KubeObject =>
    ({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'podinfo-so', namespace: NS, ...(annotations ? { annotations } : {}) },
      spec: {
        scaleTargetRef: { name: 'podinfo' },
        minReplicaCount: 1,
        maxReplicaCount: 3,
        triggers: [{ type: 'prometheus', name: 't', metadata: { query } }],
      },
    }) as KubeObject;
  const ref = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'podinfo-so' };
  const get = (w: World, name: string): ScaledObject | undefined => w.kube.get<ScaledObject>(Resources.scaledObjects, NS, name);

  it("then a -primary copy scales the primary and follows the user's; the user's is paused at zero between runs only", async () => {
    const w = new World();
    w.kube.put(Resources.scaledObjects, so('sum(x{app="podinfo"})'));
    w.apply(aDeployment(), aCanary({}, { autoscalerRef: ref }));
    await w.reconcile();
    await w.reconcile();
    expect(w.canary.status?.phase).toBe('Initialized');
    const primary = get(w, 'podinfo-so-primary')!;
    expect(primary.spec).toMatchObject({
      scaleTargetRef: { name: 'podinfo-primary' },
      triggers: [{ metadata: { query: 'sum(x{app="podinfo-primary"})' } }],
    });
    expect(primary.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo', controller: true });
    expect(get(w, 'podinfo-so')!.metadata.annotations?.[PAUSED_REPLICAS]).toBe('0');

    w.kube.put(Resources.scaledObjects, so('sum(y{app="podinfo"})', get(w, 'podinfo-so')!.metadata.annotations));
    await w.tick(0);
    expect(get(w, 'podinfo-so-primary')!.spec.triggers[0]!.metadata.query).toBe('sum(y{app="podinfo-primary"})');

    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Progressing');
    expect(get(w, 'podinfo-so')!.metadata.annotations?.[PAUSED_REPLICAS]).toBeUndefined();
    for (let i = 0; i < 5 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(get(w, 'podinfo-so')!.metadata.annotations?.[PAUSED_REPLICAS]).toBe('0');
  });

  it("when the user's ScaledObject does not exist, then it is reported", async () => {
    const w = new World().apply(aDeployment(), aCanary({}, { autoscalerRef: { ...ref, name: 'missing' } }));
    await w.reconcile();
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'TargetInvalid',
      message: expect.stringContaining('ScaledObject test/missing (autoscalerRef) not found'),
    });
  });
});
