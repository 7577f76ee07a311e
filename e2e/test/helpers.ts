import fs from 'node:fs';
import path from 'node:path';
import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { installCrds, uninstallCrds } from '../src/cluster/crds.js';
import { waitFor } from '../src/cluster/processes.js';
import { canaryFor, createNamespace, metricTemplates, sampleDeployment } from '../src/harness/fixtures.js';
import { routeReader, type RouteReader } from '../src/harness/route-readers.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';

/** One namespace with the sample app, an Istio Canary, its own operator process and a timeline observer. */
export interface Scenario {
  ns: string;
  client: KubeClient;
  operator: OperatorProcess;
  operators: OperatorProcess[];
  timeline: Timeline;
  stop(): Promise<void>;
}

export interface ScenarioOptions {
  prefix: string;
  /** The namespace to create; a unique one from prefix when absent. */
  ns?: string;
  provider?: string;
  analysis?: Parameters<typeof canaryFor>[3];
  spec?: Parameters<typeof canaryFor>[4];
  /** Upstream CRD files the provider needs, installed (or swapped in) before the Canary. */
  crds?: string[];
  /** Upstream CRD files whose CRDs must not be installed: deleted (with their objects) before the Canary. */
  withoutCrds?: string[];
  /** Which routing object the timeline reads the weights from, when not the provider's usual one (routeReader). */
  reader?: RouteReader;
  /** Create the MetricTemplates that TEMPLATE_METRICS refer to. */
  templates?: boolean;
  /** Objects (Secrets, ...) to create in the namespace before the Canary. */
  before?: (ns: string, kube: KubeClient) => Promise<void>;
  /** Wait for simulated users' traffic on the primary before returning (default true). */
  userTraffic?: boolean;
  /** The target's kind (Deployment by default) and a change to its manifest before it is created. */
  kind?: 'Deployment' | 'DaemonSet';
  mutateDeployment?: (d: ReturnType<typeof sampleDeployment>) => void;
  /** Operator replicas (each a process) and settings for them, e.g. leader election. */
  replicas?: number;
  operatorEnv?: Record<string, string>;
  /** The kubeconfig the operators run with (e.g. the chart's ServiceAccount); the admin's by default. */
  operatorKubeconfig?: (ns: string, kube: KubeClient) => Promise<string>;
}

export async function scenario(o: ScenarioOptions): Promise<Scenario> {
  const env = envInfo();
  const kube = await client();
  if (o.withoutCrds?.length) await uninstallCrds(kube, o.withoutCrds);
  if (o.crds?.length) await installCrds(kube, o.crds);
  const ns = o.ns ?? uniqueNs(o.prefix);
  const provider = o.provider ?? 'istio';
  await createNamespace(kube, ns);
  if (o.templates) for (const t of metricTemplates(ns)) await kube.create(Resources.metricTemplates, t);
  await o.before?.(ns, kube);
  const workload = sampleDeployment(ns, 'podinfo');
  o.mutateDeployment?.(workload);
  if (o.kind === 'DaemonSet') {
    const { replicas: _r, ...spec } = workload.spec;
    await kube.create(Resources.daemonSets, { ...workload, kind: 'DaemonSet', spec } as never);
  } else await kube.create(Resources.deployments, workload);
  const spec = {
    ...o.spec,
    ...(o.kind === 'DaemonSet' ? { targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } } : {}),
  };
  await kube.create(Resources.canaries, canaryFor(provider, ns, 'podinfo', o.analysis, spec));
  const reader = o.reader ?? routeReader(provider, Boolean(o.spec?.service?.gatewayRefs?.length));
  const timeline = new Timeline(kube, ns, 'podinfo', reader);
  await timeline.start();
  const logDir = path.join(RUN_DIR, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const operatorKubeconfig = o.operatorKubeconfig ? await o.operatorKubeconfig(ns, kube) : env.kubeconfig;
  const operators = Array.from(
    { length: o.replicas ?? 1 },
    (_, i) =>
      new OperatorProcess({
        kubeconfig: operatorKubeconfig,
        prometheusUrl: env.prometheusUrl,
        namespaces: [ns],
        logDir,
        label: `${ns}-${i}`,
        extraEnv: { ...(o.replicas ? { POD_NAME: `replica-${i}` } : {}), ...o.operatorEnv },
      }),
  );
  for (const op of operators) op.start();
  const operator = operators[0]!;
  await timeline.waitForPhase('Initialized', 60_000);
  if (o.userTraffic !== false) await primaryTraffic(ns);
  return {
    ns,
    client: kube,
    operator,
    operators,
    timeline,
    async stop() {
      timeline.stop();
      for (const op of operators) await op.stop();
      kube.close();
    },
  };
}

export const istioScenario = (prefix: string, analysis: ScenarioOptions['analysis'] = {}): Promise<Scenario> =>
  scenario({ prefix, analysis });

/** An instant PromQL query against the e2e Prometheus; the first sample's value, or undefined. */
export async function promQuery(query: string): Promise<number | undefined> {
  const res = await fetch(`${envInfo().prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

/**
 * Requests a workload served in the last `window` (Prometheus scrapes every second; a window of a few
 * seconds holds at least two samples even when a scrape is late). Undefined when Prometheus has no samples.
 */
/** Waits (up to a minute) until Prometheus has seen user traffic on podinfo-primary in the namespace. */
export const primaryTraffic = (ns: string): Promise<void> =>
  waitFor(
    'user traffic on the primary',
    async () =>
      ((await promQuery(`sum(istio_requests_total{destination_workload="podinfo-primary", destination_workload_namespace="${ns}"})`)) ??
        0) > 0,
    60_000,
  );

export function recentRequests(ns: string, workload: string, window = '4s'): Promise<number | undefined> {
  return promQuery(
    `sum(increase(istio_requests_total{destination_workload="${workload}", destination_workload_namespace="${ns}"}[${window}]))`,
  );
}

export async function getCanary(kube: KubeClient, ns: string, name = 'podinfo'): Promise<Canary> {
  return kube.get<Canary>(Resources.canaries, ns, name);
}

/** Events recorded about a Canary, oldest first. */
export async function canaryEvents(
  kube: KubeClient,
  ns: string,
): Promise<{ reason: string; message: string; type: string; count?: number }[]> {
  const list = await kube.list<{
    metadata: { name?: string };
    count?: number;
    reason: string;
    message: string;
    type: string;
    involvedObject: { kind: string };
    firstTimestamp: string;
  }>(Resources.events, ns);
  return list.items.filter((e) => e.involvedObject.kind === 'Canary').sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp));
}

export function isSubsequence(needle: string[], haystack: string[]): boolean {
  let i = 0;
  for (const h of haystack) if (h === needle[i]) i++;
  return i === needle.length;
}
