import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { Canary, CanaryStatus } from '../src/api/types.js';
import { ReleaseQueue } from '../src/controller/release-queue.js';
import type { QueueCaps } from '../src/core/queue.js';
import type { Lister } from '../src/kube/informer.js';
import { Resources } from '../src/kube/resources.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

/** Another Canary in the same store, in a given state (only its status matters to the queue). */
function another(name: string, status: CanaryStatus, ns = NS, annotations?: Record<string, string>): Canary {
  return {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: ns, uid: `uid-${name}`, ...(annotations ? { annotations } : {}) },
    spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, service: { port: 9898 }, analysis: {} },
    status,
  };
}

const ready = (c: Canary | undefined) => c?.status?.conditions?.find((x) => x.type === 'Ready');

async function queuedWorld(caps: QueueCaps, ...others: Canary[]): Promise<World> {
  const w = new World().apply(aDeployment(), aCanary());
  for (const o of others) w.kube.put(Resources.canaries, o);
  w.deps.releaseQueue = new ReleaseQueue(caps, w.deps.canaries);
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
  return w;
}

describe('given a cap of one release at once and another release in analysis', () => {
  it('when a Canary is initialized (adopted), then it never queues', async () => {
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, another('other', { phase: 'Progressing' }));
    expect(w.events.map((e) => e.reason)).not.toContain('Queued');
    await w.tick();
    expect(w.canary.status?.phase).toBe('Initialized');
  });

  it('when a new revision appears, then it waits Queued with its place, and starts once the other release ends', async () => {
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, another('other', { phase: 'Progressing' }));
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Waiting', queuedSince: new Date(w.now).toISOString() });
    expect(ready(w.canary)).toMatchObject({
      status: 'False',
      reason: 'Queued',
      message: expect.stringContaining('1st of 1 waiting; cap 1'),
    });
    expect(w.deployment('podinfo')!.spec.replicas).toBe(0);
    await w.tick(40_000);
    expect(w.canary.status?.phase).toBe('Waiting');
    expect(w.events.filter((e) => e.reason === 'Queued')).toHaveLength(1);
    w.kube.put(Resources.canaries, another('other', { phase: 'Succeeded' }));
    await w.tick(1_000);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    expect(w.canary.status?.queuedSince).toBeUndefined();
    expect(w.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Queued', 'Dequeued', 'NewRevision']));
  });

  it('when the revision goes back to the promoted one while queued, then it leaves the queue Succeeded', async () => {
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, another('other', { phase: 'Progressing' }));
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    w.newRevision({ VERSION: 'v1' });
    await w.tick(1_000);
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(w.canary.status?.queuedSince).toBeUndefined();
  });
});

describe('given a failed revision, the retry annotation and a full cap', () => {
  it('then the retry is consumed and the run waits in the queue, then starts when a slot frees', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1 }));
    w.kube.put(Resources.canaries, another('other', { phase: 'Succeeded' }));
    w.deps.releaseQueue = new ReleaseQueue({ global: 1, perNamespace: 0 }, w.deps.canaries);
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    w.checks = [{ name: 'request-success-rate', ok: false, reason: 'NoData', message: 'no data' }];
    await w.tick();
    expect(w.canary.status?.phase).toBe('Failed');
    w.checks = [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }];
    w.kube.put(Resources.canaries, another('other', { phase: 'Progressing' }));
    const c = w.canary;
    w.kube.put(Resources.canaries, { ...c, metadata: { ...c.metadata, annotations: { 'tollgate.dev/retry': '1' } } });
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Waiting', handledRequests: { retry: '1' } });
    expect(ready(w.canary)?.reason).toBe('Queued');
    w.kube.put(Resources.canaries, another('other', { phase: 'Failed' }));
    await w.tick(1_000);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 0 });
  });
});

