import { Reconciler } from '../src/controller/reconciler.js';
import type { KubeObject } from '../src/api/types.js';
import { Resources } from '../src/kube/resources.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

describe('given a new Canary for a Deployment', () => {
  it('when reconciled, then the primary, Services and VirtualService exist, the target is scaled to zero and the phase is Initialized', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    const primary = w.deployment('podinfo-primary')!;
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(primary.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo', controller: true });
    expect(w.deployment('podinfo')!.spec.replicas).toBe(0);
    for (const svc of ['podinfo', 'podinfo-primary', 'podinfo-canary']) expect(w.kube.get(Resources.services, NS, svc)).toBeDefined();
    expect(w.vsWeight()).toBe(0);
    expect(w.canary.status).toMatchObject({ canaryWeight: 0, lastAppliedSpec: w.canary.status?.lastPromotedSpec });
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('when nothing changes, then a reconcile writes nothing', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    await w.tick();
    const writes = w.kube.writes.length;
    await w.tick();
    await w.tick();
    expect(w.kube.writes.slice(writes)).toEqual([]);
  });
});

describe('given an initialized Canary and a healthy new revision', () => {
  it('then traffic moves 25, 50, the primary gets the new template and the run ends Succeeded with all traffic on the primary', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    expect(w.deployment('podinfo')!.spec.replicas).toBe(2);
    const weights: number[] = [];
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick();
      weights.push(w.vsWeight()!);
    }
    expect(weights).toEqual([25, 50, 0]);
    expect(w.canary.status).toMatchObject({ phase: 'Succeeded', canaryWeight: 0, failedChecks: 0 });
    expect(w.canary.status?.lastPromotedSpec).toBe(w.canary.status?.lastAppliedSpec);
    expect(w.deployment('podinfo-primary')!.spec.template.spec.containers[0]!.env).toEqual([{ name: 'VERSION', value: 'v2' }]);
    expect(w.deployment('podinfo')!.spec.replicas).toBe(0);
    // Phase transitions only: a weight step is told by status and metrics (no --events-per-step).
    expect(w.events.map((e) => e.reason)).toEqual(['Initializing', 'Initialized', 'NewRevision', 'Promoting', 'Finalising', 'Succeeded']);
  });

  it('when a step is not yet due, then nothing moves', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick(10_000);
    expect(w.vsWeight()).toBe(25);
    await w.tick(5_000);
    expect(w.vsWeight()).toBe(25);
    await w.tick(5_000);
    expect(w.vsWeight()).toBe(50);
  });

  it('when the operator restarts between steps, then the run resumes from status without repeating a step', async () => {
    const w = new World().apply(aDeployment(), aCanary({ stepWeight: 10, maxWeight: 50 }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    await w.tick();
    expect(w.vsWeight()).toBe(20);
    const fresh = new Reconciler(w.deps);
    await fresh.reconcile(`${NS}/podinfo`, new AbortController().signal);
    expect(w.vsWeight()).toBe(20);
    w.now += 10_000;
    await fresh.reconcile(`${NS}/podinfo`, new AbortController().signal);
    expect(w.vsWeight()).toBe(30);
  });
});

describe('given a new revision whose pods do not become ready', () => {
  const crashing = (name: string, app: string, reason = 'Error'): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS, labels: { app } },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'podinfo',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container' } },
            lastState: { terminated: { reason, exitCode: reason === 'OOMKilled' ? 137 : 1 } },
          },
        ],
      },
    }) as KubeObject;

  it('then the wait names the crashing pod, and past progressDeadlineSeconds the rollback, its condition, Event and alert do too', async () => {
    const w = new World().apply(aDeployment(), aCanary({}, { progressDeadlineSeconds: 30 }));
    await initialized(w);
    w.unavailable.add('podinfo');
    w.kube.put(Resources.pods, crashing('podinfo-7f9-x2k', 'podinfo', 'OOMKilled'));
    w.kube.put(Resources.pods, crashing('podinfo-primary-5c4-abc', 'podinfo-primary'));
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    const ready = (): string => w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    expect(w.canary.status?.phase).toBe('Progressing');
    expect(ready()).toContain('waiting for podinfo: 0 of 2 replicas available; pod podinfo-7f9-x2k: OOMKilled (container podinfo:');
    expect(ready()).not.toContain('podinfo-primary-5c4-abc');
    // Told at once by a Warning Event, not only at the deadline; the same wait is not told again.
    const told = (): string[] => w.events.filter((e) => e.reason === 'CanaryNotReady').map((e) => e.message);
    expect(told()).toEqual([expect.stringContaining('pod podinfo-7f9-x2k: OOMKilled')]);
    await w.tick();
    expect(told()).toHaveLength(1);
    await w.tick(30_000);
    expect(w.canary.status?.phase).toBe('Failed');
    const why = 'canary podinfo not ready within progressDeadlineSeconds (30s): 0 of 2 replicas available; pod podinfo-7f9-x2k: OOMKilled';
    const stalled = w.canary.status?.conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(stalled?.message).toContain(why);
    expect(w.events.find((e) => e.reason === 'RolledBack')?.message).toContain(why);
    expect(w.alerts.find((a) => a.reason === 'ProgressDeadlineExceeded')?.message).toContain(why);
  });
});

