import fs from 'node:fs';
import path from 'node:path';
import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { createNamespace, istioCanary, sampleDeployment } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';

/** One namespace with the sample app, an Istio Canary, its own operator process and a timeline observer. */
export interface Scenario {
  ns: string;
  client: KubeClient;
  operator: OperatorProcess;
  timeline: Timeline;
  stop(): Promise<void>;
}

export async function istioScenario(prefix: string, analysis: Parameters<typeof istioCanary>[2] = {}): Promise<Scenario> {
  const env = envInfo();
  const kube = await client();
  const ns = uniqueNs(prefix);
  await createNamespace(kube, ns);
  await kube.create(Resources.deployments, sampleDeployment(ns, 'podinfo'));
  await kube.create(Resources.canaries, istioCanary(ns, 'podinfo', analysis));
  const timeline = new Timeline(kube, ns, 'podinfo');
  await timeline.start();
  const logDir = path.join(RUN_DIR, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const operator = new OperatorProcess({ kubeconfig: env.kubeconfig, prometheusUrl: env.prometheusUrl, namespaces: [ns], logDir });
  operator.start();
  await timeline.waitForPhase('Initialized', 60_000);
  return {
    ns, client: kube, operator, timeline,
    async stop() {
      timeline.stop();
      await operator.stop();
      kube.close();
    },
  };
}

/** An instant PromQL query against the e2e Prometheus; the first sample's value, or undefined. */
export async function promQuery(query: string): Promise<number | undefined> {
  const res = await fetch(`${envInfo().prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

export async function getCanary(kube: KubeClient, ns: string, name = 'podinfo'): Promise<Canary> {
  return kube.get<Canary>(Resources.canaries, ns, name);
}

/** Events recorded about a Canary, oldest first. */
export async function canaryEvents(kube: KubeClient, ns: string): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await kube.list<{ metadata: { name?: string }; reason: string; message: string; type: string; involvedObject: { kind: string }; firstTimestamp: string }>(Resources.events, ns);
  return list.items.filter((e) => e.involvedObject.kind === 'Canary').sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp));
}

export function isSubsequence(needle: string[], haystack: string[]): boolean {
  let i = 0;
  for (const h of haystack) if (h === needle[i]) i++;
  return i === needle.length;
}
