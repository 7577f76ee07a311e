import fs from 'node:fs';
import path from 'node:path';
import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { Deployment } from '@tollgate/operator/api/k8s';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { installCrds } from '../src/cluster/crds.js';
import { waitFor } from '../src/cluster/processes.js';
import { canaryFor, createNamespace, sampleDeployment, setEnv } from '../src/harness/fixtures.js';
import { FLAGGER_CANARIES, flaggerCanary, flaggerLeftovers, initializedStatus } from '../src/harness/flagger-leftovers.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { ROOT } from '../src/harness/paths.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { getCanary, primaryTraffic } from './helpers.js';

const CRD = path.join(ROOT, 'e2e', 'flagger-takeover', 'flagger-canary-crd.yaml');

/** What must not move during a takeover: the primary's ReplicaSets (pod-template-hash), its pods, its generation. */
async function primaryPods(kube: KubeClient, ns: string): Promise<{ hashes: string[]; pods: string[]; generation?: number }> {
  const rs = await kube.list<KubeObject>(Resources.replicaSets, ns, { labelSelector: 'app=podinfo-primary' });
  const pods = await kube.list<KubeObject>(Resources.pods, ns, { labelSelector: 'app=podinfo-primary' });
  const d = await kube.get<Deployment>(Resources.deployments, ns, 'podinfo-primary');
  return {
    hashes: rs.items.map((r) => r.metadata.labels?.['pod-template-hash'] ?? '').sort(),
    pods: pods.items.map((p) => p.metadata.uid!).sort(),
    generation: d.metadata.generation,
  };
}

const controllerOf = (o: KubeObject): string | undefined => {
  const c = o.metadata.ownerReferences?.find((r) => r.controller);
  return c && `${c.apiVersion}/${c.name}`;
};

describe('taking over a Canary Flagger initialized (Istio)', () => {
  let kube: KubeClient;
  let ns: string;
  let timeline: Timeline;
  let operator: OperatorProcess;
  let leftovers: { resource: ResourceType; body: KubeObject }[];
  let before: Awaited<ReturnType<typeof primaryPods>>;
  const tollgate = (): Canary => canaryFor('istio', ns, 'podinfo');

  beforeAll(async () => {
    kube = await client();
    await installCrds(kube, [CRD]);
    ns = uniqueNs('takeover');
    await createNamespace(kube, ns);
    const target = sampleDeployment(ns, 'podinfo', {}, 0);
    await kube.create(Resources.deployments, target);
    const flagger = await kube.create<Canary>(FLAGGER_CANARIES, flaggerCanary(tollgate()));
    await kube.replaceStatus(FLAGGER_CANARIES, { ...flagger, status: initializedStatus('5d8c7b9f6') });
    leftovers = flaggerLeftovers(flagger, target);
    for (const o of leftovers) await kube.create(o.resource, o.body);
    await waitFor(
      'Flagger primary available',
      async () => (await kube.get<Deployment>(Resources.deployments, ns, 'podinfo-primary')).status?.availableReplicas === 1,
      60_000,
    );
    timeline = new Timeline(kube, ns, 'podinfo');
    await timeline.start();
    await primaryTraffic(ns);
    before = await primaryPods(kube, ns);
    const logDir = path.join(RUN_DIR, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    operator = new OperatorProcess({ kubeconfig: envInfo().kubeconfig, prometheusUrl: envInfo().prometheusUrl, namespaces: [ns], logDir });
    operator.start();
  });

  afterAll(async () => {
    timeline?.stop();
    await operator?.stop();
    kube?.close();
  });

  it("refuses to write what Flagger's Canary controls until the Canary names it", async () => {
    await kube.create(Resources.canaries, tollgate());
    await waitFor(
      'Stalled Conflict',
      async () => (await getCanary(kube, ns)).status?.conditions?.some((c) => c.type === 'Stalled' && c.reason === 'Conflict') ?? false,
      30_000,
    );
    const stalled = (await getCanary(kube, ns)).status?.conditions?.find((c) => c.type === 'Stalled');
    expect(stalled?.message).toContain('controlled by the flagger.app Canary podinfo');
    expect(stalled?.message).toContain('tollgate migrate flagger podinfo');
    for (const o of leftovers) {
      const live = await kube.get<KubeObject>(o.resource, ns, o.body.metadata.name!);
      expect(controllerOf(live)).toBe('flagger.app/v1beta1/podinfo');
    }
  });

  it('takes over with the annotation: ownership moves, no pod restarts, no weight changes, Initialized', async () => {
    await kube.patch(Resources.canaries, ns, 'podinfo', { metadata: { annotations: { [ANNOTATIONS.takeover]: 'podinfo' } } });
    await timeline.waitForPhase('Initialized', 60_000);
    for (const o of leftovers) {
      const live = await kube.get<KubeObject>(o.resource, ns, o.body.metadata.name!);
      expect(controllerOf(live)).toBe('tollgate.dev/v1beta1/podinfo');
      expect(live.metadata.ownerReferences?.some((r) => r.apiVersion.startsWith('flagger.app'))).toBe(false);
    }
    expect(await primaryPods(kube, ns)).toEqual(before);
    expect(timeline.routeWeights.every((w) => w === 0)).toBe(true);
    const c = await getCanary(kube, ns);
    expect(c.status?.canaryWeight).toBe(0);
  });

  it("deleting Flagger's Canary (finalizer removed, orphan propagation) reverts and collects nothing", async () => {
    await kube.patch(FLAGGER_CANARIES, ns, 'podinfo', { metadata: { finalizers: null } });
    await kube.delete(FLAGGER_CANARIES, ns, 'podinfo', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    await waitFor('Flagger Canary gone', async () => !(await kube.get(FLAGGER_CANARIES, ns, 'podinfo').catch(() => undefined)), 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    for (const o of leftovers) await kube.get(o.resource, ns, o.body.metadata.name!);
    expect(await primaryPods(kube, ns)).toEqual(before);
    expect(timeline.routeWeights.every((w) => w === 0)).toBe(true);
  });

  it('promotes the next release', async () => {
    const from = timeline.phases.length;
    await setEnv(kube, ns, 'podinfo', { VERSION: 'v2' });
    await timeline.waitForPhase('Succeeded', 120_000, from);
    expect(timeline.routeWeights.filter((w) => w > 0)).toEqual([20, 40, 60]);
    const primary = await kube.get<Deployment>(Resources.deployments, ns, 'podinfo-primary');
    expect(primary.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'VERSION', value: 'v2' });
  });
});