describe('given releases waiting in the queue, read from their status', () => {
  const earlier = (name: string, ns = NS, annotations?: Record<string, string>) =>
    another(name, { phase: 'Waiting', queuedSince: '2025-12-31T00:00:00Z' }, ns, annotations);

  it('when a slot frees, then the release whose revision appeared first takes it, after a restart too', async () => {
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, another('other', { phase: 'Progressing' }), earlier('early'));
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(ready(w.canary)?.message).toContain('2nd of 2 waiting');
    w.kube.put(Resources.canaries, another('other', { phase: 'Succeeded' }));
    w.deps.releaseQueue = new ReleaseQueue({ global: 1, perNamespace: 0 }, w.deps.canaries); // a restarted operator
    await w.tick(40_000);
    expect(w.canary.status?.phase).toBe('Waiting');
    expect(ready(w.canary)?.message).toContain('2nd of 2 waiting');
  });

  it('when this release is urgent, then it goes ahead of the earlier ones', async () => {
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, earlier('early'), earlier('early2'));
    w.kube.put(Resources.canaries, { ...w.canary, metadata: { ...w.canary.metadata, annotations: { [ANNOTATIONS.priority]: 'urgent' } } });
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Progressing');
  });

  it('when its namespace is at its cap, then a release of another namespace behind it starts first', async () => {
    const w = await queuedWorld(
      { global: 5, perNamespace: 1 },
      another('other', { phase: 'Progressing' }, 'team-a'),
      earlier('early', 'team-a'),
    );
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Progressing');
  });

  it('when the release ahead is suspended, then it does not hold the queue', async () => {
    const early = earlier('early');
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, { ...early, spec: { ...early.spec, suspend: true } });
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(w.canary.status?.phase).toBe('Progressing');
  });

  it('when the priority annotation is not a priority, then the Supported condition and one Event say so and it queues as normal', async () => {
    const w = await queuedWorld({ global: 1, perNamespace: 0 }, earlier('early'));
    w.kube.put(Resources.canaries, { ...w.canary, metadata: { ...w.canary.metadata, annotations: { [ANNOTATIONS.priority]: 'asap' } } });
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick(40_000);
    expect(w.canary.status?.phase).toBe('Waiting');
    const supported = w.canary.status?.conditions?.find((c) => c.type === 'Supported');
    expect(supported).toMatchObject({
      status: 'False',
      reason: 'InvalidPriority',
      message: expect.stringContaining('"asap" is not a priority'),
    });
    expect(w.events.filter((e) => e.reason === 'InvalidPriority')).toEqual([expect.objectContaining({ type: 'Warning' })]);
  });
});

describe('given 30 Canaries released at once under a cap of 5, reconciled concurrently', () => {
  const names = Array.from({ length: 30 }, (_, i) => `app-${String(i).padStart(2, '0')}`);
  const named = (n: string): Canary => {
    const c = aCanary();
    return {
      ...c,
      metadata: { ...c.metadata, name: n, uid: `uid-${n}` },
      spec: { ...c.spec, targetRef: { ...c.spec.targetRef, name: n }, service: { port: 9898, name: n } },
    };
  };
  const reconcileAll = (w: World) => Promise.all(names.map((n) => w.reconciler.reconcile(`${NS}/${n}`, new AbortController().signal)));
  const phases = (w: World) => names.map((n) => w.kube.get<Canary>(Resources.canaries, NS, n)!.status?.phase);

  it('then exactly 5 start and 25 wait, though every decision is taken before any status write answered', async () => {
    const w = new World();
    for (const n of names) w.apply(aDeployment(n), named(n));
    w.deps.releaseQueue = new ReleaseQueue({ global: 5, perNamespace: 0 }, w.deps.canaries);
    for (let i = 0; i < 3; i++) {
      w.rollOut();
      await reconcileAll(w);
    }
    expect(new Set(phases(w))).toEqual(new Set(['Initialized']));
    for (const n of names) {
      const d = w.deployment(n)!;
      d.spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: 'v2' }];
      w.kube.put(Resources.deployments, d);
    }
    w.now += 1_000;
    await reconcileAll(w);
    expect(phases(w).filter((p) => p === 'Progressing')).toHaveLength(5);
    expect(phases(w).filter((p) => p === 'Waiting')).toHaveLength(25);
    w.now += 40_000;
    w.rollOut();
    await reconcileAll(w);
    expect(phases(w).filter((p) => p === 'Progressing')).toHaveLength(5);
  });
});