describe('given a new revision that fails its checks', () => {
  it('then failed checks count up to the threshold and the run is rolled back with the primary untouched', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    const primaryTemplate = w.deployment('podinfo-primary')!.spec.template;
    w.newRevision({ VERSION: 'bad' });
    await w.tick(0);
    await w.tick();
    expect(w.vsWeight()).toBe(25);
    w.checks = [
      { name: 'request-success-rate', ok: false, value: 50, min: 99, reason: 'BelowMin', message: 'request-success-rate 50 < 99' },
    ];
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 25 });
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
    expect(w.vsWeight()).toBe(0);
    expect(w.deployment('podinfo')!.spec.replicas).toBe(0);
    expect(w.deployment('podinfo-primary')!.spec.template).toEqual(primaryTemplate);
    expect(w.events.find((e) => e.reason === 'RolledBack')?.message).toContain('request-success-rate 50 < 99');
    const conditions = Object.fromEntries((w.canary.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({ Ready: 'False', Stalled: 'True', Promoted: 'False' });
    await w.tick();
    expect(w.canary.status?.phase).toBe('Failed');
  });

  it('when only a dry-run metric fails, then the run is promoted with threshold 1, each failure in status and an Event', async () => {
    const w = new World({ eventsPerStep: true }).apply(aDeployment(), aCanary({ threshold: 1 }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const dry = { name: 'p99', ok: false, dryRun: true, value: 900, max: 500, reason: 'AboveMax', message: 'p99 900 > 500' };
    w.checks = [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }, dry];
    await w.tick();
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 0, canaryWeight: 50 });
    expect(w.canary.status?.lastChecks).toContainEqual(dry);
    const dryEvents = w.events.filter((e) => e.reason === 'DryRunCheckFailed');
    expect(dryEvents).toEqual([
      { type: 'Warning', reason: 'DryRunCheckFailed', message: 'Dry-run checks failed (not counted): p99 900 > 500' },
    ]);
    expect(w.events.find((e) => e.reason === 'Advanced' && e.message.includes('p99=900 (dry-run failed)'))).toBeDefined();
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Succeeded', failedChecks: 0 });
    expect(w.alerts.filter((a) => a.severity !== 'info')).toEqual([]);
  });

  it('when the target is reverted to the promoted revision, then the Canary is Succeeded again without a run', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
    await initialized(w);
    w.newRevision({ VERSION: 'bad' });
    await w.tick(0);
    await w.tick();
    w.checks = [{ name: 'request-success-rate', ok: false, reason: 'NoData', message: 'no data' }];
    await w.tick();
    expect(w.canary.status?.phase).toBe('Failed');
    w.newRevision({ VERSION: 'v1' });
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});

describe('given a revision replaced during its analysis', () => {
  it('then the analysis restarts from weight 0 for the newer revision', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.vsWeight()).toBe(25);
    const first = w.canary.status?.lastAppliedSpec;
    w.newRevision({ VERSION: 'v3' });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    expect(w.canary.status?.lastAppliedSpec).not.toBe(first);
    expect(w.vsWeight()).toBe(0);
  });
});

describe('given gates and hooks', () => {
  it('when confirm-promotion is closed, then the run waits in WaitingPromotion, and promotes once it opens', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://hooks/gate/check' }] }),
    );
    await initialized(w);
    w.hookResults.gate = { ok: false, status: 403, message: 'gate answered 403' };
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    await w.tick();
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'WaitingPromotion', canaryWeight: 50 });
    w.hookResults.gate = { ok: true, status: 200 };
    await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
  });

  it('when pre-rollout fails, then no traffic moves and the failure counts as a failed check', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ threshold: 1, webhooks: [{ name: 'smoke', type: 'pre-rollout', url: 'http://hooks/' }] }),
    );
    await initialized(w);
    w.hookResults.smoke = { ok: false, status: 500, message: 'smoke answered 500' };
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(w.kube.writes.filter((x) => x.kind === 'VirtualService' && x.verb === 'update')).toEqual([]);
    expect(w.hookCalls[0]?.payload).toMatchObject({
      name: 'podinfo',
      namespace: NS,
      type: 'pre-rollout',
      phase: 'Progressing',
      canaryWeight: 0,
    });
  });

  it('when a rollback hook answers 2xx, then the run is rolled back', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ webhooks: [{ name: 'abort', type: 'rollback', url: 'http://hooks/rollback/check' }] }),
    );
    w.hookResults.abort = { ok: false, status: 403, message: 'closed' };
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.vsWeight()).toBe(25);
    w.hookResults.abort = { ok: true, status: 200 };
    await w.tick();
    expect(w.canary.status?.phase).toBe('Failed');
  });
});

