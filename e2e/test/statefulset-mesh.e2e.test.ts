import fs from 'node:fs';
import path from 'node:path';
import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { Service, StatefulSet } from '@tollgate/operator/api/k8s';
import type { CanarySpec, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { canaryFor, createNamespace, setStatefulSetEnv } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { canaryWeightOf, routeReader, type RouteReader } from '../src/harness/route-readers.js';
import { GATEWAY_API_CRDS } from '../src/harness/paths.js';
import { installCrds } from '../src/cluster/crds.js';
import { waitFor } from '../src/cluster/processes.js';
import { client, envInfo, itOnMainPass, RUN_DIR, uniqueNs } from './env.js';
import { canaryEvents, promQuery } from './helpers.js';

type Pod = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
type MeshObject = KubeObject & { spec?: Record<string, unknown> };

const REVISION = 'controller-revision-hash';

/** Replaces the StatefulSet's container env (a new revision), retrying on write conflicts as kubectl does. */

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

interface MeshCase {
  title: string;
  provider: string;
  /** Upstream CRD files the provider needs besides those every e2e run installs. */
  crds: string[];
  service: CanarySpec['service'];
}

/** Providers whose capability record says routesByService: their routing object splits between -primary and -canary. */
const CASES: MeshCase[] = [
  { title: 'Istio (VirtualService)', provider: 'istio', crds: [], service: { port: 9898 } },
  {
    title: 'Gateway API v1 (HTTPRoute on a Gateway)',
    provider: 'gatewayapi:v1',
    crds: GATEWAY_API_CRDS,
    service: { port: 9898, hosts: ['db.example.com'], gatewayRefs: [{ name: 'public', namespace: 'gateways' }] },
  },
];

/**
 * A StatefulSet released in place and routed by a mesh (issue 15): the routing object splits the traffic between the
 * -primary and -canary Services, which select pods by controller-revision-hash, so the weights follow stepWeights
 * while the partition is lowered once for the whole run; -primary keeps ready endpoints whenever it takes traffic.
 */
describe.each(CASES)('StatefulSet released in place, routed by $title', (mc) => {
  const reader: RouteReader = routeReader(mc.provider, Boolean(mc.service?.gatewayRefs?.length))!;
  let kube: KubeClient;
  let ns: string;
  let operator: OperatorProcess;
  let timeline: Timeline;
  let sets: Informer<StatefulSet>;
  let pods: Informer<Pod>;
  let services: Informer<Service>;
  let routes: Informer<MeshObject>;
  /** Every partition the StatefulSet carried, in order (consecutive repeats dropped). */
  const partitions: number[] = [];
  /** Moments -primary took traffic with no ready pod behind it: must stay empty. */
  const outages: string[] = [];
  /** How many times the invariant was checked while -primary took traffic, and whether it selected every pod then. */
  const seen = { weightedChecks: 0, primaryWide: false };

  const sts = (): StatefulSet => sets.get(ns, 'db')!;
  const version = (): string | undefined => sts().spec.template.spec.containers[0]!.env?.find((e) => e.name === 'VERSION')?.value;
  const livePods = (): Pod[] => pods.list(ns).filter((p) => !p.metadata.deletionTimestamp);
  const ready = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

  /** -primary's share of the VirtualService's traffic must land on at least one ready pod it selects. */
  function checkPrimaryServes(): void {
    const vs = routes?.get(ns, 'db');
    const primary = services?.get(ns, 'db-primary');
    if (!vs || !primary?.spec.selector) return;
    const canaryWeight = canaryWeightOf(reader, vs, 'db');
    if (canaryWeight === undefined || canaryWeight >= 100) return;
    const selector = primary.spec.selector;
    seen.weightedChecks++;
    if (!(REVISION in selector)) seen.primaryWide = true;
    const serving = livePods().filter((p) => ready(p) && Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v));
    if (serving.length === 0) outages.push(`primary weight ${100 - canaryWeight}, selector ${JSON.stringify(selector)}, no ready pod`);
  }

  const setVersion = (v: string): Promise<void> => setStatefulSetEnv(kube, ns, 'db', { VERSION: v });

  /** Waits until the StatefulSet is at rest: every pod on one revision, the partition armed at replicas. */
  const settled = (what: string): Promise<void> =>
    waitFor(
      what,
      async () => {
        const s = sts();
        const st = s.status ?? {};
        const revs = livePods().map((p) => p.metadata.labels?.[REVISION]);
        return (
          s.spec.updateStrategy?.rollingUpdate?.partition === 3 &&
          st.currentRevision === st.updateRevision &&
          revs.length === 3 &&
          revs.every((r) => r === st.currentRevision)
        );
      },
      60_000,
    );

  beforeAll(async () => {
    kube = await client();
    if (mc.crds.length) await installCrds(kube, mc.crds);
    ns = uniqueNs('sts-mesh');
    await createNamespace(kube, ns);
    await kube.create(Resources.statefulSets, statefulSet(ns));
    const analysis = { interval: '1s', stepWeight: undefined, maxWeight: undefined, stepWeights: [20, 40], metrics: [] };
    await kube.create(
      Resources.canaries,
      canaryFor(mc.provider, ns, 'db', analysis, {
        targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' },
        service: mc.service,
      }),
    );
    const logger = createLogger('warn', 'e2e-statefulset-mesh');
    const watch = <T extends KubeObject>(resource: ResourceType): Informer<T> =>
      new Informer<T>({ client: kube, resource, namespaces: [ns], logger });
    sets = watch<StatefulSet>(Resources.statefulSets);
    pods = watch<Pod>(Resources.pods);
    services = watch<Service>(Resources.services);
    routes = watch<MeshObject>(reader.resource);
    sets.on('add', (s) => recordPartition(s)).on('update', (s) => recordPartition(s));
    for (const i of [pods, services, routes] as Informer<KubeObject>[]) i.on('add', checkPrimaryServes).on('update', checkPrimaryServes);
    pods.on('delete', checkPrimaryServes);
    await Promise.all([sets.start(), pods.start(), services.start(), routes.start()]);
    timeline = new Timeline(kube, ns, 'db', reader);
    await timeline.start();
    const logDir = path.join(RUN_DIR, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir,
      provider: mc.provider,
    });
    operator.start();
    await timeline.waitForPhase('Initialized', 60_000);
    await settled('the StatefulSet armed at partition 3');
  });

  function recordPartition(s: StatefulSet): void {
    const p = s.spec.updateStrategy?.rollingUpdate?.partition;
    if (p !== undefined && partitions[partitions.length - 1] !== p) partitions.push(p);
  }

  afterAll(async () => {
    timeline?.stop();
    for (const i of [sets, pods, services, routes]) i?.stop();
    await operator?.stop();
    kube?.close();
  });

  it('promotes: the weights follow stepWeights while two pods run the new revision, -primary always serving', async () => {
    const before = sts().status!.currentRevision!;
    partitions.length = 0;
    timeline.routeWeights.length = 0;
    const from = timeline.phases.length;
    await setVersion('v2');
    await timeline.waitForPhase('Succeeded', 120_000, from);
    await settled('every pod on v2, partition armed again');
    // ceil(3 x 40 / 100) = 2 pods on the new revision (partition 1) for weights 20 and 40 alike.
    expect(partitions).toEqual([3, 1, 0, 3]);
    expect(timeline.routeWeights).toEqual([20, 40, 0]);
    expect(outages).toEqual([]);
    expect(seen.primaryWide).toBe(true);
    expect(seen.weightedChecks).toBeGreaterThan(0);
    const promoted = sts().status!.currentRevision!;
    expect(promoted).not.toBe(before);
    expect(timeline.canary?.status?.promotedControllerRevision).toBe(promoted);
    expect(version()).toBe('v2');
    expect(services.get(ns, 'db-primary')?.spec.selector).toEqual({ app: 'db', [REVISION]: promoted });
  });

  it('rolls back: all traffic to -primary, then the promoted template restored and the new pods moved back', async () => {
    const promoted = sts().status!.currentRevision!;
    partitions.length = 0;
    timeline.routeWeights.length = 0;
    const from = timeline.phases.length;
    await setVersion('v3');
    await waitFor('the canary weighted', async () => timeline.routeWeights.includes(20), 60_000);
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
    expect(partitions).toEqual([3, 1, 3]);
    expect(timeline.routeWeights[timeline.routeWeights.length - 1]).toBe(0);
    expect(outages).toEqual([]);
  });

  // Once (on Istio): the operator SIGKILLed as the promotion starts resumes from the status and the objects.
  (mc.provider === 'istio' ? itOnMainPass : it.skip)('a SIGKILL as Promoting starts ends as an uninterrupted promotion', async () => {
    partitions.length = 0;
    const from = timeline.phases.length;
    await setVersion('v4');
    await timeline.waitForPhase('Promoting', 60_000, from);
    await operator.kill();
    const killedAt = [...partitions];
    await new Promise((r) => setTimeout(r, 2000));
    expect(partitions).toEqual(killedAt);
    operator.start();
    await timeline.waitForPhase('Succeeded', 120_000, from);
    await settled('every pod on v4, partition armed again');
    expect(partitions).toEqual([3, 1, 0, 3]);
    expect(version()).toBe('v4');
    expect(outages).toEqual([]);
    expect(timeline.canary?.status?.promotedControllerRevision).toBe(sts().status!.currentRevision);
  });
});

