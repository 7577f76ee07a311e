import type { CanarySpec } from '../src/api/types.js';
import { EventRecorder } from '../src/kube/events.js';
import { Resources } from '../src/kube/resources.js';
import { silentLogger } from '../src/util/log.js';
import { aCanary, aDeployment, World } from './fakes/world.js';

/**
 * The API writes of a release, by verb/resource, per phase (issue 17: two writes per weight step). Events go through
 * the operator's EventRecorder over the fake API server, so they count as the create (or patch) they are.
 */
type Writes = Record<string, number>;

function newWorld(opts: { eventsPerStep?: boolean } = {}, analysis: CanarySpec['analysis'] = {}): World {
  const w = new World(opts).apply(aDeployment(), aCanary({ stepWeight: 10, maxWeight: 50, ...analysis }));
  w.deps.events = new EventRecorder(w.kube.client(), Resources.canaries, 'tollgate', silentLogger());
  return w;
}

/** The writes of fn, by verb/resource. */
async function writesOf(w: World, fn: () => Promise<unknown>): Promise<Writes> {
  const from = w.kube.writes.length;
  await fn();
  const out: Writes = {};
  for (const x of w.kube.writes.slice(from)) out[`${x.verb}/${x.kind}`] = (out[`${x.verb}/${x.kind}`] ?? 0) + 1;
  return out;
}

interface Release {
  init: Writes;
  start: Writes;
  steps: Writes[];
  end: Writes;
}

/** A release of 5 weight steps (10 to 50), one tick per interval, from a new revision to Succeeded. */
async function release(w: World): Promise<Release> {
  const init = await writesOf(w, () => w.tick(0));
  expect(w.canary.status?.phase).toBe('Initialized');
  w.newRevision({ VERSION: 'v2' });
  const start = await writesOf(w, () => w.tick(0));
  const steps: Writes[] = [];
  for (let weight = 10; weight <= 50; weight += 10) {
    steps.push(await writesOf(w, () => w.tick()));
    expect(w.canary.status?.canaryWeight).toBe(weight);
  }
  const end = await writesOf(w, () => w.tick());
  expect(w.canary.status?.phase).toBe('Succeeded');
  return { init, start, steps, end };
}

const STEP: Writes = { 'update-status/Canary': 1, 'update/VirtualService': 1 };

describe('writes per weight step', () => {
  it('given default settings, then each weight step writes the Canary status once and the route once, and nothing else', async () => {
    const r = await release(newWorld());
    // Initialisation: status (Initializing, waiting for the primary, Initialized), the Services, the primary, the mesh objects.
    expect(r.init).toEqual({
      'update-status/Canary': 3,
      'create/Event': 2,
      'create/Service': 3,
      'create/Deployment': 1,
      'create/DestinationRule': 2,
      'create/VirtualService': 1,
      'patch/Deployment': 1,
    });
    expect(r.steps).toEqual([STEP, STEP, STEP, STEP, STEP]);
    // The start and the end: status, the canary's scale, the primary's template, the route back, one Event per phase.
    expect(r.start).toEqual({ 'update-status/Canary': 1, 'patch/Deployment': 1, 'create/Event': 1 });
    expect(r.end).toEqual({
      'update-status/Canary': 3,
      'update/Deployment': 1,
      'update/VirtualService': 1,
      'patch/Deployment': 1,
      'create/Event': 3,
    });
  });

  it('given --events-per-step, then each weight step also records its Advanced Event', async () => {
    const w = newWorld({ eventsPerStep: true });
    const r = await release(w);
    expect(r.steps).toEqual(Array(5).fill({ ...STEP, 'create/Event': 1 }));
  });

  it('when the Canary is reconciled between two steps (a Deployment changed), then nothing is written', async () => {
    const w = newWorld();
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const ready = (): string | undefined => w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.message;
    // A step is due at the Canary's first tick at least half an interval after the last (core/schedule.ts): within
    // 15 s of it at a 10 s interval. The first step comes 15 s after the run's start, the next ones 3 + 12 s after.
    for (const weight of [10, 20, 30]) {
      await w.tick(weight === 10 ? 15_000 : 12_000);
      expect(ready()).toBe(`canary weight ${weight}`);
      expect(await writesOf(w, () => w.tick(3_000))).toEqual({});
      expect(ready()).toBe(`canary weight ${weight}`);
    }
    expect(w.canary.status?.canaryWeight).toBe(30);
  });

  it('when a step holds (a check halts on no data), then the status keeps saying so between steps without a write', async () => {
    const w = newWorld();
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    w.checks = [{ name: 'request-success-rate', ok: false, halt: true, reason: 'NoData', message: 'no data for request-success-rate' }];
    expect(await writesOf(w, () => w.tick())).toEqual({ 'update-status/Canary': 1 });
    const ready = (): string | undefined => w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.message;
    expect(ready()).toBe('holding: no data for request-success-rate');
    expect(await writesOf(w, () => w.tick(3_000))).toEqual({});
    expect(ready()).toBe('holding: no data for request-success-rate');
  });

  it('when the canary becomes ready between two steps after a wait, then the wait is no longer told', async () => {
    const w = newWorld();
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick(15_000);
    const ready = (): string | undefined => w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.message;
    expect(ready()).toBe('canary weight 10');
    // The canary's pods go away after the first step: the wait is told at once (what the status said was a step)...
    w.unavailable.add('podinfo');
    await w.tick(2_000);
    expect(ready()).toMatch(/^waiting for podinfo: /);
    // ...and once they are back, before the next step, the weight reached is told again.
    w.unavailable.delete('podinfo');
    await w.tick(2_000);
    expect(ready()).toBe('canary weight 10');
  });
});

