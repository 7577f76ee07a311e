import type { StatefulSet } from '../src/api/k8s.js';
import type { CheckResult } from '../src/api/types.js';
import { Resources } from '../src/kube/resources.js';
import { FakeKube } from './fakes/fake-kube.js';
import { playStatefulSet } from './fakes/statefulset-controller.js';
import { aCanary, NS, World } from './fakes/world.js';

/**
 * Restart safety of a StatefulSet released in place (four replicas, steps 25 and 50: partitions 4, 3, 2, then 0 on
 * promotion, so a step that lowers twice shows in the sequence): the operator is "killed" right after each write it makes
 * (every later call of that process fails, nothing of it is kept) and a fresh controller is started on the API
 * server's state; the release must end as the uninterrupted one did.
 */

const failing: CheckResult[] = [{ name: 'request-success-rate', ok: false, value: 50, min: 99 }];
const passing: CheckResult[] = [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }];

function aStatefulSet(): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
    spec: {
      replicas: 4,
      serviceName: 'podinfo-headless',
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'VERSION', value: 'v1' }] }] },
      },
    },
  };
}

/** What a release leaves: the partitions the StatefulSet carried (consecutive repeats dropped), its template, the status. */
interface Outcome {
  partitions: number[];
  version: string | undefined;
  currentRevision: string | undefined;
  promotedControllerRevision: string | undefined;
  phase: string | undefined;
  restoring: boolean | undefined;
}

/** One operator process after another on the same API server; `crashes` counts the restarts. */
class Cluster {
  readonly kube = new FakeKube();
  world = this.start(Date.parse('2026-01-01T00:00:00Z'));
  crashes = 0;
  readonly partitions: number[] = [];

  constructor() {
    this.kube.onPut.push((r, o) => {
      const p = (o as StatefulSet).spec?.updateStrategy?.rollingUpdate?.partition;
      if (r === Resources.statefulSets && p !== undefined && this.partitions[this.partitions.length - 1] !== p) this.partitions.push(p);
    });
    this.kube.put(Resources.statefulSets, aStatefulSet());
    this.kube.put(
      Resources.canaries,
      aCanary(
        { stepWeight: undefined, stepWeights: [25, 50] },
        { provider: 'kubernetes', targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'podinfo' } },
      ),
    );
  }

  private start(now: number): World {
    const w = new World({ kube: this.kube });
    w.now = now;
    w.players.push(() => playStatefulSet(this.kube, NS, 'podinfo'));
    return w;
  }

  get sts(): StatefulSet {
    return this.kube.get<StatefulSet>(Resources.statefulSets, NS, 'podinfo')!;
  }

  /** One reconcile 2s later; a crashed process is replaced by a fresh one, with the same checks answering. */
  async step(): Promise<void> {
    this.world.now += 2_000;
    await this.world.reconcile().catch(() => undefined);
    if (!this.kube.crashed) return;
    const checks = this.world.checks;
    this.kube.crashed = false;
    this.kube.crashAfterWrite = undefined;
    this.crashes++;
    this.world = this.start(this.world.now);
    this.world.checks = checks;
  }

  /** Steps until the condition holds at rest (the StatefulSet's pods on one revision, partition armed). */
  async until(what: string, done: (c: Cluster) => boolean): Promise<void> {
    for (let i = 0; i < 200; i++) {
      await this.step();
      const st = this.sts.status;
      if (done(this) && st?.currentRevision === st?.updateRevision && this.sts.spec.updateStrategy?.rollingUpdate?.partition === 4) return;
    }
    throw new Error(`never ${what}: ${JSON.stringify(this.world.canary.status)}`);
  }

  newVersion(v: string): void {
    const sts = this.sts;
    sts.spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: v }];
    this.kube.put(Resources.statefulSets, sts);
  }

  outcome(): Outcome {
    const s = this.world.canary.status;
    return {
      partitions: [...this.partitions],
      version: this.sts.spec.template.spec.containers[0]!.env?.[0]?.value,
      currentRevision: this.sts.status?.currentRevision,
      promotedControllerRevision: s?.promotedControllerRevision,
      phase: s?.phase,
      restoring: s?.restoring,
    };
  }
}

const phase =
  (p: string) =>
  (c: Cluster): boolean =>
    c.world.canary.status?.phase === p && c.world.canary.status.restoring === undefined;

/**
 * Runs one release from an initialized Canary: v2 promoted, or v2 rolled back on failing checks. crashAfter: the
 * operator dies right after its crashAfter-th write of the release. Also gives the number of writes the release made.
 */
async function release(kind: 'promote' | 'rollback', crashAfter?: number): Promise<{ outcome: Outcome; writes: number; crashes: number }> {
  const c = new Cluster();
  await c.until('initialized', phase('Initialized'));
  c.partitions.length = 0;
  const base = c.kube.writes.length;
  if (crashAfter !== undefined) c.kube.crashAfterWrite = base + crashAfter;
  c.world.checks = kind === 'promote' ? passing : failing;
  c.newVersion('v2');
  await c.until(kind === 'promote' ? 'promoted' : 'rolled back', phase(kind === 'promote' ? 'Succeeded' : 'Failed'));
  return { outcome: c.outcome(), writes: c.kube.writes.length - base, crashes: c.crashes };
}

describe('a StatefulSet released in place, the operator killed right after each of its writes', () => {
  it.each(['promote', 'rollback'] as const)('%s: every crash point ends as the uninterrupted run', async (kind) => {
    const clean = await release(kind);
    expect(clean.crashes).toBe(0);
    if (kind === 'promote') {
      expect(clean.outcome).toMatchObject({ partitions: [4, 3, 2, 0, 4], version: 'v2', phase: 'Succeeded' });
      expect(clean.outcome.promotedControllerRevision).toBe(clean.outcome.currentRevision);
    } else {
      expect(clean.outcome).toMatchObject({ partitions: [4, 3, 4], version: 'v1', phase: 'Failed' });
      expect(clean.outcome.promotedControllerRevision).toBe(clean.outcome.currentRevision);
    }
    expect(clean.writes).toBeGreaterThan(5);
    for (let i = 1; i <= clean.writes; i++) {
      const crashed = await release(kind, i);
      expect({ crashAfter: i, crashes: crashed.crashes, ...crashed.outcome }).toEqual({ crashAfter: i, crashes: 1, ...clean.outcome });
    }
  });
});