/**
 * Istio's built-in queries of a StatefulSet released in place (issue 15): both revisions' pods are one Istio workload,
 * so the queries measure what the mesh sent to the -canary Service. Pods that serve (a container port: the simulator
 * runs the sample app); the data-plane stand-in sends users' requests through the VirtualService, 20 a second.
 */
describe('StatefulSet released in place, routed by Istio: built-in metrics by revision', () => {
  let kube: KubeClient;
  let ns: string;
  let operator: OperatorProcess;
  let timeline: Timeline;

  const env = (vars: Record<string, string>): { name: string; value: string }[] =>
    Object.entries({ ERROR_SPREAD: 'even', ...vars }).map(([name, value]) => ({ name, value }));

  /** The share of the requests the mesh sent to a Service that did not fail, in the last 10s, in percent. */
  const successRate = (service: string): Promise<number | undefined> => {
    const sel = `destination_workload_namespace="${ns}", destination_service_name="${service}"`;
    return promQuery(
      `sum(rate(istio_requests_total{${sel}, response_code!~"5.*"}[10s])) / sum(rate(istio_requests_total{${sel}}[10s])) * 100`,
    );
  };

  /** The values of request-success-rate the operator measured since a phase index (the Canary's lastChecks). */
  const measured = (from: number): number[] =>
    timeline.phases
      .slice(from)
      .map((p) => /request-success-rate=([\d.]+)/.exec(p.checks)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number);

  /**
   * Waits for the run a new revision started after a phase index to end (a query mixing the revisions ends it the
   * other way: fail at once rather than at a timeout); its end phase.
   */
  async function runEnd(from: number): Promise<string> {
    const ended = (): string | undefined => {
      const run = timeline.phases.slice(from);
      const started = run.findIndex((p) => p.phase === 'Progressing');
      return started < 0 ? undefined : run.slice(started).find((p) => p.phase === 'Succeeded' || p.phase === 'Failed')?.phase;
    };
    await waitFor('the run ended', async () => ended() !== undefined, 120_000);
    return ended()!;
  }

  /** Waits until no run is in progress and no rollback is putting the promoted revision back. */
  const atRest = (): Promise<void> =>
    waitFor(
      'the canary at rest',
      async () =>
        ['Initialized', 'Succeeded', 'Failed'].includes(timeline.canary?.status?.phase ?? '') &&
        timeline.canary?.status?.restoring === undefined,
      60_000,
    );

  beforeAll(async () => {
    kube = await client();
    ns = uniqueNs('sts-istio-metrics');
    await createNamespace(kube, ns);
    const web = statefulSet(ns);
    web.metadata = { name: 'web', namespace: ns, labels: { app: 'web' } };
    web.spec.selector = { matchLabels: { app: 'web' } };
    web.spec.serviceName = 'web-headless';
    // The promoted revision answers every request.
    web.spec.template = {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'tollgate.dev/web:1', ports: [{ containerPort: 9898 }], env: env({ VERSION: 'v1', ERROR_RATE: '0' }) },
        ],
      },
    };
    await kube.create(Resources.statefulSets, web);
    const metrics = [{ name: 'request-success-rate', interval: '5s', thresholdRange: { min: 99 } }];
    const analysis = { interval: '6s', threshold: 2, stepWeight: undefined, maxWeight: undefined, stepWeights: [20, 40], metrics };
    await kube.create(
      Resources.canaries,
      canaryFor('istio', ns, 'web', analysis, {
        targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' },
        service: { port: 9898 },
      }),
    );
    timeline = new Timeline(kube, ns, 'web', routeReader('istio', false));
    await timeline.start();
    const logDir = path.join(RUN_DIR, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir,
      provider: 'istio',
    });
    operator.start();
    await timeline.waitForPhase('Initialized', 60_000);
    await waitFor("users' requests answered by the promoted revision", async () => ((await successRate('web-primary')) ?? 0) >= 99, 60_000);
  });

  afterAll(async () => {
    timeline?.stop();
    await operator?.stop();
    kube?.close();
  });

  itOnMainPass('rolls back a revision whose pods answer errors next to a good one, by the built-in request-success-rate', async () => {
    const from = timeline.phases.length;
    await setStatefulSetEnv(kube, ns, 'web', { ERROR_SPREAD: 'even', VERSION: 'v2', ERROR_RATE: '0.6' });
    expect(await runEnd(from)).toBe('Failed');
    // The canary's own 40%: mixed with the good -primary's share (80% of the requests at weight 20) it would be ~88%.
    const values = measured(from);
    expect(values.length).toBeGreaterThan(0);
    expect(Math.max(...values)).toBeLessThan(60);
    const events = await canaryEvents(kube, ns);
    expect(events.some((e) => e.reason === 'RolledBack' && e.message.includes('request-success-rate'))).toBe(true);
    await atRest();
  });

  itOnMainPass('promotes a good revision next to an erroring promoted one: the built-in query does not mix the revisions', async () => {
    // An erroring revision promoted on request (no analysis), so that -primary answers 60% of requests with errors.
    await atRest();
    let from = timeline.phases.length;
    await setStatefulSetEnv(kube, ns, 'web', { ERROR_SPREAD: 'even', VERSION: 'v3', ERROR_RATE: '0.6' });
    await timeline.waitForPhase('Progressing', 60_000, from);
    await kube.patch(Resources.canaries, ns, 'web', { metadata: { annotations: { [REQUEST_ANNOTATIONS.promote]: 'v3' } } });
    expect(await runEnd(from)).toBe('Succeeded');
    await atRest();
    await waitFor(
      'errors of the promoted revision seen through the mesh',
      async () => ((await successRate('web-primary')) ?? 100) < 60,
      60_000,
    );

    from = timeline.phases.length;
    timeline.routeWeights.length = 0;
    await setStatefulSetEnv(kube, ns, 'web', { ERROR_SPREAD: 'even', VERSION: 'v4', ERROR_RATE: '0' });
    expect(await runEnd(from)).toBe('Succeeded');
    expect(timeline.routeWeights).toEqual([20, 40, 0]);
    const values = measured(from);
    expect(values.length).toBeGreaterThan(0);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(99);
  });
});
