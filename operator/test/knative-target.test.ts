import type { Pod } from '../src/api/k8s.js';
import type { Canary, CanaryStatus } from '../src/api/types.js';
import { validateCanary } from '../src/core/validation.js';
import { Resources } from '../src/kube/resources.js';
import {
  canaryRevisionOf,
  primaryRevisionOf,
  revisionReadiness,
  type KnativeRevision,
  type KnativeService,
} from '../src/targets/knative.js';
import { KnativeTarget } from '../src/targets/knative-target.js';
import { targetKeyOf } from '../src/core/target-key.js';
import { TargetError } from '../src/targets/target.js';
import { TARGET_KINDS } from '../src/targets/workload-kinds.js';
import { FakeKube } from './fakes/fake-kube.js';

describe('primaryRevisionOf and canaryRevisionOf', () => {
  const at = (phase: CanaryStatus['phase'], promoted?: string, applied?: string): CanaryStatus => ({
    phase,
    ...(promoted ? { lastPromotedSpec: promoted } : {}),
    ...(applied ? { lastAppliedSpec: applied } : {}),
  });
  it.each<[string, CanaryStatus | undefined, string, string]>([
    ['no status (initialization)', undefined, 'r3', 'r3'],
    ['Initializing', at('Initializing'), 'r3', 'r3'],
    ['Initialized', at('Initialized', 'r1', 'r1'), 'r1', 'r1'],
    ['Progressing', at('Progressing', 'r1', 'r2'), 'r1', 'r2'],
    ['WaitingPromotion', at('WaitingPromotion', 'r1', 'r2'), 'r1', 'r2'],
    ['Promoting', at('Promoting', 'r1', 'r2'), 'r2', 'r2'],
    ['Finalising', at('Finalising', 'r1', 'r2'), 'r2', 'r2'],
    ['Succeeded', at('Succeeded', 'r2', 'r2'), 'r2', 'r2'],
    ['Failed', at('Failed', 'r1', 'r2'), 'r1', 'r2'],
    ['Waiting for a newer revision', at('Waiting', 'r1', 'r1'), 'r1', 'r1'],
    ['Promoting without an analysed revision recorded', at('Promoting', 'r1'), 'r1', 'r3'],
  ])('given %s (latest created r3), then primary %s... as the table says', (_t, status, primary, canary) => {
    expect(primaryRevisionOf(status, 'r3')).toBe(primary);
    expect(canaryRevisionOf(status, 'r3')).toBe(canary);
  });
});

const revision = (ready?: { status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string }): KnativeRevision => ({
  metadata: { name: 'r2', namespace: 'test' },
  status: { conditions: ready ? [{ type: 'Ready', ...ready }] : [] },
});

describe('revisionReadiness', () => {
  it.each<[string, KnativeRevision | undefined, KnativeService | undefined, ReturnType<typeof revisionReadiness>]>([
    ['Ready True', revision({ status: 'True' }), undefined, { ready: true }],
    [
      'Ready False with a reason',
      revision({ status: 'False', reason: 'ContainerMissing', message: 'image not found' }),
      undefined,
      { ready: false, reason: 'revision r2 failed (ContainerMissing: image not found)', fatal: false },
    ],
    [
      'Ready Unknown',
      revision({ status: 'Unknown', reason: 'Deploying' }),
      undefined,
      { ready: false, reason: 'revision r2 is not ready yet (Deploying)', fatal: false },
    ],
    ['no condition yet', revision(), undefined, { ready: false, reason: 'revision r2 is not ready yet', fatal: false }],
    [
      'no Revision, the Service says it is the latest ready',
      undefined,
      { metadata: {}, status: { latestReadyRevisionName: 'r2' } },
      { ready: true },
    ],
    [
      'no Revision at all',
      undefined,
      { metadata: {}, status: { latestReadyRevisionName: 'r1' } },
      { ready: false, reason: 'revision r2 not found', fatal: false },
    ],
  ])('given %s, then the readiness', (_t, rev, svc, want) => {
    expect(revisionReadiness('r2', rev, svc)).toEqual(want);
  });
});