describe('the progress of a rollout wait', () => {
  const ready = (w: World): string | undefined => w.canary.status?.conditions?.find((c) => c.type === 'Ready')?.message;

  /**
   * Each pod that becomes available within an interval of the last write changes no status; the next interval's does.
   * opening: what the status tells when the wait starts (the wait itself, the run's start or the promotion).
   */
  async function throttled(w: World, workload: string, opening: RegExp = new RegExp(`^waiting for ${workload}: `)): Promise<void> {
    const told = ready(w);
    expect(told).toMatch(opening);
    w.available.set(workload, 1);
    expect(await writesOf(w, () => w.tick(2_000))).toEqual({});
    expect(ready(w)).toBe(told);
    // The turn looks again when the told progress is an interval old, even if no event wakes it.
    const requeue = await w.reconcile();
    expect(requeue).toBeGreaterThan(0);
    expect(requeue).toBeLessThanOrEqual(8_000);
    expect(await writesOf(w, () => w.tick(requeue!))).toEqual({ 'update-status/Canary': 1 });
    expect(ready(w)).toBe(`waiting for ${workload}: 1 of 2 replicas available`);
    w.available.delete(workload);
  }

  it('given the primary rolling out at initialisation, then its progress is written at most once per interval', async () => {
    const w = newWorld();
    w.available.set('podinfo-primary', 0);
    await w.tick(0);
    await throttled(w, 'podinfo-primary');
    await w.tick(1_000);
    expect(w.canary.status?.phase).toBe('Initialized');
  });

  it('given the canary rolling out at the run start, then its progress is written at most once per interval, and its end at once', async () => {
    const w = newWorld();
    await w.tick(0);
    w.available.set('podinfo', 0);
    w.newRevision({ VERSION: 'v2' });
    // The run's start is one write: its message stands for the wait for the canary during its first interval.
    expect(await writesOf(w, () => w.tick(0))).toEqual({ 'update-status/Canary': 1, 'patch/Deployment': 1, 'create/Event': 1 });
    await throttled(w, 'podinfo', /^analysing revision /);
    // The first step is due once the canary is ready: taken at once, with its status write and its route write.
    expect(await writesOf(w, () => w.tick(1_000))).toEqual(STEP);
    expect(ready(w)).toBe('canary weight 10');
  });

  it('given the primary rolling out at promotion, then its progress is written at most once per interval', async () => {
    const w = newWorld();
    await w.tick(0);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    for (let weight = 10; weight <= 50; weight += 10) await w.tick();
    w.available.set('podinfo-primary', 0);
    await w.tick();
    expect(w.canary.status?.phase).toBe('Promoting');
    await throttled(w, 'podinfo-primary', /^copying revision .* to podinfo-primary$/);
    await w.tick(1_000);
    expect(w.canary.status?.phase).toBe('Succeeded');
  });
});
