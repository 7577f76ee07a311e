import { spawn } from 'node:child_process';
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
import {
  FLAGGER_CANARIES,
  flaggerCanary,
  flaggerLeftovers,
  initializedStatus,
  progressingStatus,
} from '../src/harness/flagger-leftovers.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { ROOT } from '../src/harness/paths.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { getCanary, primaryTraffic } from './helpers.js';

const CRD = path.join(ROOT, 'e2e', 'flagger-takeover', 'flagger-canary-crd.yaml');
const CLI_MAIN = path.join(ROOT, 'cli', 'dist', 'main.js');

/** `tollgate migrate flagger podinfo -n ns ...`, run to its end. */
function migrate(ns: string, ...flags: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, 'migrate', 'flagger', 'podinfo', '-n', ns, '--timeout', '90s', ...flags], {
      env: { ...process.env, KUBECONFIG: envInfo().kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stand-in for Flagger's own Deployment, labelled as its Helm chart labels it (no container port: no app runs). */
const flaggerDeployment = (ns: string): Deployment => {
  const d = sampleDeployment(ns, 'flagger');
  d.metadata.labels = { 'app.kubernetes.io/name': 'flagger' };
  d.spec.selector = { matchLabels: { 'app.kubernetes.io/name': 'flagger' } };
  d.spec.template.metadata = { labels: { 'app.kubernetes.io/name': 'flagger' } };
  d.spec.template.spec.containers[0]!.ports = [];
  return d;
};

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
    await kube.create(Resources.deployments, flaggerDeployment(ns));
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

  it('tollgate migrate flagger refuses while a Flagger Deployment has replicas, and its dry run changes nothing', async () => {
    const refused = await migrate(ns, '--dry-run');
    expect(refused.stderr).toContain(`Flagger runs: ${ns}/flagger`);
    expect(refused.code).toBe(1);
    await kube.patch(Resources.deployments, ns, 'flagger', { spec: { replicas: 0 } });
    await waitFor(
      'Flagger scaled to zero',
      async () => !(await kube.get<Deployment>(Resources.deployments, ns, 'flagger')).status?.replicas,
      60_000,
    );
    const plan = await migrate(ns, '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(
      `Plan (dry run, nothing changed) for the flagger.app Canary ${ns}/podinfo (phase Initialized, canary weight 0)`,
    );
    expect(plan.stderr).toContain(`Flagger is scaled to zero: ${ns}/flagger`);
    expect(plan.stderr).toContain('propagationPolicy Orphan');
    expect(plan.stdout).toContain(`${ANNOTATIONS.takeover}: podinfo`);
    expect(plan.stdout).toContain('apiVersion: tollgate.dev/v1beta1');
    expect((await getCanary(kube, ns)).metadata.annotations?.[ANNOTATIONS.takeover]).toBeUndefined();
    expect(await kube.get(FLAGGER_CANARIES, ns, 'podinfo')).toBeDefined();
  });

  it("tollgate migrate flagger takes over: ownership moves, no pod restarts, no weight changes, Flagger's Canary goes and nothing is collected", async () => {
    const done = await migrate(ns);
    expect(done.stderr).toContain('4. deleted the flagger.app Canary podinfo (orphan propagation)');
    expect(done.code).toBe(0);
    expect(timeline.phases.some((p) => p.phase === 'Initialized')).toBe(true);
    await expect(kube.get(FLAGGER_CANARIES, ns, 'podinfo')).rejects.toMatchObject({ status: 404 });
    await new Promise((r) => setTimeout(r, 3000));
    for (const o of leftovers) {
      const live = await kube.get<KubeObject>(o.resource, ns, o.body.metadata.name!);
      expect(controllerOf(live)).toBe('tollgate.dev/v1beta1/podinfo');
      expect(live.metadata.ownerReferences?.some((r) => r.apiVersion.startsWith('flagger.app'))).toBe(false);
    }
    expect(await primaryPods(kube, ns)).toEqual(before);
    // The routes were read (the Timeline records the first weight it sees) and never moved off 0.
    expect(timeline.routeWeights.length).toBeGreaterThan(0);
    expect(timeline.routeWeights.every((w) => w === 0)).toBe(true);
    expect((await getCanary(kube, ns)).status?.canaryWeight).toBe(0);
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

describe('taking over a release Flagger left at canary weight 20 (Istio)', () => {
  let kube: KubeClient;
  let ns: string;
  let timeline: Timeline;
  let operator: OperatorProcess;
  let before: Awaited<ReturnType<typeof primaryPods>>;

  beforeAll(async () => {
    kube = await client();
    await installCrds(kube, [CRD]);
    ns = uniqueNs('takeover-mid');
    await createNamespace(kube, ns);
    await kube.create(Resources.deployments, sampleDeployment(ns, 'podinfo', { VERSION: 'v2' }, 1));
    const flagger = await kube.create<Canary>(FLAGGER_CANARIES, flaggerCanary(canaryFor('istio', ns, 'podinfo')));
    await kube.replaceStatus(FLAGGER_CANARIES, { ...flagger, status: progressingStatus('7f9c4d8b5', '5d8c7b9f6', 20) });
    for (const o of flaggerLeftovers(flagger, sampleDeployment(ns, 'podinfo'), 20)) await kube.create(o.resource, o.body);
    await waitFor(
      'the primary and the canary available',
      async () => {
        const [p, t] = await Promise.all(['podinfo-primary', 'podinfo'].map((n) => kube.get<Deployment>(Resources.deployments, ns, n)));
        return p!.status?.availableReplicas === 1 && t!.status?.availableReplicas === 1;
      },
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

  it('tollgate migrate flagger resumes it at weight 20, with no restart and no weight change, and promotes it', async () => {
    const atTakeover = timeline.waitForPhase('Progressing', 60_000).then(() => primaryPods(kube, ns));
    const done = await migrate(ns);
    expect(await atTakeover).toEqual(before);
    expect(done.stderr).toContain('2. the operator took the objects over: Progressing at canary weight 20');
    expect(done.code).toBe(0);
    const resumed = timeline.phases.find((p) => p.phase === 'Progressing');
    expect(resumed?.weight).toBe(20);
    expect(timeline.routeWeights[0]).toBe(20);
    await timeline.waitForPhase('Succeeded', 120_000);
    expect(timeline.routeWeights.filter((w, i, all) => i === 0 || w !== all[i - 1])).toEqual([20, 40, 60, 0]);
    const primary = await kube.get<Deployment>(Resources.deployments, ns, 'podinfo-primary');
    expect(primary.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'VERSION', value: 'v2' });
  });
});
