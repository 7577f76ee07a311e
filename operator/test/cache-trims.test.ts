import type { Deployment } from '../src/api/k8s.js';
import type { KubeObject } from '../src/api/types.js';
import { Resources, resourceKey } from '../src/kube/resources.js';
import { LAST_APPLIED } from '@tollgate/contract/metadata';
import { CACHE_TRIMS, trimAutoscaler, trimCanary, trimDaemonSet, trimDeployment } from '../src/kube/trims.js';
import { deploymentReadiness } from '../src/targets/deployment-spec.js';
import { DAEMONSET } from '../src/targets/workload-kinds.js';

const applied = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"podinfo"},"spec":{"replicas":2}}';
const canaryOwner = { apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'u1', controller: true };
const rsOwner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'u2', controller: true };

const conditions = (progressing: { reason: string; message: string }) => [
  {
    type: 'Available',
    status: 'True',
    reason: 'MinimumReplicasAvailable',
    message: 'Deployment has minimum availability.',
    lastUpdateTime: '2026-12-06T10:00:00Z',
    lastTransitionTime: '2026-12-06T10:00:00Z',
  },
  {
    type: 'Progressing',
    status: 'True',
    ...progressing,
    lastUpdateTime: '2026-12-06T10:00:01Z',
    lastTransitionTime: '2026-12-06T10:00:00Z',
  },
];

function deployment(status: Deployment['status'], owner = rsOwner): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'podinfo',
      namespace: 'test',
      generation: 3,
      resourceVersion: '7',
      labels: { app: 'podinfo' },
      annotations: { [LAST_APPLIED]: applied, 'deployment.kubernetes.io/revision': '3', 'team.example/owner': 'a' },
      ownerReferences: [owner],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'podinfo' } },
      template: { metadata: { labels: { app: 'podinfo' } }, spec: { containers: [{ name: 'app', image: 'podinfo:1' }] } },
      progressDeadlineSeconds: 60,
    },
    status,
  } as Deployment;
}

const omitStatus = (o: KubeObject): KubeObject => {
  const { status: _s, ...rest } = o as KubeObject & { status?: unknown };
  return rest as KubeObject;
};
const withoutLastApplied = (o: KubeObject): KubeObject => {
  const { [LAST_APPLIED]: _a, ...annotations } = o.metadata.annotations ?? {};
  return { ...o, metadata: { ...o.metadata, annotations } };
};