describe('given other strategies', () => {
  it('blue/green on the kubernetes provider runs iterations with no traffic split, then promotes', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ iterations: 3, stepWeight: undefined, maxWeight: undefined }, { provider: 'kubernetes' }),
    );
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const seen: string[] = [];
    for (let i = 0; i < 8 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick();
      seen.push(`${w.canary.status?.phase}:${w.canary.status?.iterations}:${w.canary.status?.canaryWeight}`);
    }
    expect(seen).toEqual(['Progressing:1:0', 'Progressing:2:0', 'Progressing:3:0', 'Succeeded:3:0']);
    expect(w.kube.get(Resources.virtualServices, NS, 'podinfo')).toBeUndefined();
  });

  it('A/B testing on Istio routes matched requests to the canary in a rule of their own', async () => {
    const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
    const w = new World().apply(aDeployment(), aCanary({ iterations: 2, stepWeight: undefined, maxWeight: undefined, match }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    const vs = w.kube.get<{ spec: { http: unknown[] } } & KubeObject>(Resources.virtualServices, NS, 'podinfo')!;
    expect(vs.spec.http).toEqual([
      {
        match,
        route: [
          { destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 0 },
          { destination: { host: 'podinfo-canary', port: { number: 9898 } }, weight: 100 },
        ],
      },
      { route: [{ destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 100 }] },
    ]);
    await w.tick();
    await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
  });

  it('stepWeights are followed in order', async () => {
    const w = new World().apply(aDeployment(), aCanary({ stepWeight: undefined, maxWeight: undefined, stepWeights: [5, 25, 60] }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const weights: number[] = [];
    for (let i = 0; i < 3; i++) {
      await w.tick();
      weights.push(w.vsWeight()!);
    }
    expect(weights).toEqual([5, 25, 60]);
  });

  it('skipAnalysis promotes without steps', async () => {
    const w = new World({ eventsPerStep: true }).apply(aDeployment(), aCanary({}, { skipAnalysis: true }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.events.some((e) => e.reason === 'Advanced')).toBe(false);
  });
});

describe('given a Canary the operator cannot act on', () => {
  const stalled = (w: World): Record<string, string | undefined> => {
    const c = w.canary.status?.conditions?.find((x) => x.type === 'Stalled');
    return { status: c?.status, reason: c?.reason };
  };

  it('an unsupported target kind is reported in the Stalled condition and nothing is created', async () => {
    const w = new World().apply(aDeployment(), aCanary({}, { targetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'podinfo' } }));
    await w.reconcile();
    expect(stalled(w)).toEqual({ status: 'True', reason: 'Unsupported' });
    expect(w.deployment('podinfo-primary')).toBeUndefined();
    expect(w.events[0]).toMatchObject({ type: 'Warning', reason: 'Unsupported' });
  });

  it('a canary strategy without steps is an invalid spec', async () => {
    const w = new World().apply(aDeployment(), aCanary({ stepWeight: undefined }));
    await w.reconcile();
    expect(stalled(w)).toEqual({ status: 'True', reason: 'InvalidSpec' });
  });

  it('a missing target is reported as TargetNotFound', async () => {
    const w = new World();
    w.kube.put(Resources.canaries, aCanary());
    await w.reconcile();
    expect(stalled(w)).toEqual({ status: 'True', reason: 'TargetNotFound' });
  });

  it('a mesh whose CRDs are not installed is reported as RouterUnavailable and retried', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    w.kube.notServed.add('virtualservices.networking.istio.io/v1beta1');
    const next = await w.reconcile();
    expect(stalled(w)).toEqual({ status: 'True', reason: 'RouterUnavailable' });
    expect(next).toBe(30_000);
  });
});

describe('given webhooks with a secretRef and event hooks', () => {
  it("then the Secret's keys become headers and hmac-key the signing key", async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ webhooks: [{ name: 'smoke', type: 'pre-rollout', url: 'http://hooks/', secretRef: { name: 'hooks-auth' } }] }),
    );
    w.secretData['hooks-auth'] = { Authorization: 'Bearer s3cret-token-value', 'hmac-key': 'signing-key-0123456789' };
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.hookCalls.find((c) => c.hook === 'smoke')?.auth).toEqual({
      headers: { Authorization: 'Bearer s3cret-token-value' },
      hmacKey: 'signing-key-0123456789',
    });
    expect(w.vsWeight()).toBe(25);
  });

  it('when the Secret is missing, then the hook fails and counts as a failed check', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ webhooks: [{ name: 'smoke', type: 'pre-rollout', url: 'http://hooks/', secretRef: { name: 'absent' } }] }),
    );
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.canary.status).toMatchObject({ failedChecks: 1, canaryWeight: 0 });
    expect(w.canary.status?.lastChecks?.[0]?.message).toContain('Secret test/absent not found');
    expect(w.hookCalls).toEqual([]);
  });

  it('then every Event is also posted to the event hooks, with its message', async () => {
    const w = new World().apply(aDeployment(), aCanary({ webhooks: [{ name: 'audit', type: 'event', url: 'http://audit/' }] }));
    await initialized(w);
    await new Promise((r) => setImmediate(r));
    const calls = w.hookCalls.filter((c) => c.hook === 'audit');
    expect(calls.map((c) => c.payload.metadata?.eventMessage)).toEqual(w.events.map((e) => e.message));
    expect(calls[0]?.payload).toMatchObject({ type: 'event', metadata: { eventType: 'Normal', eventReason: 'Initializing' } });
  });
});