describe('targetKeyOf', () => {
  it.each<[{ kind: string; apiVersion?: string }, string]>([
    [{ kind: 'Deployment' }, 'Deployment'],
    [{ kind: 'Deployment', apiVersion: 'apps/v1' }, 'Deployment'],
    [{ kind: 'Deployment', apiVersion: 'extensions/v1beta1' }, 'Deployment'],
    [{ kind: 'Service', apiVersion: 'v1' }, 'Service'],
    [{ kind: 'Service', apiVersion: 'serving.knative.dev/v1' }, 'Service.serving.knative.dev'],
    [{ kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1' }, 'Rollout.argoproj.io'],
  ])('given %p, then the key is %p', (ref, key) => {
    expect(targetKeyOf(ref)).toBe(key);
  });

  it('given the target kinds, then a Knative Service is one and a core Service is not', () => {
    expect(TARGET_KINDS).toContain(targetKeyOf({ kind: 'Service', apiVersion: 'serving.knative.dev/v1' }));
    expect(TARGET_KINDS).not.toContain(targetKeyOf({ kind: 'Service', apiVersion: 'v1' }));
  });
});

const knativeCanary = (status?: CanaryStatus): Canary => ({
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test', uid: 'u' },
  spec: { provider: 'knative', targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' } },
  ...(status ? { status } : {}),
});

describe('KnativeTarget', () => {
  const world = (latest?: string) => {
    const kube = new FakeKube();
    kube.put<KnativeService>(Resources.knativeServices, {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: { template: {} },
      status: latest ? { latestCreatedRevisionName: latest } : {},
    });
    for (const [name, ready] of [
      ['podinfo-00001', 'True'],
      ['podinfo-00002', 'Unknown'],
    ] as const)
      kube.put<KnativeRevision>(Resources.knativeRevisions, {
        metadata: { name, namespace: 'test', labels: { 'serving.knative.dev/service': 'podinfo' } },
        status: { conditions: [{ type: 'Ready', status: ready }] },
      });
    const pods = kube.lister<Pod>(Resources.pods);
    const registry = kube.registry();
    const target = new KnativeTarget({
      services: () => registry.lister<KnativeService>(Resources.knativeServices),
      revisions: () => registry.lister<KnativeRevision>(Resources.knativeRevisions),
      pods,
    });
    return { kube, target };
  };
  const signal = new AbortController().signal;

  it("given a run of the latest Revision, then it is the revision; the primary is the promoted one; readiness is each Revision's", async () => {
    const { target } = world('podinfo-00002');
    const c = knativeCanary({ phase: 'Progressing', lastPromotedSpec: 'podinfo-00001', lastAppliedSpec: 'podinfo-00002' });
    expect(target.routesThroughServices).toBe(false);
    expect(await target.describe(c, signal)).toMatchObject({ name: 'podinfo', revision: 'podinfo-00002', primaryName: 'podinfo-00001' });
    expect(target.primaryRevision(c)).toBe('podinfo-00001');
    expect(target.primaryReadiness(c, 100)).toEqual({ ready: true });
    expect(target.canaryReadiness(c, 100)).toEqual({ ready: false, reason: 'revision podinfo-00002 is not ready yet', fatal: false });
    // Promoting: the analysed Revision is the primary at once, and promote copies nothing.
    const promoting = { ...c, status: { ...c.status, phase: 'Promoting' as const } };
    await target.promote();
    expect(target.primaryRevision(promoting)).toBe('podinfo-00002');
  });

  it("given pods of the canary Revision that do not serve, then their problems; other Revisions' pods are not counted", async () => {
    const { kube, target } = world('podinfo-00002');
    const pod = (name: string, rev: string): Pod =>
      ({
        metadata: { name, namespace: 'test', labels: { 'serving.knative.dev/revision': rev } },
        status: {
          phase: 'Pending',
          containerStatuses: [{ name: 'user-container', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }],
        },
      }) as unknown as Pod;
    kube.put(Resources.pods, pod('a', 'podinfo-00002'));
    kube.put(Resources.pods, pod('b', 'podinfo-00001'));
    const c = knativeCanary({ phase: 'Progressing', lastPromotedSpec: 'podinfo-00001', lastAppliedSpec: 'podinfo-00002' });
    await target.describe(c, signal);
    expect(target.podProblems(c, 'canary').map((p) => p.pod)).toEqual(['a']);
    expect(target.podProblems(c, 'primary').map((p) => p.pod)).toEqual(['b']);
  });

  it.each<[string, string | undefined, boolean, string]>([
    ['no Knative Service', undefined, false, 'Knative Service test/podinfo not found'],
    [
      'a Knative Service without a Revision yet',
      undefined,
      true,
      'Knative Service test/podinfo has no revision yet (status.latestCreatedRevisionName)',
    ],
  ])('given %s, then TargetNotFound', async (_t, latest, exists, message) => {
    const { kube, target } = world(latest);
    if (!exists) kube.delete(Resources.knativeServices, 'test', 'podinfo');
    await expect(target.describe(knativeCanary(), signal)).rejects.toEqual(new TargetError('TargetNotFound', message));
  });
});

describe('validateCanary of a Knative Canary', () => {
  const caps = {
    providers: new Set(['istio', 'knative']),
    targetKinds: new Set(TARGET_KINDS),
    builtinMetricProviders: new Set(['istio', 'knative']),
  };
  const spec = (over: Partial<Canary['spec']> = {}): Canary['spec'] => ({
    ...knativeCanary().spec,
    analysis: {
      interval: '15s',
      threshold: 15,
      maxWeight: 50,
      stepWeight: 10,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
    },
    ...over,
  });

  it("given Flagger's tutorial Canary (no service block), then nothing to report", () => {
    expect(validateCanary(spec(), 'knative', caps)).toEqual({ errors: [], unsupported: [], notices: [] });
  });

  it('given a core v1 Service target on knative, then the rule refuses it and the kind is not driven', () => {
    const r = validateCanary(spec({ targetRef: { apiVersion: 'v1', kind: 'Service', name: 'podinfo' } }), 'knative', caps);
    expect(r.errors).toEqual([
      'spec: provider knative releases a Knative Service: targetRef must be apiVersion serving.knative.dev/v1, kind Service',
    ]);
    expect(r.unsupported).toEqual([
      'targetRef.kind Service is not supported yet (supported: Deployment, DaemonSet, StatefulSet, Service.serving.knative.dev)',
    ]);
  });

  it('given A/B testing on knative, then the capability rule refuses it', () => {
    const r = validateCanary(spec({ analysis: { iterations: 5, match: [{ headers: { x: { exact: 'a' } } }] } }), 'knative', caps);
    expect(r.errors).toEqual([expect.stringContaining('analysis.match is not possible with this provider')]);
  });
});