describe('cache trims: what the code reads survives', () => {
  const statuses: [string, Deployment['status']][] = [
    ['none yet', undefined],
    ['not observed', { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }],
    [
      'rolling',
      {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 2,
        availableReplicas: 1,
        conditions: conditions({ reason: 'ReplicaSetUpdated', message: 'progressing' }),
      },
    ],
    [
      'deadline exceeded',
      {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 1,
        conditions: conditions({ reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "podinfo-5d" has timed out progressing.' }),
      },
    ],
    [
      'ready',
      {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: conditions({ reason: 'NewReplicaSetAvailable', message: 'done' }),
      },
    ],
  ];

  it.each(statuses)(
    'Deployment (%s): the same readiness, status counts and spec; no timestamps, no Available condition',
    (_name, status) => {
      const d = deployment(status);
      const t = trimDeployment(d) as Deployment;
      for (const pct of [50, 100]) expect(deploymentReadiness(t, pct)).toEqual(deploymentReadiness(d, pct));
      expect(t.spec).toEqual(d.spec);
      expect(t.status?.readyReplicas).toBe(d.status?.readyReplicas);
      expect(JSON.stringify(t.status ?? {})).not.toMatch(/lastUpdateTime|lastTransitionTime/);
      expect(t.status?.conditions?.map((c) => c.type) ?? []).toEqual(d.status?.conditions ? ['Progressing'] : []);
    },
  );

  it('Deployment of the user: last-applied goes, every other annotation, label and owner stays', () => {
    const t = trimDeployment(deployment(undefined));
    expect(t.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3', 'team.example/owner': 'a' });
    expect(withoutLastApplied(omitStatus(deployment(undefined)))).toEqual(omitStatus(t));
  });

  it('DaemonSet: the same readiness from the counts, without conditions', () => {
    const status = {
      observedGeneration: 3,
      desiredNumberScheduled: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 1,
      conditions: [{ type: 'X', status: 'True' }],
    };
    const ds = { ...deployment(undefined), kind: 'DaemonSet', status } as unknown as Parameters<typeof DAEMONSET.readiness>[0] & KubeObject;
    const t = trimDaemonSet(ds) as typeof ds;
    for (const pct of [50, 100]) expect(DAEMONSET.readiness(t, pct)).toEqual(DAEMONSET.readiness(ds, pct));
    expect(t.status).toEqual({ observedGeneration: 3, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 });
  });

  it('HPA: the spec (replica bounds, scale target, metrics) whole, no status', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: 'test', annotations: { [LAST_APPLIED]: applied } },
      spec: { minReplicas: 2, maxReplicas: 4, scaleTargetRef: { kind: 'Deployment', name: 'podinfo' }, metrics: [{ type: 'Resource' }] },
      status: {
        currentReplicas: 2,
        conditions: [{ type: 'AbleToScale', status: 'True', message: 'recommended size matches current size' }],
      },
    };
    const t = trimAutoscaler(hpa) as typeof hpa;
    expect(t.spec).toEqual(hpa.spec);
    expect(t.status).toBeUndefined();
    expect(t.metadata.annotations).toEqual({});
  });

  it('Canary: spec, status and every annotation but last-applied', () => {
    const canary = {
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: {
        name: 'podinfo',
        namespace: 'test',
        generation: 2,
        annotations: { [LAST_APPLIED]: applied, 'tollgate.dev/takeover': 'x' },
        finalizers: ['f'],
      },
      spec: { targetRef: { kind: 'Deployment', name: 'podinfo' }, analysis: { interval: '10s' } },
      status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't' }] },
    };
    const t = trimCanary(canary) as typeof canary;
    expect(t).toEqual({ ...canary, metadata: { ...canary.metadata, annotations: { 'tollgate.dev/takeover': 'x' } } });
  });
});

describe('cache trims: what a replace from the cache sends is unchanged', () => {
  // A Canary's -primary workloads and generated autoscalers are replaced from their cached copy (promote,
  // ensureObject): that copy must be the object whole, but for the status a replace ignores.
  it.each([
    ['Deployment', trimDeployment],
    ['DaemonSet', trimDaemonSet],
    ['HorizontalPodAutoscaler', trimAutoscaler],
  ] as const)('%s a Canary controls keeps every field but status, last-applied included', (kind, trim) => {
    const status = { observedGeneration: 3, replicas: 2, conditions: conditions({ reason: 'NewReplicaSetAvailable', message: 'done' }) };
    const primary = { ...deployment(status, canaryOwner), kind };
    const t = trim(primary);
    expect(omitStatus(t)).toEqual(omitStatus(primary));
    expect(t.metadata.annotations?.[LAST_APPLIED]).toBe(applied);
  });

  // A list to review, not a proof: trimming another kind needs the write-back check of kube/trims.ts's comment (is
  // its status a subresource, is it replaced from the cache?), so adding one fails here until this list says so.
  it('the kinds trimmed are exactly those reviewed for write-back (status subresource, or Pods: never written)', () => {
    const reviewed = [
      Resources.canaries,
      Resources.deployments,
      Resources.daemonSets,
      Resources.horizontalPodAutoscalersV2,
      Resources.horizontalPodAutoscalersV2beta2,
      Resources.pods,
    ].map(resourceKey);
    expect(Object.keys(CACHE_TRIMS).sort()).toEqual(reviewed.sort());
    for (const o of Object.values(CACHE_TRIMS)) expect(o.transform).toBeDefined();
  });
});