describe('given a Canary with revertOnDeletion', () => {
  const deleteCanary = (w: World): void => {
    const c = w.canary;
    w.kube.put(Resources.canaries, { ...c, metadata: { ...c.metadata, deletionTimestamp: new Date(w.now).toISOString() } });
  };

  it('then the finalizer is added; on deletion the target serves again through the adopted apex Service, mesh objects go, and the finalizer is removed', async () => {
    const w = new World();
    w.kube.put(Resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace: NS },
      spec: { selector: { app: 'podinfo', tier: 'web' }, ports: [{ port: 9898 }] },
    });
    w.apply(aDeployment(), aCanary({}, { revertOnDeletion: true }));
    await initialized(w);
    expect(w.canary.metadata.finalizers).toEqual(['tollgate.dev/finalizer']);
    expect(
      w.kube.get<{ spec: { selector: Record<string, string> } } & KubeObject>(Resources.services, NS, 'podinfo')!.spec.selector,
    ).toEqual({ app: 'podinfo-primary' });
    deleteCanary(w);
    await w.tick(0);
    expect(w.canary.metadata.finalizers ?? []).toEqual([]);
    expect(w.deployment('podinfo')!.spec.replicas).toBe(2);
    const apex = w.kube.get<{ spec: { selector: Record<string, string> } } & KubeObject>(Resources.services, NS, 'podinfo')!;
    expect(apex.spec.selector).toEqual({ app: 'podinfo', tier: 'web' });
    expect(apex.metadata.annotations?.['tollgate.dev/original-selector']).toBeUndefined();
    expect(w.kube.get(Resources.virtualServices, NS, 'podinfo')).toBeUndefined();
    expect(w.kube.get(Resources.destinationRules, NS, 'podinfo-primary')).toBeUndefined();
    expect(w.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Terminating', 'Terminated']));
  });

  it("given an apex Service Flagger had adopted (it selects the primary's pods), then on deletion it selects the target, not the primary", async () => {
    const w = new World();
    w.kube.put(Resources.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace: NS },
      spec: { selector: { app: 'podinfo-primary' }, ports: [{ port: 9898 }] },
    });
    w.apply(aDeployment(), aCanary({}, { revertOnDeletion: true }));
    await initialized(w);
    deleteCanary(w);
    await w.tick(0);
    const apex = w.kube.get<{ spec: { selector: Record<string, string> } } & KubeObject>(Resources.services, NS, 'podinfo')!;
    expect(apex.spec.selector).toEqual({ app: 'podinfo' });
  });

  it("given a VirtualService Flagger had adopted (its original spec in Flagger's annotation), then on deletion it gets that original back", async () => {
    const w = new World();
    const original = { hosts: ['podinfo'], http: [{ route: [{ destination: { host: 'podinfo' } }] }] };
    w.kube.put(Resources.virtualServices, {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: {
        name: 'podinfo',
        namespace: NS,
        annotations: { 'flagger.kubernetes.io/original-configuration': JSON.stringify(original) },
      },
      spec: { hosts: ['podinfo'], http: [{ route: [{ destination: { host: 'podinfo-primary' }, weight: 100 }] }] },
    });
    w.apply(aDeployment(), aCanary({}, { revertOnDeletion: true }));
    await initialized(w);
    deleteCanary(w);
    await w.tick(0);
    expect(w.kube.get<KubeObject & { spec: unknown }>(Resources.virtualServices, NS, 'podinfo')!.spec).toEqual(original);
  });

  it('when revertOnDeletion is turned off, then the finalizer is removed', async () => {
    const w = new World().apply(aDeployment(), aCanary({}, { revertOnDeletion: true }));
    await initialized(w);
    const c = w.canary;
    w.kube.put(Resources.canaries, { ...c, spec: { ...c.spec, revertOnDeletion: false } });
    await w.tick(0);
    expect(w.canary.metadata.finalizers ?? []).toEqual([]);
  });

  it('when a route object is edited by hand, then the split from status is restored and an Event says so', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    const vs = w.kube.get<KubeObject & { spec: { http: { route: { weight: number }[] }[] } }>(Resources.virtualServices, NS, 'podinfo')!;
    vs.spec.http[0]!.route[0]!.weight = 50;
    vs.spec.http[0]!.route[1]!.weight = 50;
    w.kube.put(Resources.virtualServices, vs);
    await w.tick(10_000);
    expect(w.vsWeight()).toBe(0);
    expect(w.events.find((e) => e.reason === 'RoutesCorrected')?.message).toContain('canary weight 50');
  });
});

