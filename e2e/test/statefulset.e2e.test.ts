import fs from 'node:fs';
import path from 'node:path';
import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { StatefulSet } from '@tollgate/operator/api/k8s';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { isConflict } from '@tollgate/operator/kube/errors';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { canaryFor, createNamespace } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { waitFor } from '../src/cluster/processes.js';
import { client, envInfo, itOnMainPass, RUN_DIR, uniqueNs } from './env.js';

type Pod = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };

/** A StatefulSet of three pods (no container port: the simulated kubelet only marks them Ready). */
function statefulSet(ns: string): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns, labels: { app: 'db' } },
    spec: {
      replicas: 3,
      serviceName: 'db-headless',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'db', image: 'tollgate.dev/db:1', env: [{ name: 'VERSION', value: 'v1' }] }] },
      },
    },
  };
}

describe('StatefulSet released in place (partition)', () => {
  let kube: KubeClient;
  let ns: string;
  let operator: OperatorProcess;
  let timeline: Timeline;
  let sets: Informer<StatefulSet>;
  let pods: Informer<Pod>;
  /** Every partition the StatefulSet carried, in order (consecutive repeats dropped). */
  const partitions: number[] = [];

  const sts = (): StatefulSet => sets.get(ns, 'db')!;
  const version = (): string | undefined => sts().spec.template.spec.containers[0]!.env?.find((e) => e.name === 'VERSION')?.value;
  const podRevisions = (): string[] =>
    pods
      .list(ns)
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.labels?.['controller-revision-hash'] ?? '')
      .sort();

  async function setVersion(v: string, extra: Record<string, string> = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const live = await kube.get<StatefulSet>(Resources.statefulSets, ns, 'db');
      live.spec.template.spec.containers[0]!.env = Object.entries({ VERSION: v, ...extra }).map(([name, value]) => ({ name, value }));
      try {
        await kube.replace(Resources.statefulSets, live);
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 10) throw err;
      }
    }
  }

  /** Waits until the StatefulSet is at rest: every pod on one revision, the partition armed at replicas. */
  const settled = (what: string): Promise<void> =>
    waitFor(
      what,
      async () => {
        const s = sts();
        const st = s.status ?? {};
        return (
          s.spec.updateStrategy?.rollingUpdate?.partition === 3 &&
          st.currentRevision === st.updateRevision &&
          podRevisions().length === 3 &&
          podRevisions().every((r) => r === st.currentRevision)
        );
      },
      60_000,
    );

  beforeAll(async () => {
    kube = await client();
    ns = uniqueNs('statefulset');
    await createNamespace(kube, ns);
    await kube.create(Resources.statefulSets, statefulSet(ns));
    await kube.create(
      Resources.canaries,
      canaryFor(
        'kubernetes',
        ns,
        'db',
        { interval: '1s', stepWeight: undefined, maxWeight: undefined, stepWeights: [33, 66], metrics: [] },
        {
          targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' },
        },
      ),
    );
    const logger = createLogger('warn', 'e2e-statefulset');
    sets = new Informer<StatefulSet>({ client: kube, resource: Resources.statefulSets, namespaces: [ns], logger });
    pods = new Informer<Pod>({ client: kube, resource: Resources.pods, namespaces: [ns], logger });
    const record = (s: StatefulSet): void => {
      const p = s.spec.updateStrategy?.rollingUpdate?.partition;
      if (p !== undefined && partitions[partitions.length - 1] !== p) partitions.push(p);
    };
    sets.on('add', record).on('update', record);
    await Promise.all([sets.start(), pods.start()]);
    timeline = new Timeline(kube, ns, 'db', undefined);
    await timeline.start();
    const logDir = path.join(RUN_DIR, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir,
      provider: 'kubernetes',
    });
    operator.start();
    await timeline.waitForPhase('Initialized', 60_000);
    await settled('the StatefulSet armed at partition 3');
  });

  afterAll(async () => {
    timeline?.stop();
    sets?.stop();
    pods?.stop();
    await operator?.stop();
    kube?.close();
  });

  it('promotes a new revision through the highest ordinals first: partition 3, 2, 1, 0, then 3 again', async () => {
    const before = sts().status!.currentRevision!;
    expect(timeline.canary?.status?.promotedControllerRevision).toBe(before);
    partitions.length = 0;
    const from = timeline.phases.length;
    await setVersion('v2');
    await timeline.waitForPhase('Succeeded', 120_000, from);
    await settled('every pod on v2, partition armed again');
    expect(partitions).toEqual([3, 2, 1, 0, 3]);
    const promoted = sts().status!.currentRevision!;
    expect(promoted).not.toBe(before);
    expect(timeline.canary?.status?.promotedControllerRevision).toBe(promoted);
    expect(version()).toBe('v2');
    const weights = timeline.phases
      .slice(from)
      .filter((p) => p.phase === 'Progressing')
      .map((p) => p.weight);
    expect([...new Set(weights)]).toEqual([0, 33, 66]);
  });

  it('rolls back in place: the promoted template restored, the new pods moved back, the partition armed again', async () => {
    const promoted = sts().status!.currentRevision!;
    partitions.length = 0;
    const from = timeline.phases.length;
    await setVersion('v3');
    await waitFor('a pod on v3', async () => podRevisions().some((r) => r !== promoted), 60_000);
    await kube.patch(Resources.canaries, ns, 'db', { metadata: { annotations: { [REQUEST_ANNOTATIONS.abort]: 'stop-v3' } } });
    await timeline.waitForPhase('Failed', 60_000, from);
    await waitFor(
      'the rollback done',
      async () => timeline.canary?.status?.phase === 'Failed' && timeline.canary.status.restoring === undefined,
      60_000,
    );
    await settled('every pod back on v2, partition armed again');
    expect(version()).toBe('v2');
    expect(sts().status!.currentRevision).toBe(promoted);
    expect(partitions[0]).toBe(3);
    expect(partitions[partitions.length - 1]).toBe(3);
    expect(Math.min(...partitions)).toBeLessThan(3);
    expect(timeline.canary?.status?.promotedControllerRevision).toBe(promoted);
  });

  it('rolls back a revision whose pod never becomes ready: the stuck pod is replaced on the promoted revision', async () => {
    const promoted = sts().status!.currentRevision!;
    await kube.patch(Resources.canaries, ns, 'db', { spec: { progressDeadlineSeconds: 8 } });
    partitions.length = 0;
    const from = timeline.phases.length;
    await setVersion('v5', { SIM_READY: 'false' });
    await timeline.waitForPhase('Failed', 60_000, from);
    await waitFor(
      'the rollback done',
      async () => timeline.canary?.status?.phase === 'Failed' && timeline.canary.status.restoring === undefined,
      60_000,
    );
    await settled('every pod back on the promoted revision, partition armed again');
    expect(sts().status!.currentRevision).toBe(promoted);
    expect(sts().spec.template.spec.containers[0]!.env).toEqual([{ name: 'VERSION', value: 'v2' }]);
    await kube.patch(Resources.canaries, ns, 'db', { spec: { progressDeadlineSeconds: 60 } });
  });

  itOnMainPass('a SIGKILL of the operator mid-step ends as an uninterrupted run: partition 3, 2, 1, 0, 3, every pod promoted', async () => {
    partitions.length = 0;
    const from = timeline.phases.length;
    await setVersion('v4');
    await waitFor('the first step (partition 2)', async () => partitions.includes(2), 60_000);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)));
    await operator.kill();
    const killedAt = [...partitions];
    await new Promise((r) => setTimeout(r, 3000));
    expect(partitions).toEqual(killedAt);
    operator.start();
    await timeline.waitForPhase('Succeeded', 120_000, from);
    await settled('every pod on v4, partition armed again');
    expect(partitions).toEqual([3, 2, 1, 0, 3]);
    expect(version()).toBe('v4');
    expect(timeline.canary?.status?.promotedControllerRevision).toBe(sts().status!.currentRevision);
  });
});
