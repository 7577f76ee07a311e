import type { Canary, Condition, KubeObject } from '../src/api/types.js';
import type { KubeClient } from '../src/kube/client.js';
import { Resources } from '../src/kube/resources.js';
import { aCanary, aDeployment, World } from './fakes/world.js';

/**
 * The Canary status seen through kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status), which is what Flux's
 * kustomize-controller (`wait: true`, `healthChecks`), `kubectl wait`-style tooling and cli-utils appliers use
 * to decide whether a custom resource is healthy. A Kustomization is Ready only when every object is Current,
 * and fails when one is Failed; InProgress keeps it waiting until its timeout.
 */

type KStatus = 'InProgress' | 'Current' | 'Failed' | 'Terminating';

interface KResult {
  status: KStatus;
  message: string;
}

type Obj = KubeObject & { status?: { observedGeneration?: number; conditions?: Condition[] } };

/**
 * kstatus' Compute() for a kind without built-in rules (every CRD), written from its documented rules:
 *  1. metadata.deletionTimestamp set: Terminating.
 *  2. status.observedGeneration present and different from metadata.generation: InProgress
 *     (LatestGenerationNotObserved). Absent, the check is skipped.
 *  3. The conditions, in the order the object lists them: the first of Reconciling=True (InProgress) or
 *     Stalled=True (Failed) decides.
 *  4. Otherwise the Ready condition: True is Current, False or Unknown is InProgress.
 *  5. Otherwise (no known condition at all) the object is Current.
 */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
function kstatus(o: Obj): KResult {
  if (o.metadata.deletionTimestamp) return { status: 'Terminating', message: 'Resource scheduled for deletion' };
  const generation = o.metadata.generation;
  const observed = o.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed !== generation) {
    return { status: 'InProgress', message: `${o.kind} generation is ${generation}, but latest observed generation is ${observed}` };
  }
  const conditions = o.status?.conditions ?? [];
  for (const c of conditions) {
    if (c.type === 'Reconciling' && c.status === 'True') return { status: 'InProgress', message: c.message ?? '' };
    if (c.type === 'Stalled' && c.status === 'True') return { status: 'Failed', message: c.message ?? '' };
  }
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { status: 'Current', message: 'Resource is Ready' };
  if (ready?.status === 'False' || ready?.status === 'Unknown') return { status: 'InProgress', message: ready.message ?? '' };
  return { status: 'Current', message: 'Resource is current' };
}

/** One Canary status as the API server would show it, judged by kstatus. */
interface Seen {
  phase: string;
  kstatus: KStatus;
  weight: number;
  /** The target's current revision is the promoted one. */
  promoted: boolean;
  reason?: string;
  message: string;
}

const cond = (c: Canary, type: string): Condition | undefined => c.status?.conditions?.find((x) => x.type === type);

async function see(w: World, c: Canary): Promise<Seen> {
  const target = w.deployment(c.spec.targetRef.name);
  const revision = target ? (await w.deps.targets.Deployment!.describe(c, new AbortController().signal)).revision : undefined;
  const k = kstatus(c);
  return {
    phase: c.status?.phase ?? '',
    kstatus: k.status,
    message: k.message,
    weight: c.status?.canaryWeight ?? 0,
    promoted: revision !== undefined && revision === c.status?.lastPromotedSpec,
    reason: cond(c, 'Stalled')?.reason,
  };
}

/** Records every status the reconciler writes, as the API server returns it (the states a poller can observe). */
function recordWrites(w: World): Seen[] {
  const seen: Seen[] = [];
  const client = w.deps.client as { replaceStatus: KubeClient['replaceStatus'] };
  const original = client.replaceStatus.bind(client);
  client.replaceStatus = (async (r, obj, signal) => {
    const out = await original(r, obj, signal);
    if (r.kind === 'Canary') seen.push(await see(w, out as unknown as Canary));
    return out;
  }) as KubeClient['replaceStatus'];
  return seen;
}