describe('given analysis.steps with pauses', () => {
  it('then each weight is held at least its pause, with checks every interval, before the next', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ stepWeight: undefined, maxWeight: undefined, steps: [{ weight: 5, pause: '30s' }, { weight: 25 }] }),
    );
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      await w.tick();
      seen.push(w.vsWeight()!);
    }
    expect(seen).toEqual([5, 5, 5, 25, 0, 0]);
    expect(w.canary.status?.phase).toBe('Succeeded');
  });
});

describe('given a failed revision and the retry annotation', () => {
  it('then the same revision is analysed again, once per annotation value', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    w.checks = [{ name: 'request-success-rate', ok: false, reason: 'NoData', message: 'no data' }];
    await w.tick();
    expect(w.canary.status?.phase).toBe('Failed');
    w.checks = [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }];
    const c = w.canary;
    w.kube.put(Resources.canaries, { ...c, metadata: { ...c.metadata, annotations: { 'tollgate.dev/retry': '1' } } });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', handledRequests: { retry: '1' }, failedChecks: 0 });
    for (let i = 0; i < 4; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.events.some((e) => e.reason === 'Retry')).toBe(true);
  });
});

const cm = (name: string, data: Record<string, string>): KubeObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS },
  data,
});

describe('given a target that uses a ConfigMap and a Secret', () => {
  const withConfigs = (): ReturnType<typeof aDeployment> => {
    const d = aDeployment();
    d.spec.template.spec.volumes = [{ name: 'cfg', configMap: { name: 'settings' } }];
    d.spec.template.spec.containers[0]!.envFrom = [{ secretRef: { name: 'creds' } }];
    return d;
  };

  it('then the primary runs on -primary copies; a change of the ConfigMap alone is a new revision, promoted with it', async () => {
    const w = new World();
    w.kube.put(Resources.configMaps, cm('settings', { mode: 'a' }));
    w.kube.put(Resources.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: NS },
      type: 'Opaque',
      data: { k: 'dg==' },
    } as KubeObject);
    w.apply(withConfigs(), aCanary());
    await initialized(w);
    const primary = w.deployment('podinfo-primary')!;
    expect(primary.spec.template.spec.volumes).toEqual([{ name: 'cfg', configMap: { name: 'settings-primary' } }]);
    expect(primary.spec.template.spec.containers[0]!.envFrom).toEqual([{ secretRef: { name: 'creds-primary' } }]);
    expect(w.kube.get<KubeObject & { data: object }>(Resources.configMaps, NS, 'settings-primary')?.data).toEqual({ mode: 'a' });
    expect(Object.keys(w.canary.status?.trackedConfigs ?? {}).sort()).toEqual(['configmap/settings', 'secret/creds']);
    const before = w.canary.status?.lastAppliedSpec;
    w.kube.put(Resources.configMaps, cm('settings', { mode: 'b' }));
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Progressing');
    expect(w.canary.status?.lastAppliedSpec).not.toBe(before);
    expect(w.kube.get<KubeObject & { data: object }>(Resources.configMaps, NS, 'settings-primary')?.data).toEqual({ mode: 'a' });
    for (let i = 0; i < 4; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.kube.get<KubeObject & { data: object }>(Resources.configMaps, NS, 'settings-primary')?.data).toEqual({ mode: 'b' });
  });
});

