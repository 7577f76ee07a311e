import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deployment } from '@tollgate/operator/api/k8s';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { waitFor } from '../src/cluster/processes.js';
import { setEnv } from '../src/harness/fixtures.js';
import { KEDA_CRDS } from '../src/harness/paths.js';
import { envInfo } from './env.js';
import { scenario, type Scenario } from './helpers.js';

type Json = Record<string, unknown>;
type Cm = KubeObject & { data?: Record<string, string> };

async function patchTemplate(
  kube: KubeClient,
  ns: string,
  resource: typeof Resources.deployments,
  name: string,
  mutate: (spec: Json) => void,
): Promise<void> {
  const d = await kube.get<KubeObject & { spec: { template: { spec: Json } } }>(resource, ns, name);
  mutate(d.spec.template.spec);
  await kube.replace(resource, d);
}

describe('targets and what they carry', () => {
  let s: Scenario | undefined;

  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('a change of a ConfigMap the pods use is a release of its own; the primary reads a -primary copy updated at promotion', async () => {
    s = await scenario({
      prefix: 'configs',
      before: async (ns, kube) => {
        await kube.create(Resources.configMaps, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'settings', namespace: ns },
          data: { greeting: 'hello' },
        } as Cm);
      },
      mutateDeployment: (d) => {
        d.spec.template.spec.volumes = [{ name: 'settings', configMap: { name: 'settings' } }];
      },
      analysis: { interval: '2s', stepWeight: 50, maxWeight: 50 },
    });
    const primary = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    expect(primary.spec.template.spec.volumes).toEqual([
      expect.objectContaining({ name: 'settings', configMap: expect.objectContaining({ name: 'settings-primary' }) }),
    ]);
    expect((await s.client.get<Cm>(Resources.configMaps, s.ns, 'settings-primary')).data).toEqual({ greeting: 'hello' });
    const from = s.timeline.phases.length;
    const cm = await s.client.get<Cm>(Resources.configMaps, s.ns, 'settings');
    await s.client.replace(Resources.configMaps, { ...cm, data: { greeting: 'bonjour' } });
    await s.timeline.waitForPhase('Progressing', 30_000, from);
    expect((await s.client.get<Cm>(Resources.configMaps, s.ns, 'settings-primary')).data).toEqual({ greeting: 'hello' });
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
    expect((await s.client.get<Cm>(Resources.configMaps, s.ns, 'settings-primary')).data).toEqual({ greeting: 'bonjour' });
    expect(Object.keys(s.timeline.canary?.status?.trackedConfigs ?? {})).toEqual(['configmap/settings']);
  });

  it("the user's HorizontalPodAutoscaler gets a -primary copy in the version the API server serves, aimed at the primary", async () => {
    // autoscaling/v2 from 1.23 on; v2beta2 (gone in 1.26) on older servers.
    const served = envInfo().minor >= 23 ? Resources.horizontalPodAutoscalersV2 : Resources.horizontalPodAutoscalersV2beta2;
    const hpa = (ns: string): KubeObject =>
      ({
        apiVersion: `autoscaling/${served.version}`,
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'podinfo', namespace: ns },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
        },
      }) as KubeObject;
    s = await scenario({
      prefix: 'hpa',
      before: async (ns, kube) => {
        await kube.create(served, hpa(ns));
      },
      spec: { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' } },
      analysis: { interval: '2s', stepWeight: 50, maxWeight: 50 },
    });
    const primaryHpa = await s.client.get<KubeObject & { spec: Json }>(served, s.ns, 'podinfo-primary');
    expect(primaryHpa.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'podinfo-primary' },
      minReplicas: 1,
      maxReplicas: 3,
    });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
  });

  it("the user's KEDA ScaledObject gets a -primary copy with the primary's queries, kept in step, gone on revert; the user's is paused between runs", async () => {
    // No KEDA controller runs: the objects are only checked against KEDA's real CRD.
    type So = KubeObject & {
      spec: {
        scaleTargetRef: Json;
        minReplicaCount?: number;
        maxReplicaCount?: number;
        triggers: { type: string; name?: string; metadata: Json }[];
      };
    };
    const so = (ns: string, query: string): So => ({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'podinfo-so', namespace: ns },
      spec: {
        scaleTargetRef: { name: 'podinfo' },
        minReplicaCount: 1,
        maxReplicaCount: 3,
        triggers: [
          { type: 'prometheus', name: 'requests', metadata: { serverAddress: 'http://prom:9090', query, threshold: '5' } },
          { type: 'prometheus', name: 'given', metadata: { serverAddress: 'http://prom:9090', query: 'sum(up)', threshold: '5' } },
        ],
      },
    });
    s = await scenario({
      prefix: 'keda',
      crds: [KEDA_CRDS],
      before: async (ns, kube) => {
        await kube.create(Resources.scaledObjects, so(ns, 'sum(rate(http_requests_total{app="podinfo"}[30s]))'));
      },
      spec: {
        revertOnDeletion: true,
        autoscalerRef: {
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'ScaledObject',
          name: 'podinfo-so',
          primaryScalerQueries: { given: 'sum(rate(http_requests_total{app="podinfo-primary"}[1m]))' },
          primaryScalerReplicas: { minReplicas: 2, maxReplicas: 5 },
        },
      },
      analysis: { interval: '2s', stepWeight: 50, maxWeight: 50 },
    });
    const kube = s.client;
    const ns = s.ns;
    const primary = await kube.get<So>(Resources.scaledObjects, ns, 'podinfo-so-primary');
    expect(primary.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(primary.spec).toMatchObject({ scaleTargetRef: { name: 'podinfo-primary' }, minReplicaCount: 2, maxReplicaCount: 5 });
    expect(primary.spec.triggers.map((t) => t.metadata.query)).toEqual([
      'sum(rate(http_requests_total{app="podinfo-primary"}[30s]))',
      'sum(rate(http_requests_total{app="podinfo-primary"}[1m]))',
    ]);
    const user = await kube.get<So>(Resources.scaledObjects, ns, 'podinfo-so');
    expect(user.metadata.annotations?.['autoscaling.keda.sh/paused-replicas']).toBe('0');

    await kube.replace(Resources.scaledObjects, {
      ...user,
      spec: {
        ...user.spec,
        triggers: [{ ...user.spec.triggers[0]!, metadata: { ...user.spec.triggers[0]!.metadata, query: 'sum(x{app="podinfo-canary"})' } }],
      },
    });
    await waitFor(
      'the -primary ScaledObject in step with the changed one',
      async () => {
        const p = await kube.get<So>(Resources.scaledObjects, ns, 'podinfo-so-primary');
        return p.spec.triggers.length === 1 && p.spec.triggers[0]!.metadata.query === 'sum(x{app="podinfo-primary"})';
      },
      30_000,
    );

    await kube.delete(Resources.canaries, ns, 'podinfo');
    await waitFor(
      'the -primary ScaledObject gone and the pause lifted',
      async () => {
        const p = await kube.get<So>(Resources.scaledObjects, ns, 'podinfo-so-primary').catch(() => undefined);
        const u = await kube.get<So>(Resources.scaledObjects, ns, 'podinfo-so');
        return p === undefined && u.metadata.annotations?.['autoscaling.keda.sh/paused-replicas'] === undefined;
      },
      60_000,
    );
  });

  it('a DaemonSet is released on Istio: scaled to zero by a node selector, analysed step by step, promoted', async () => {
    s = await scenario({ prefix: 'daemonset', kind: 'DaemonSet', analysis: { interval: '2s', stepWeight: 50, maxWeight: 50 } });
    const target = await s.client.get<KubeObject & { spec: { template: { spec: Json } } }>(Resources.daemonSets, s.ns, 'podinfo');
    expect(target.spec.template.spec.nodeSelector).toEqual({ 'tollgate.dev/scale-to-zero': 'true' });
    const from = s.timeline.phases.length;
    s.timeline.routeWeights.length = 0;
    await patchTemplate(s.client, s.ns, Resources.daemonSets, 'podinfo', (spec) => {
      (spec.containers as { env: { name: string; value: string }[] }[])[0]!.env = [{ name: 'VERSION', value: 'v2' }];
    });
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
    expect(s.timeline.routeWeights).toEqual([50, 0]);
    const primary = await s.client.get<KubeObject & { spec: { template: { spec: { containers: { env: Json[] }[] } } } }>(
      Resources.daemonSets,
      s.ns,
      'podinfo-primary',
    );
    expect(primary.spec.template.spec.containers[0]!.env).toEqual([{ name: 'VERSION', value: 'v2' }]);
  });

  it('a failed revision is analysed again after the retry annotation, without touching the workload', async () => {
    let healthy = false;
    const server = http.createServer((_req, res) => res.writeHead(healthy ? 200 : 500).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      // threshold 2: the failing pre-rollout hook still fails the run within two intervals, and one check that
      // finds no canary traffic yet (a slow scrape) does not fail the retried run.
      s = await scenario({
        prefix: 'retry',
        analysis: { interval: '2s', threshold: 2, stepWeight: 50, maxWeight: 50, webhooks: [{ name: 'smoke', type: 'pre-rollout', url }] },
      });
      let from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
      await s.timeline.waitForPhase('Failed', 60_000, from);
      healthy = true;
      from = s.timeline.phases.length;
      const c = await s.client.get<Canary>(Resources.canaries, s.ns, 'podinfo');
      await s.client.patch(Resources.canaries, s.ns, 'podinfo', {
        metadata: { annotations: { 'tollgate.dev/retry': String(Date.now()) } },
      });
      await s.timeline.waitForPhase('Succeeded', 60_000, from);
      expect(s.timeline.canary?.status?.lastPromotedSpec).toBe(c.status?.lastAppliedSpec);
    } finally {
      server.close();
    }
  });
});
