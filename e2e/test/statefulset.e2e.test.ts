import fs from 'node:fs';
import path from 'node:path';
import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { StatefulSet } from '@tollgate/operator/api/k8s';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { canaryFor, createNamespace, setStatefulSetEnv } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { waitFor } from '../src/cluster/processes.js';
import { client, envInfo, itOnMainPass, RUN_DIR, uniqueNs } from './env.js';
import { canaryEvents, promQuery } from './helpers.js';

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

  const setVersion = (v: string, extra: Record<string, string> = {}): Promise<void> =>
    setStatefulSetEnv(kube, ns, 'db', { VERSION: v, ...extra });

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

  /** SIGKILLs the operator (no clean-up), checks that nothing moves while it is down, and starts a fresh one. */
  async function crash(): Promise<void> {
    await operator.kill();
    const at = [...partitions];
    await new Promise((r) => setTimeout(r, 1000));
    expect(partitions).toEqual(at);
    operator.start();
  }

  itOnMainPass(
    'a SIGKILL of the operator at each step ends as an uninterrupted run: partition 3, 2, 1, 0, 3, then a rollback',
    async () => {
      partitions.length = 0;
      let from = timeline.phases.length;
      await setVersion('v4');
      for (const k of [2, 1, 0]) {
        await waitFor(`partition ${k}`, async () => partitions.includes(k), 60_000);
        await crash();
      }
      await timeline.waitForPhase('Succeeded', 120_000, from);
      await settled('every pod on v4, partition armed again');
      expect(partitions).toEqual([3, 2, 1, 0, 3]);
      expect(version()).toBe('v4');
      const promoted = sts().status!.currentRevision!;
      expect(timeline.canary?.status?.promotedControllerRevision).toBe(promoted);

      // A rollback, the operator killed while it puts the promoted template back.
      partitions.length = 0;
      from = timeline.phases.length;
      await setVersion('v6');
      await waitFor('partition 2 (a pod on v6)', async () => partitions.includes(2), 60_000);
      await kube.patch(Resources.canaries, ns, 'db', { metadata: { annotations: { [REQUEST_ANNOTATIONS.abort]: 'stop-v6' } } });
      // restoring is true only while the template is put back, which can take less than one poll: the kill lands
      // during the rollback or right after it, and the end state must be the same either way.
      await waitFor(
        'the rollback under way (or already done)',
        async () => timeline.canary?.status?.restoring === true || timeline.canary?.status?.phase === 'Failed',
        60_000,
      );
      await crash();
      await waitFor(
        'the rollback done',
        async () => timeline.canary?.status?.phase === 'Failed' && timeline.canary.status.restoring === undefined,
        60_000,
      );
      await settled('every pod back on v4, partition armed again');
      expect(timeline.phases.slice(from).some((p) => p.phase === 'Failed')).toBe(true);
      // Lowered once per step the run reached, never raised before the rollback armed it again.
      const lowered = partitions.slice(0, -1);
      expect(lowered[0]).toBe(3);
      expect(lowered).toEqual([...lowered].sort((a, b) => b - a));
      expect(new Set(lowered).size).toBe(lowered.length);
      expect(partitions[partitions.length - 1]).toBe(3);
      expect(version()).toBe('v4');
      expect(sts().status!.currentRevision).toBe(promoted);
      expect(timeline.canary?.status?.promotedControllerRevision).toBe(promoted);
    },
  );
});

/**
 * The built-in request-success-rate of a StatefulSet measures only the canary revision's pods ({{ canaryPods }}):
 * pods that serve (a container port: the simulator runs the sample app), user requests sent to the apex Service.
 */
describe('StatefulSet metrics by revision (built-in kubernetes queries)', () => {
  let kube: KubeClient;
  let ns: string;
  let operator: OperatorProcess;
  let timeline: Timeline;
  let load: NodeJS.Timeout | undefined;

  const env = (vars: Record<string, string>): { name: string; value: string }[] =>
    Object.entries({ ERROR_SPREAD: 'even', ...vars }).map(([name, value]) => ({ name, value }));

  const setEnv = (vars: Record<string, string>): Promise<void> => setStatefulSetEnv(kube, ns, 'web', { ERROR_SPREAD: 'even', ...vars });

  const successRate = (): Promise<number | undefined> =>
    promQuery(
      `sum(rate(http_request_duration_seconds_count{namespace="${ns}", status!~"5.*"}[5s])) / ` +
        `sum(rate(http_request_duration_seconds_count{namespace="${ns}"}[5s])) * 100`,
    );

  beforeAll(async () => {
    kube = await client();
    ns = uniqueNs('sts-metrics');
    await createNamespace(kube, ns);
    const web = statefulSet(ns);
    web.metadata.name = 'web';
    web.metadata.labels = { app: 'web' };
    web.spec.selector = { matchLabels: { app: 'web' } };
    web.spec.serviceName = 'web-headless';
    // The promoted revision answers 60% of requests with errors.
    web.spec.template = {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'tollgate.dev/web:1', ports: [{ containerPort: 9898 }], env: env({ VERSION: 'v1', ERROR_RATE: '0.6' }) },
        ],
      },
    };
    await kube.create(Resources.statefulSets, web);
    const metrics = [{ name: 'request-success-rate', interval: '3s', thresholdRange: { min: 90 } }];
    await kube.create(
      Resources.canaries,
      canaryFor(
        'kubernetes',
        ns,
        'web',
        { interval: '6s', threshold: 2, stepWeight: undefined, maxWeight: undefined, stepWeights: [33, 66], metrics },
        { targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' } },
      ),
    );
    timeline = new Timeline(kube, ns, 'web', undefined);
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
    // Users' requests through the apex Service (every pod, both revisions), 20 a second.
    const url = `${envInfo().simUrl}/svc/${ns}/web/`;
    load = setInterval(
      () =>
        void fetch(url, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined),
      50,
    );
    await waitFor('errors of the promoted revision seen by Prometheus', async () => ((await successRate()) ?? 100) < 60, 60_000);
  });

  afterAll(async () => {
    clearInterval(load);
    timeline?.stop();
    await operator?.stop();
    kube?.close();
  });

  it('promotes a good revision next to an erroring promoted one: the built-in query does not mix the revisions', async () => {
    const from = timeline.phases.length;
    await setEnv({ VERSION: 'v2', ERROR_RATE: '0' });
    // Ends either way (a query mixing the revisions rolls it back): fail at once rather than at a timeout.
    const ended = (): string | undefined => timeline.phases.slice(from).find((p) => p.phase === 'Succeeded' || p.phase === 'Failed')?.phase;
    await waitFor('the run ended', async () => ended() !== undefined, 120_000);
    expect(ended()).toBe('Succeeded');
    const weights = timeline.phases
      .slice(from)
      .filter((p) => p.phase === 'Progressing')
      .map((p) => p.weight);
    expect([...new Set(weights)]).toEqual([0, 33, 66]);
  });

  it('rolls back a revision whose pods answer errors next to good ones, by the built-in request-success-rate', async () => {
    const from = timeline.phases.length;
    await setEnv({ VERSION: 'v3', ERROR_RATE: '1' });
    await timeline.waitForPhase('Failed', 120_000, from);
    const events = await canaryEvents(kube, ns);
    expect(events.some((e) => e.reason === 'RolledBack' && e.message.includes('request-success-rate'))).toBe(true);
    await waitFor(
      'the rollback done',
      async () => timeline.canary?.status?.phase === 'Failed' && timeline.canary.status.restoring === undefined,
      60_000,
    );
  });
});