describe('given the -primary ConfigMap and Secret copies and the primary Flagger made, and a Canary taking them over', () => {
  it('then their controller ownerReference moves to the Canary and their content and the primary stay as they are', async () => {
    const w = new World();
    const flaggerOwner = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'uid-flagger', controller: true };
    const shared = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'other', uid: 'uid-other', controller: false };
    w.kube.put(Resources.configMaps, cm('settings', { mode: 'a' }));
    w.kube.put(Resources.configMaps, {
      ...cm('settings-primary', { mode: 'a' }),
      metadata: { name: 'settings-primary', namespace: NS, ownerReferences: [flaggerOwner, shared] },
    });
    const secret = (name: string, owners?: object[]): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: NS, ...(owners ? { ownerReferences: owners } : {}) },
        type: 'Opaque',
        data: { k: 'dg==' },
      }) as KubeObject;
    w.kube.put(Resources.secrets, secret('creds'));
    w.kube.put(Resources.secrets, secret('creds-primary', [flaggerOwner]));
    const target = aDeployment();
    target.spec.replicas = 0;
    target.spec.template.spec.volumes = [{ name: 'cfg', configMap: { name: 'settings' } }];
    target.spec.template.spec.containers[0]!.envFrom = [{ secretRef: { name: 'creds' } }];
    const primary = aDeployment('podinfo-primary');
    primary.metadata.ownerReferences = [flaggerOwner];
    primary.spec.selector = { matchLabels: { app: 'podinfo-primary' } };
    primary.spec.template = {
      metadata: { labels: { app: 'podinfo-primary' }, annotations: { 'flagger-id': 'f0' } },
      spec: { ...target.spec.template.spec, volumes: [{ name: 'cfg', configMap: { name: 'settings-primary' } }] },
    };
    w.kube.put(Resources.deployments, primary);
    const canary = aCanary();
    canary.metadata.annotations = { 'tollgate.dev/takeover': 'podinfo' };
    w.apply(target, canary);
    const template = w.deployment('podinfo-primary')!.spec.template;
    await initialized(w);
    const ours = expect.objectContaining({ apiVersion: 'tollgate.dev/v1beta1', name: 'podinfo', controller: true });
    const copy = w.kube.get<KubeObject & { data: object }>(Resources.configMaps, NS, 'settings-primary')!;
    expect(copy.metadata.ownerReferences).toEqual([ours, shared]);
    expect(copy.data).toEqual({ mode: 'a' });
    const secretCopy = w.kube.get<KubeObject & { data: object }>(Resources.secrets, NS, 'creds-primary')!;
    expect(secretCopy.metadata.ownerReferences).toEqual([ours]);
    expect(secretCopy.data).toEqual({ k: 'dg==' });
    expect(w.deployment('podinfo-primary')!.spec.template).toEqual(template);
    expect(w.deployment('podinfo-primary')!.metadata.ownerReferences).toEqual([ours]);
  });
});

describe("given an autoscalerRef to the user's HorizontalPodAutoscaler", () => {
  const hpa = (max: number): KubeObject =>
    ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: NS },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, minReplicas: 2, maxReplicas: max },
    }) as KubeObject;

  it("then a -primary copy aims at the primary, follows the user's between runs, and promotion never shrinks the primary below the canary", async () => {
    const w = new World();
    w.kube.put(Resources.horizontalPodAutoscalersV2, hpa(4));
    w.apply(
      aDeployment(),
      aCanary({}, { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' } }),
    );
    await initialized(w);
    type Hpa = KubeObject & { spec: { scaleTargetRef: { name: string }; maxReplicas: number } };
    expect(w.kube.get<Hpa>(Resources.horizontalPodAutoscalersV2, NS, 'podinfo-primary')?.spec).toMatchObject({
      scaleTargetRef: { name: 'podinfo-primary' },
      minReplicas: 2,
      maxReplicas: 4,
    });
    w.kube.put(Resources.horizontalPodAutoscalersV2, hpa(8));
    await w.tick(0);
    expect(w.kube.get<Hpa>(Resources.horizontalPodAutoscalersV2, NS, 'podinfo-primary')?.spec.maxReplicas).toBe(8);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const d = w.deployment('podinfo')!;
    w.kube.put(Resources.deployments, { ...d, spec: { ...d.spec, replicas: 6 } });
    for (let i = 0; i < 4; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.deployment('podinfo-primary')!.spec.replicas).toBe(6);
  });

  it("when the user's HPA does not exist, then it is reported", async () => {
    const w = new World().apply(aDeployment(), aCanary({}, { autoscalerRef: { kind: 'HorizontalPodAutoscaler', name: 'missing' } }));
    await w.reconcile();
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'TargetInvalid' });
  });
});