const statuses = (seen: Seen[]): KStatus[] => seen.map((s) => s.kstatus);
/** phase:kstatus of each write, consecutive repeats (a detail that changed) collapsed. */
const path = (seen: Seen[]): string[] => seen.map((s) => `${s.phase}:${s.kstatus}`).filter((x, i, all) => x !== all[i - 1]);
const now = async (w: World): Promise<Seen> => see(w, w.canary);

/** What Flux needs: Current only with the target's revision promoted, Failed only when the run (or the Canary) failed. */
function expectKstatusContract(seen: Seen[]): void {
  for (const s of seen) {
    if (s.kstatus === 'Current')
      expect({ phase: s.phase, promoted: s.promoted }).toEqual({
        phase: expect.stringMatching(/^(Initialized|Succeeded)$/),
        promoted: true,
      });
    if (s.kstatus === 'Failed') expect(s.phase === 'Failed' || (s.reason !== undefined && s.reason !== 'Healthy')).toBe(true);
    if (['Initializing', 'Progressing', 'WaitingPromotion', 'Promoting', 'Finalising', 'Waiting'].includes(s.phase))
      expect(s.kstatus).toBe('InProgress');
  }
}

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

const edit = (w: World, change: (c: Canary) => void): void => {
  const c = w.canary;
  change(c);
  w.kube.put(Resources.canaries, c);
};

const failing = [
  { name: 'request-success-rate', ok: false, value: 50, min: 99, reason: 'BelowMin', message: 'request-success-rate 50 < 99' },
];

/** A Canary (threshold 1) whose new revision 'bad' failed its first check and was rolled back. */
async function rolledBack(): Promise<World> {
  const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
  await initialized(w);
  w.newRevision({ VERSION: 'bad' });
  await w.tick(0);
  await w.tick();
  w.checks = failing;
  await w.tick();
  return w;
}

