import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { installCrds } from '../src/cluster/crds.js';
import { createNamespace } from '../src/harness/fixtures.js';
import { KnativeStandIn, revisionShares, sampleKnativeService, type Ksvc } from '../src/harness/knative.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { KNATIVE_CRDS } from '../src/harness/paths.js';
import { chartOperatorCredentials } from '../src/harness/service-account.js';
import { client, envInfo, itOnMainPass, RUN_DIR, uniqueNs } from './env.js';

/** Each distinct split the Knative Service's spec.traffic carried, as revision -> percent, read from the API server. */
class TrafficLog {
  readonly splits: Record<string, number>[] = [];
  private readonly informer: Informer<Ksvc>;

  constructor(kube: KubeClient, ns: string) {
    this.informer = new Informer<Ksvc>({
      client: kube,
      resource: Resources.knativeServices,
      namespaces: [ns],
      logger: createLogger('warn', 'e2e'),
    });
    const record = (svc: Ksvc): void => {
      if (!svc.spec.traffic) return;
      const split = revisionShares(svc);
      const last = this.splits[this.splits.length - 1];
      if (!last || JSON.stringify(last) !== JSON.stringify(split)) this.splits.push(split);
    };
    this.informer.on('add', record).on('update', record);
  }

  start = (): Promise<void> => this.informer.start();
  stop = (): void => this.informer.stop();

  /** The share of one revision in each split since `from`, consecutive repeats dropped. */
  sharesOf(revision: string, from = 0): number[] {
    return this.splits
      .slice(from)
      .map((s) => s[revision] ?? 0)
      .filter((w, i, all) => i === 0 || all[i - 1] !== w);
  }
}

async function setTemplateEnv(kube: KubeClient, ns: string, env: Record<string, string>): Promise<void> {
  for (;;) {
    const svc = await kube.get<Ksvc>(Resources.knativeServices, ns, 'podinfo');
    svc.spec.template.spec.containers[0]!.env = Object.entries(env).map(([name, value]) => ({ name, value }));
    try {
      await kube.replace(Resources.knativeServices, svc);
      return;
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }
}

/**
 * provider: knative on the real Knative CRDs (serving.knative.dev/v1 Service and Revision). No Knative controller runs
 * here: KnativeStandIn (e2e/src/harness/knative.ts) plays its part, creating a Revision for each new template and
 * writing the Service's status. The split is read back from the Service's spec.traffic by TrafficLog.
 */
describe('Knative Service (provider knative)', () => {
  let kube: KubeClient;
  let ns: string;
  let standIn: KnativeStandIn;
  let traffic: TrafficLog;
  let timeline: Timeline;
  let operator: OperatorProcess;
  let server: http.Server;
  let healthy = true;

  beforeAll(async () => {
    kube = await client();
    await installCrds(kube, KNATIVE_CRDS);
    ns = uniqueNs('knative');
    await createNamespace(kube, ns);
    server = http.createServer((_req, res) => res.writeHead(healthy ? 200 : 500).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await kube.create(Resources.knativeServices, sampleKnativeService(ns, 'podinfo', { VERSION: 'v1' }));
    standIn = new KnativeStandIn(kube, ns, 'podinfo');
    standIn.start();
    const canary: Canary = {
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: ns },
      spec: {
        provider: 'knative',
        targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' },
        progressDeadlineSeconds: 60,
        analysis: { interval: '2s', threshold: 2, stepWeight: 25, maxWeight: 50, webhooks: [{ name: 'smoke', type: 'rollout', url }] },
      },
    };
    await kube.create(Resources.canaries, canary);
    traffic = new TrafficLog(kube, ns);
    timeline = new Timeline(kube, ns, 'podinfo', undefined);
    await Promise.all([traffic.start(), timeline.start()]);
    fs.mkdirSync(RUN_DIR, { recursive: true });
    // The operator runs with exactly the rights the chart grants (a Role in the namespace, the knative rules included).
    const kubeconfig = await chartOperatorCredentials(kube, envInfo().kubeconfig, {
      release: ns,
      namespace: ns,
      dir: path.join(RUN_DIR, 'knative', ns),
      values: [`operator.watchNamespaces={${ns}}`],
    });
    operator = new OperatorProcess({
      kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir: RUN_DIR,
    });
    operator.start();
    await timeline.waitForPhase('Initialized', 60_000);
  });

  afterAll(async () => {
    timeline?.stop();
    traffic?.stop();
    standIn?.stop();
    await operator?.stop();
    server?.close();
    kube?.close();
  });

  it('initializes on the current Revision: all traffic to it, no Service or Deployment generated', async () => {
    expect(traffic.splits[traffic.splits.length - 1]).toEqual({ 'podinfo-00001': 100 });
    expect(timeline.canary?.status).toMatchObject({ lastPromotedSpec: 'podinfo-00001', lastAppliedSpec: 'podinfo-00001' });
    expect((await kube.list(Resources.services, ns)).items).toEqual([]);
    expect((await kube.list(Resources.deployments, ns)).items).toEqual([]);
  });

  it('promotes a new Revision step by step: the split moves to it, then all traffic is on it', async () => {
    const from = timeline.phases.length;
    const split = traffic.splits.length;
    await setTemplateEnv(kube, ns, { VERSION: 'v2' });
    await timeline.waitForPhase('Succeeded', 60_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(standIn.lastError).toBeUndefined();
    expect(traffic.sharesOf('podinfo-00002', split)).toEqual([0, 25, 50, 100]);
    expect(traffic.splits[traffic.splits.length - 1]).toEqual({ 'podinfo-00002': 100 });
    expect(timeline.canary?.status).toMatchObject({ lastPromotedSpec: 'podinfo-00002', canaryWeight: 0 });
  });

  // The same objects and verbs as the promotion: not run again in the compatibility pass.
  itOnMainPass('rolls back a Revision whose checks fail: all traffic back on the primary Revision', async () => {
    const from = timeline.phases.length;
    const split = traffic.splits.length;
    healthy = false;
    await setTemplateEnv(kube, ns, { VERSION: 'v3' });
    const failed = await timeline.waitForPhase('Failed', 60_000, from);
    expect(failed.failedChecks).toBe(2);
    await new Promise((r) => setTimeout(r, 500));
    expect(traffic.sharesOf('podinfo-00003', split)).toEqual([0, 25, 0]);
    expect(traffic.splits[traffic.splits.length - 1]).toEqual({ 'podinfo-00002': 100, 'podinfo-00003': 0 });
    expect(timeline.canary?.status).toMatchObject({ lastPromotedSpec: 'podinfo-00002', lastAppliedSpec: 'podinfo-00003' });
  });

  it("was refused no request with the chart's rights", () => {
    const refused = fs
      .readFileSync(operator.logFile!, 'utf8')
      .split('\n')
      .filter((l) => /: 40[13] (Unauthorized|Forbidden)\b/.test(l));
    expect(refused.slice(0, 3)).toEqual([]);
  });
});
