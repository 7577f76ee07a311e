import fs from 'node:fs';
import path from 'node:path';
import { ANNOTATIONS } from '@tollgate/contract/metadata';
import { isReleasing } from '@tollgate/contract/phases';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { waitFor } from '../src/cluster/processes.js';
import { createNamespace, sampleDeployment } from '../src/harness/fixtures.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';

/** 200 by default; QUEUE_E2E_CANARIES=40 runs a smaller case on a loaded machine. */
const N = Number(process.env.QUEUE_E2E_CANARIES ?? 200);
const CAP = 10;
const URGENT = `app-${String(N - 1).padStart(3, '0')}`;
const names = Array.from({ length: N }, (_, i) => `app-${String(i).padStart(3, '0')}`);

type Cm = KubeObject & { data?: Record<string, string> };

/** What the watch showed of each Canary, in the API server's order: the most releases at once, and when each started. */
class Observer {
  readonly informer: Informer<Canary>;
  maxReleasing = 0;
  /** Keys in the order their run started (the first update into Progressing after the ConfigMap changed). */
  readonly started: string[] = [];
  /** The queuedSince each Canary showed while it waited (the queue's order), and the Queued reason seen. */
  readonly queuedSince = new Map<string, string>();
  readonly queuedReason = new Set<string>();
  private readonly releasing = new Set<string>();
  armed = false;

  constructor(kube: KubeClient, ns: string) {
    this.informer = new Informer<Canary>({
      client: kube,
      resource: Resources.canaries,
      namespaces: [ns],
      logger: createLogger('warn', 'e2e-queue'),
    });
    this.informer.on('add', (c) => this.seen(c)).on('update', (c) => this.seen(c));
  }

  private seen(c: Canary): void {
    const name = c.metadata.name!;
    const s = c.status ?? {};
    if (isReleasing(s.phase)) {
      if (this.armed && !this.releasing.has(name) && s.phase === 'Progressing' && !this.started.includes(name)) this.started.push(name);
      this.releasing.add(name);
    } else this.releasing.delete(name);
    this.maxReleasing = Math.max(this.maxReleasing, this.releasing.size);
    if (s.phase === 'Waiting' && s.queuedSince && !this.queuedSince.has(name)) this.queuedSince.set(name, s.queuedSince);
    if (
      s.conditions?.some(
        (x) => x.type === 'Ready' && x.reason === 'Queued' && /\d+(st|nd|rd|th) of \d+ waiting; cap 10/.test(x.message ?? ''),
      )
    )
      this.queuedReason.add(name);
  }

  phases(): Map<string, string> {
    return new Map(this.informer.list().map((c) => [c.metadata.name!, c.status?.phase ?? '']));
  }
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A Deployment that mounts the shared ConfigMap; no container port, so the simulated kubelet only marks its pods Ready. */
function workload(ns: string, name: string) {
  const d = sampleDeployment(ns, name);
  const container = d.spec.template.spec.containers[0]!;
  delete container.ports;
  container.volumeMounts = [{ name: 'shared', mountPath: '/etc/shared' }];
  d.spec.template.spec.volumes = [{ name: 'shared', configMap: { name: 'shared' } }];
  return d;
}

/** A blue/green Canary on the kubernetes provider (no route objects), one 1 s iteration, no metric. */
function canary(ns: string, name: string): Canary {
  return {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: ns, ...(name === URGENT ? { annotations: { [ANNOTATIONS.priority]: 'urgent' } } : {}) },
    spec: {
      provider: 'kubernetes',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898 },
      analysis: { interval: '1s', threshold: 2, iterations: 1, metrics: [] },
    },
  };
}

describe('the release queue', () => {
  let kube: KubeClient;
  let operator: OperatorProcess | undefined;
  let observer: Observer | undefined;

  beforeAll(async () => {
    kube = await client();
  });

  afterAll(async () => {
    observer?.informer.stop();
    await operator?.stop();
    kube.close();
  });

  it(`${N} Canaries sharing one ConfigMap, the ConfigMap changed: never more than ${CAP} in analysis, all promoted, in queue order`, async () => {
    const ns = uniqueNs('queue');
    await createNamespace(kube, ns);
    await kube.create(Resources.configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shared', namespace: ns },
      data: { v: '1' },
    } as Cm);
    await inParallel(names, 8, (n) => kube.create(Resources.deployments, workload(ns, n)));
    await inParallel(names, 8, (n) => kube.create(Resources.canaries, canary(ns, n)));
    observer = new Observer(kube, ns);
    await observer.informer.start();
    const logDir = path.join(RUN_DIR, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir,
      provider: 'kubernetes',
      extraEnv: { MAX_CONCURRENT_RELEASES: String(CAP), LOG_LEVEL: 'info' },
    });
    operator.start();
    const all = (phase: string) => async () => [...observer!.phases().values()].filter((p) => p === phase).length === N;
    // Adoption never queues: every Canary is initialized at once, whatever the cap.
    await waitFor(`${N} Canaries Initialized`, all('Initialized'), 300_000, 1000);
    expect(observer.queuedSince.size).toBe(0);

    const promotedBefore = new Map(observer.informer.list().map((c) => [c.metadata.name!, c.status?.lastPromotedSpec]));
    observer.armed = true;
    const cm = await kube.get<Cm>(Resources.configMaps, ns, 'shared');
    await kube.replace(Resources.configMaps, { ...cm, data: { v: '2' } });
    await waitFor(`${N} Canaries Succeeded`, all('Succeeded'), 540_000, 1000);

    expect(observer.maxReleasing).toBe(CAP);
    expect(new Set(observer.started).size).toBe(N);
    const live = observer.informer.list();
    // Every one promoted the revision with the new ConfigMap.
    expect(live.filter((c) => c.status?.lastPromotedSpec === promotedBefore.get(c.metadata.name!)).map((c) => c.metadata.name)).toEqual([]);
    expect(live.every((c) => c.status?.queuedSince === undefined)).toBe(true);
    // Most waited in the queue, with the Queued reason naming their place.
    expect(observer.queuedSince.size).toBeGreaterThan(N / 2);
    for (const name of observer.queuedSince.keys()) expect(observer.queuedReason).toContain(name);
    // The urgent one went ahead of every release that was waiting: among the first to start after the first CAP.
    expect(observer.started.indexOf(URGENT)).toBeLessThan(2 * CAP);
    // Queue order is kept: each queued release started within CAP places of its place in the queue (releases
    // admitted together may write their status in any order).
    const queueOrder = [...observer.queuedSince.entries()]
      .filter(([n]) => n !== URGENT)
      .sort(([a, x], [b, y]) => x.localeCompare(y) || a.localeCompare(b))
      .map(([n]) => n);
    const startOrder = observer.started.filter((n) => queueOrder.includes(n));
    const drift = queueOrder.map((n, i) => Math.abs(startOrder.indexOf(n) - i));
    expect(Math.max(...drift)).toBeLessThan(CAP);
  }, 900_000);
});