describe('given a DaemonSet target', () => {
  const ds = (env: Record<string, string>): KubeObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
      spec: {
        selector: { matchLabels: { app: 'podinfo' } },
        template: {
          metadata: { labels: { app: 'podinfo' } },
          spec: { containers: [{ name: 'app', env: Object.entries(env).map(([name, value]) => ({ name, value })) }] },
        },
      },
    }) as KubeObject;
  const rollOutDaemonSets = (w: World): void => {
    for (const d of w.kube
      .lister<KubeObject & { spec: { template: { spec: { nodeSelector?: object } } } }>(Resources.daemonSets)
      .list(NS)) {
      const n = d.spec.template.spec.nodeSelector && 'tollgate.dev/scale-to-zero' in d.spec.template.spec.nodeSelector ? 0 : 1;
      w.kube.put(Resources.daemonSets, {
        ...d,
        status: {
          observedGeneration: d.metadata.generation,
          desiredNumberScheduled: n,
          currentNumberScheduled: n,
          updatedNumberScheduled: n,
          numberAvailable: n,
        },
      });
    }
  };

  it('then it is scaled to zero by a node selector that does not change its revision, and a new revision runs blue/green on kubernetes', async () => {
    const w = new World();
    w.kube.put(Resources.daemonSets, ds({ VERSION: 'v1' }));
    w.kube.put(
      Resources.canaries,
      aCanary(
        { iterations: 2, stepWeight: undefined },
        { provider: 'kubernetes', targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } },
      ),
    );
    const step = async (ms: number): Promise<void> => {
      w.now += ms;
      for (let i = 0; i < 6; i++) {
        rollOutDaemonSets(w);
        await w.reconciler.reconcile(`${NS}/podinfo`, new AbortController().signal);
      }
    };
    await step(0);
    expect(w.canary.status?.phase).toBe('Initialized');
    type Ds = KubeObject & { spec: { template: { spec: { nodeSelector?: object } } } };
    expect(w.kube.get<Ds>(Resources.daemonSets, NS, 'podinfo')!.spec.template.spec.nodeSelector).toEqual({
      'tollgate.dev/scale-to-zero': 'true',
    });
    expect(w.kube.get<Ds>(Resources.daemonSets, NS, 'podinfo-primary')!.spec.template.spec.nodeSelector).toBeUndefined();
    await step(10_000);
    expect(w.canary.status?.phase).toBe('Initialized');
    const d = w.kube.get<Ds & { spec: { template: { spec: { containers: { env: object[] }[] } } } }>(Resources.daemonSets, NS, 'podinfo')!;
    d.spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: 'v2' }];
    w.kube.put(Resources.daemonSets, d);
    await step(0);
    expect(w.canary.status?.phase).toBe('Progressing');
    expect(w.kube.get<Ds>(Resources.daemonSets, NS, 'podinfo')!.spec.template.spec.nodeSelector).toEqual({});
    for (let i = 0; i < 4 && w.canary.status?.phase !== 'Succeeded'; i++) await step(10_000);
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.kube.get<Ds>(Resources.daemonSets, NS, 'podinfo')!.spec.template.spec.nodeSelector).toEqual({
      'tollgate.dev/scale-to-zero': 'true',
    });
  });
});

describe('given alerts', () => {
  it('then a rollback alerts with the failing metric, its value and threshold, and a success alerts too', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    w.checks = [
      { name: 'request-success-rate', ok: false, value: 80, min: 99, reason: 'BelowMin', message: 'request-success-rate 80 < 99' },
    ];
    await w.tick();
    await new Promise((r) => setImmediate(r));
    expect(w.alerts.map((a) => a.reason)).toEqual(['Initialized', 'NewRevision', 'RolledBack']);
    expect(w.alerts[2]).toMatchObject({ severity: 'error' });
    expect(w.alerts[2]!.message).toContain('80');
    expect(w.alerts[2]!.message).toContain('99');
  });

  it('then a missing target is alerted once, not on every requeue', async () => {
    const w = new World();
    w.kube.put(Resources.canaries, aCanary());
    await w.reconcile();
    await w.reconcile();
    await new Promise((r) => setImmediate(r));
    expect(w.alerts.map((a) => a.reason)).toEqual(['TargetNotFound']);
  });
});

describe('given the imperative controls (annotations set by the tollgate CLI)', () => {
  const annotate = (w: World, annotations: Record<string, string>): void => {
    const c = w.canary;
    w.kube.put(Resources.canaries, { ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, ...annotations } } });
  };
  const running = async (analysis: Parameters<typeof aCanary>[0] = {}): Promise<World> => {
    const w = new World().apply(aDeployment(), aCanary({ stepWeight: 10, maxWeight: 50, ...analysis }));
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.vsWeight()).toBe(10);
    return w;
  };

  it('paused holds the weight while checks would pass; removing it resumes', async () => {
    const w = await running();
    annotate(w, { 'tollgate.dev/paused': 'true' });
    await w.tick();
    await w.tick();
    expect(w.vsWeight()).toBe(10);
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      reason: 'Paused',
      message: expect.stringContaining('paused'),
    });
    annotate(w, { 'tollgate.dev/paused': 'false' });
    await w.tick();
    expect(w.vsWeight()).toBe(20);
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('Progressing');
  });

  it('promote skips the remaining steps and the confirm-promotion gate, once per value', async () => {
    const w = await running({ webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://hooks/gate/check' }] });
    w.hookResults.gate = { ok: false, status: 403, message: 'closed' };
    annotate(w, { 'tollgate.dev/promote': 'a' });
    await w.tick(0);
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Succeeded', handledRequests: { promote: 'a' } });
    expect(w.events.find((e) => e.reason === 'Promoting')?.message).toContain('promoted on request');
  });

  it('abort rolls back at once', async () => {
    const w = await running();
    annotate(w, { 'tollgate.dev/abort': '1' });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(w.vsWeight()).toBe(0);
  });
});