describe('the kstatus evaluator (rules of sigs.k8s.io/cli-utils kstatus for custom resources)', () => {
  const obj = (generation: number | undefined, status: Obj['status'], meta: Partial<Obj['metadata']> = {}): Obj => ({
    kind: 'Canary',
    metadata: { name: 'x', ...(generation !== undefined ? { generation } : {}), ...meta },
    ...(status ? { status } : {}),
  });
  const c = (type: string, status: Condition['status']): Condition => ({ type, status, reason: type, message: `${type} ${status}` });

  it.each<[string, KStatus, Obj]>([
    ['no status at all', 'Current', obj(1, undefined)],
    ['no conditions, generation observed', 'Current', obj(1, { observedGeneration: 1 })],
    [
      'observedGeneration behind generation, even with Ready=True',
      'InProgress',
      obj(2, { observedGeneration: 1, conditions: [c('Ready', 'True')] }),
    ],
    ['no observedGeneration: the generation check is skipped', 'Current', obj(2, { conditions: [c('Ready', 'True')] })],
    ['Reconciling=True', 'InProgress', obj(1, { observedGeneration: 1, conditions: [c('Ready', 'True'), c('Reconciling', 'True')] })],
    ['Stalled=True', 'Failed', obj(1, { observedGeneration: 1, conditions: [c('Ready', 'True'), c('Stalled', 'True')] })],
    [
      'Reconciling=True listed before Stalled=True',
      'InProgress',
      obj(1, { observedGeneration: 1, conditions: [c('Reconciling', 'True'), c('Stalled', 'True')] }),
    ],
    [
      'Ready=False',
      'InProgress',
      obj(1, { observedGeneration: 1, conditions: [c('Ready', 'False'), c('Reconciling', 'False'), c('Stalled', 'False')] }),
    ],
    ['Ready=Unknown', 'InProgress', obj(1, { observedGeneration: 1, conditions: [c('Ready', 'Unknown')] })],
    [
      'Ready=True, Reconciling and Stalled False',
      'Current',
      obj(1, { observedGeneration: 1, conditions: [c('Ready', 'True'), c('Reconciling', 'False'), c('Stalled', 'False')] }),
    ],
    ['only conditions kstatus does not know', 'Current', obj(1, { observedGeneration: 1, conditions: [c('Promoted', 'False')] })],
    [
      'a deletion timestamp',
      'Terminating',
      obj(1, { observedGeneration: 1, conditions: [c('Ready', 'True')] }, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    ],
  ])('%s: %s', (_what, expected, o) => {
    expect(kstatus(o).status).toBe(expected);
  });
});

describe('Canary statuses written by the reconciler, through kstatus', () => {
  it("initialization: InProgress while the primary is created, Current once the target revision is the primary's", async () => {
    const w = new World().apply(aDeployment(), aCanary());
    // Before the operator has seen it the Canary has no status, and kstatus reads "no conditions" as Current.
    // The operator cannot write before it sees the object; only a CRD status default could close this window.
    expect(kstatus(w.canary).status).toBe('Current');
    const seen = recordWrites(w);
    await initialized(w);
    expect(path(seen)).toEqual(['Initializing:InProgress', 'Initialized:Current']);
    expectKstatusContract(seen);
    expect(await now(w)).toMatchObject({ kstatus: 'Current', promoted: true });
  });

  it('a promoted release: InProgress at every step of the run, Current only when the new revision is promoted', async () => {
    const w = new World().apply(aDeployment(), aCanary({ stepWeight: 10, maxWeight: 30 }));
    await initialized(w);
    const seen = recordWrites(w);
    w.newRevision({ VERSION: 'v2' });
    // Nothing about the Canary object changed yet (same generation, status of the previous revision): kstatus
    // cannot tell until the operator reacts to the Deployment event and writes Reconciling=True.
    expect(await now(w)).toMatchObject({ kstatus: 'Current', promoted: false });
    await w.tick(0);
    expect(await now(w)).toMatchObject({ phase: 'Progressing', kstatus: 'InProgress' });
    for (let i = 0; i < 10 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick();
      const phase: string = w.canary.status?.phase ?? '';
      expect((await now(w)).kstatus).toBe(phase === 'Succeeded' ? 'Current' : 'InProgress');
    }
    expect(path(seen)).toEqual(['Progressing:InProgress', 'Promoting:InProgress', 'Finalising:InProgress', 'Succeeded:Current']);
    expect(seen.map((s) => s.weight).filter((x, i, all) => x !== all[i - 1])).toEqual([0, 10, 20, 30, 0]);
    expect(seen[seen.length - 1]).toMatchObject({ phase: 'Succeeded', kstatus: 'Current', promoted: true });
    expectKstatusContract(seen);
    await w.tick();
    await w.tick();
    expect(await now(w)).toMatchObject({ kstatus: 'Current', promoted: true });
  });

  it('a rolled-back release: InProgress while it runs and halts, Failed from the rollback on, until the target changes or a retry', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 2 }));
    await initialized(w);
    const seen = recordWrites(w);
    w.newRevision({ VERSION: 'bad' });
    await w.tick(0);
    await w.tick();
    w.checks = failing;
    await w.tick();
    expect(await now(w)).toMatchObject({ phase: 'Progressing', kstatus: 'InProgress' });
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Failed', failedChecks: 2 });
    expect(path(seen)).toEqual(['Progressing:InProgress', 'Failed:Failed']);
    expect(seen.find((s) => s.kstatus === 'Failed')).toMatchObject({
      phase: 'Failed',
      promoted: false,
      message: expect.stringContaining('request-success-rate 50 < 99'),
    });
    // The reconcile after the rollback adds what to do next to the message, keeping why it failed.
    expect(kstatus(w.canary)).toEqual({ status: 'Failed', message: expect.stringContaining('tollgate.dev/retry') });
    expectKstatusContract(seen);
    for (let i = 0; i < 3; i++) await w.tick();
    expect(await now(w)).toMatchObject({ phase: 'Failed', kstatus: 'Failed' });

    // A retry of the same revision is an annotation (no new generation): InProgress again once acted upon.
    w.checks = [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }];
    edit(w, (c) => {
      c.metadata.annotations = { 'tollgate.dev/retry': '1' };
    });
    await w.tick(0);
    expect(await now(w)).toMatchObject({ phase: 'Progressing', kstatus: 'InProgress' });
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(await now(w)).toMatchObject({ phase: 'Succeeded', kstatus: 'Current', promoted: true });
    expectKstatusContract(seen);
  });

  it('a failed revision reverted in Git: Current again, without a run, once the promoted revision is back', async () => {
    const w = await rolledBack();
    expect(await now(w)).toMatchObject({ phase: 'Failed', kstatus: 'Failed' });
    const seen = recordWrites(w);
    w.newRevision({ VERSION: 'v1' });
    await w.tick(0);
    expect(path(seen)).toEqual(['Succeeded:Current']);
    expectKstatusContract(seen);
  });

  it('a spec edit not yet observed is InProgress, whatever the phase; once observed the phase decides again', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
    await initialized(w);
    const seen = recordWrites(w);

    edit(w, (c) => {
      c.spec.analysis!.threshold = 3;
    });
    expect(w.canary.metadata.generation).toBe(2);
    expect(kstatus(w.canary)).toEqual({ status: 'InProgress', message: 'Canary generation is 2, but latest observed generation is 1' });
    await w.tick(0);
    expect(w.canary.status?.observedGeneration).toBe(2);
    expect(await now(w)).toMatchObject({ phase: 'Initialized', kstatus: 'Current' });

    // during a run
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    edit(w, (c) => {
      c.spec.analysis!.threshold = 1;
    });
    expect(kstatus(w.canary).status).toBe('InProgress');
    await w.tick(0);
    expect(await now(w)).toMatchObject({ phase: 'Progressing', kstatus: 'InProgress' });

    // after a rollback
    w.checks = failing;
    await w.tick();
    expect(await now(w)).toMatchObject({ phase: 'Failed', kstatus: 'Failed' });
    edit(w, (c) => {
      c.spec.analysis!.interval = '20s';
    });
    expect(kstatus(w.canary).status).toBe('InProgress');
    await w.tick(0);
    expect(w.canary.status?.observedGeneration).toBe(w.canary.metadata.generation);
    expect(await now(w)).toMatchObject({ phase: 'Failed', kstatus: 'Failed' });
    expectKstatusContract(seen);
  });

  it('an invalid spec is Failed (Stalled InvalidSpec) from the first write; an edit that breaks a healthy Canary is InProgress until observed, then Failed; fixing it is Current', async () => {
    const bad = new World().apply(aDeployment(), aCanary({ stepWeight: undefined }));
    const seenBad = recordWrites(bad);
    await bad.reconcile();
    await bad.tick();
    expect(seenBad.map((s) => `${s.kstatus}:${s.reason}`)).toEqual(['Failed:InvalidSpec']);
    expect(await now(bad)).toMatchObject({ kstatus: 'Failed', reason: 'InvalidSpec' });

    const w = new World().apply(aDeployment(), aCanary());
    await initialized(w);
    const seen = recordWrites(w);
    edit(w, (c) => {
      c.spec.analysis!.stepWeight = undefined;
    });
    expect(kstatus(w.canary).status).toBe('InProgress');
    await w.tick(0);
    expect(await now(w)).toMatchObject({ kstatus: 'Failed', reason: 'InvalidSpec' });
    edit(w, (c) => {
      c.spec.analysis!.stepWeight = 25;
    });
    expect(kstatus(w.canary).status).toBe('InProgress');
    await w.tick(0);
    expect(await now(w)).toMatchObject({ phase: 'Initialized', kstatus: 'Current', promoted: true });
    expect(statuses(seen)).toEqual(['Failed', 'Current']);
    expectKstatusContract(seen);
  });

  it.each<[string, (w: World) => void, string]>([
    [
      'an unsupported target kind',
      (w) => w.apply(aDeployment(), aCanary({}, { targetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'podinfo' } })),
      'Unsupported',
    ],
    ['a missing target', (w) => w.kube.put(Resources.canaries, aCanary()), 'TargetNotFound'],
  ])('%s is Failed', async (_what, setup, reason) => {
    const w = new World();
    setup(w);
    await w.reconcile();
    expect(await now(w)).toMatchObject({ kstatus: 'Failed', reason });
  });

  it('a run held by a closed confirm-promotion gate or the paused annotation stays InProgress (a Kustomization waits until its timeout)', async () => {
    const w = new World().apply(
      aDeployment(),
      aCanary({ webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://hooks/gate/check' }] }),
    );
    await initialized(w);
    w.hookResults.gate = { ok: false, status: 403, message: 'closed' };
    const seen = recordWrites(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    for (let i = 0; i < 5; i++) await w.tick();
    expect(await now(w)).toMatchObject({ phase: 'WaitingPromotion', kstatus: 'InProgress' });
    edit(w, (c) => {
      c.metadata.annotations = { 'tollgate.dev/paused': 'true' };
    });
    for (let i = 0; i < 3; i++) await w.tick();
    expect(await now(w)).toMatchObject({ kstatus: 'InProgress' });
    expect(statuses(seen).every((s) => s === 'InProgress')).toBe(true);
    edit(w, (c) => {
      c.metadata.annotations = {};
    });
    w.hookResults.gate = { ok: true, status: 200 };
    for (let i = 0; i < 4 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(await now(w)).toMatchObject({ phase: 'Succeeded', kstatus: 'Current', promoted: true });
    expectKstatusContract(seen);
  });

  it('a Canary being deleted is Terminating', async () => {
    const w = new World().apply(aDeployment(), aCanary({}, { revertOnDeletion: true }));
    await initialized(w);
    edit(w, (c) => {
      c.metadata.deletionTimestamp = new Date(w.now).toISOString();
    });
    expect(kstatus(w.canary).status).toBe('Terminating');
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Terminating');
    expect(kstatus(w.canary).status).toBe('Terminating');
  });
});

describe('a rolled-back revision, reconciled again later', () => {
  it('keeps the failing check in its Stalled message and adds how to run it again', async () => {
    const w = await rolledBack();
    await w.tick();
    await w.tick(60_000);
    const stalled = w.canary.status?.conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(stalled?.message).toMatch(
      /^rolled back: .*request-success-rate 50 < 99.*; change the target, or set the annotation tollgate.dev\/retry to a new value, to run it again$/,
    );
    const rv = w.canary.metadata.resourceVersion;
    await w.tick(60_000);
    expect(w.canary.metadata.resourceVersion).toBe(rv);
  });
});

describe('request annotations set outside a run (docs/gitops.md: imperative controls)', () => {
  const annotate = (w: World, annotations: Record<string, string>): void =>
    edit(w, (c) => {
      c.metadata.annotations = { ...c.metadata.annotations, ...annotations };
    });

  it('tollgate.dev/promote set while no run is in progress is ignored with an Event: the next revision is analysed step by step', async () => {
    const w = new World().apply(aDeployment(), aCanary({ stepWeight: 10, maxWeight: 50 }));
    await initialized(w);
    annotate(w, { 'tollgate.dev/promote': 'now' });
    await w.tick(0);
    await w.tick();
    expect(w.canary.status?.phase).toBe('Initialized');
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick(0);
    // Expected: the request had nothing to act on; the new revision is analysed step by step.
    expect(w.canary.status).toMatchObject({ phase: 'Progressing' });
    expect(w.events.map((e) => e.reason)).not.toContain('Promoting');
    expect(w.events.find((e) => e.reason === 'RequestIgnored')?.message).toMatch(/tollgate.dev\/promote=now ignored/);
    expect(w.canary.status?.handledRequests?.promote).toBe('now');
  });

  it('tollgate.dev/retry set while the Canary is not Failed is ignored: the next failed revision stays Failed until asked again', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
    await initialized(w);
    annotate(w, { 'tollgate.dev/retry': 'once' });
    await w.tick(0);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    w.checks = failing;
    await w.tick();
    // Expected: rolled back and staying Failed until a new retry value.
    expect(await now(w)).toMatchObject({ phase: 'Failed', kstatus: 'Failed' });
    expect(w.events.map((e) => e.reason)).not.toContain('Retry');
  });
});