describe('ReleaseQueue reservations', () => {
  const lister = (items: Canary[]): Lister<Canary> => ({
    get: (ns, name) => items.find((c) => c.metadata.namespace === ns && c.metadata.name === name),
    list: () => items,
  });
  const waiter = (name: string, since: number) => ({ key: `${NS}/${name}`, namespace: NS, since, urgent: false });

  it('a slot given to one release is taken until its turn settles, though the cache does not show it yet', () => {
    const q = new ReleaseQueue({ global: 1, perNamespace: 0 }, lister([]));
    expect(q.decide(waiter('a', 1))).toEqual({ admitted: true });
    expect(q.decide(waiter('b', 2))).toEqual({ admitted: false, place: { place: 1, of: 1, namespaceFull: false } });
    q.settle(`${NS}/a`);
    expect(q.decide(waiter('b', 2))).toEqual({ admitted: true });
  });

  it('admissible() names the waiting releases a freed slot lets start, in order, and reports the queue length', () => {
    const lengths: number[] = [];
    const items = [
      another('x', { phase: 'Promoting' }),
      ...['c', 'a', 'b'].map((n, i) => another(n, { phase: 'Waiting', queuedSince: `2026-01-01T00:00:0${i}Z` })),
    ];
    const q = new ReleaseQueue({ global: 3, perNamespace: 0 }, lister(items), (n) => lengths.push(n));
    expect(q.admissible()).toEqual([`${NS}/c`, `${NS}/a`]);
    expect(lengths).toEqual([3]);
  });

  it('a decision reads the releases running and waiting, not every Canary: the cache is walked once, then fed by observe()', () => {
    const idle = Array.from({ length: 500 }, (_, i) => another(`idle-${i}`, { phase: 'Succeeded' }));
    const items = [...idle, another('x', { phase: 'Progressing' })];
    const calls = { list: 0, get: 0 };
    const counted: Lister<Canary> = {
      get: (ns, name) => (calls.get++, lister(items).get(ns, name)),
      list: () => (calls.list++, items),
    };
    const q = new ReleaseQueue({ global: 2, perNamespace: 0 }, counted);
    expect(q.decide(waiter('a', 1))).toEqual({ admitted: true });
    expect(calls.list).toBe(1);
    calls.get = 0;
    // A release the informer shows starting takes a slot; one that ends frees it and is read no more.
    const y = another('y', { phase: 'Progressing' });
    items.push(y);
    q.observe(y);
    expect(q.decide(waiter('b', 2))).toEqual({ admitted: false, place: { place: 1, of: 1, namespaceFull: false } });
    items[items.indexOf(y)] = another('y', { phase: 'Succeeded' });
    q.settle(`${NS}/a`);
    expect(q.admissible()).toEqual([]);
    expect(q.decide(waiter('b', 2))).toEqual({ admitted: true });
    expect(calls.list).toBe(1);
    expect(calls.get).toBeLessThan(12);
  });

  it('a deleted release in analysis frees its slot; a Waiting one without queuedSince (a closed gate) is not in the queue', () => {
    const gone = {
      ...another('x', { phase: 'Progressing' }),
      metadata: { name: 'x', namespace: NS, deletionTimestamp: '2026-01-01T00:00:00Z' },
    };
    const q = new ReleaseQueue({ global: 1, perNamespace: 0 }, lister([gone, another('g', { phase: 'Waiting' })]));
    expect(q.decide(waiter('a', 1))).toEqual({ admitted: true });
  });
});