describe('given session affinity on Istio', () => {
  type Vs = KubeObject & {
    spec: {
      http: {
        match?: { headers?: Record<string, { regex: string }> }[];
        route: { destination: { host: string }; weight: number; headers?: { response: { add: Record<string, string> } } }[];
      }[];
    };
  };
  const vs = (w: World): Vs => w.kube.get<Vs>(Resources.virtualServices, NS, 'podinfo')!;

  it('then canary users are pinned by a cookie while the canary takes traffic, and the cookie is expired once the run is over', async () => {
    const w = new World().apply(aDeployment(), aCanary({ sessionAffinity: { cookieName: 'tg-canary', maxAge: 600 } }));
    await initialized(w);
    expect(vs(w).spec.http).toHaveLength(1);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const cookie = w.canary.status?.sessionAffinityCookie;
    expect(cookie).toMatch(/^tg-canary=[A-Za-z]{16}$/);
    await w.tick();
    const [sticky, weighted] = vs(w).spec.http;
    expect(sticky!.match).toEqual([{ headers: { cookie: { regex: `.*${cookie}.*` } } }]);
    expect(sticky!.route).toEqual([
      expect.objectContaining({ destination: expect.objectContaining({ host: 'podinfo-canary' }), weight: 100 }),
    ]);
    expect(weighted!.route[1]!.headers?.response.add['Set-Cookie']).toBe(`${cookie}; Max-Age=600; Path=/`);
    expect(weighted!.route.map((r) => r.weight)).toEqual([75, 25]);
    for (let i = 0; i < 4 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    const http = vs(w).spec.http;
    expect(http).toHaveLength(1);
    expect(http[0]!.route[0]!.headers?.response.add['Set-Cookie']).toBe(`${cookie}; Max-Age=-1; Path=/`);
  });
});

describe('given what Flagger left of a release at canary weight 20 (a primary of its own, the target running)', () => {
  const flaggerOwner = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'uid-flagger', controller: true };
  function flaggerWorld(annotations: Record<string, string>): World {
    const w = new World();
    const primary = aDeployment('podinfo-primary');
    primary.metadata.ownerReferences = [flaggerOwner];
    primary.metadata.labels = { app: 'podinfo-primary' };
    primary.spec.selector = { matchLabels: { app: 'podinfo-primary' } };
    primary.spec.template.metadata = { labels: { app: 'podinfo-primary' }, annotations: { 'flagger-id': 'f0' } };
    w.kube.put(Resources.deployments, primary);
    const route = (host: string, weight: number): unknown => ({ destination: { host, port: { number: 9898 } }, weight });
    w.kube.put(Resources.virtualServices, {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'podinfo', namespace: NS, ownerReferences: [flaggerOwner] },
      spec: { hosts: ['podinfo'], gateways: ['mesh'], http: [{ route: [route('podinfo-primary', 80), route('podinfo-canary', 20)] }] },
    });
    const canary = aCanary();
    canary.metadata.annotations = annotations;
    return w.apply(aDeployment('podinfo', { VERSION: 'v2' }), canary);
  }

  it("when the Canary does not name Flagger's, then it stalls (Conflict) and writes none of Flagger's objects", async () => {
    const w = flaggerWorld({});
    await w.reconcile();
    await w.reconcile();
    expect(w.canary.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'Conflict' });
    expect(w.vsWeight()).toBe(20);
    expect(w.kube.get<KubeObject>(Resources.virtualServices, NS, 'podinfo')!.metadata.ownerReferences).toEqual([flaggerOwner]);
    expect(w.deployment('podinfo-primary')!.metadata.ownerReferences).toEqual([flaggerOwner]);
  });

  it("when it takes Flagger's over, then the release goes on from 20: the target keeps running, the primary's template is untouched", async () => {
    const w = flaggerWorld({ 'tollgate.dev/takeover': 'podinfo' });
    const template = w.deployment('podinfo-primary')!.spec.template;
    await w.reconcile();
    await w.reconcile();
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 20 });
    expect(w.vsWeight()).toBe(20);
    expect(w.deployment('podinfo')!.spec.replicas).toBe(2);
    expect(w.deployment('podinfo-primary')!.spec.template).toEqual(template);
    expect(w.deployment('podinfo-primary')!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'tollgate.dev/v1beta1', controller: true }),
    ]);
    expect(w.events.map((e) => e.reason)).toContain('Resumed');
    await w.tick();
    expect(w.vsWeight()).toBe(45);
  });
});
