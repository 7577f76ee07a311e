import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resources } from '@tollgate/operator/kube/resources';
import { startDemoDashboard, type DemoDashboard } from './demo-dashboard.js';
import { startEnvironment } from './harness/environment.js';
import { createNamespace, istioCanary, sampleDeployment, setEnv } from './harness/fixtures.js';
import { Timeline, type Sample } from './harness/observe.js';
import { OperatorProcess } from './harness/operator-process.js';

/**
 * `make demo`: two real canary releases on the local control plane, printed as they happen.
 * v2 is healthy and promoted step by step; v3 fails half its requests and is rolled back.
 * With DEMO_DASHBOARD=<port> (`make demo DASHBOARD=3100`; 0 for any free port) it also starts
 * `kubectl tollgate dashboard` on the demo's cluster and prints the Canary's page; on a terminal (or with DEMO_HOLD=1)
 * it then waits for a line on stdin before it tears the cluster down, so the page can be looked at after the releases.
 */
const say = (msg: string): void => void process.stdout.write(`${msg}\n`);

function printSample(start: number, s: Sample): void {
  const t = ((s.at - start) / 1000).toFixed(1).padStart(6);
  say(
    `  ${t}s  ${s.phase.padEnd(16)} weight ${String(s.weight).padStart(3)}  failed ${s.failedChecks}  ${s.checks}${s.detail ? `  | ${s.detail}` : ''}`,
  );
}

let releaseStart = 0;

async function release(timeline: Timeline, run: () => Promise<void>, until: string[], title: string): Promise<void> {
  say(`\n${title}`);
  const start = Date.now();
  const from = timeline.phases.length;
  await run();
  releaseStart = start;
  // The end of this release, not a late status write of the previous one: an end phase after the run started.
  const started = timeline.phases.indexOf(await timeline.waitForPhase('Progressing', 180_000, from));
  const end = await Promise.race(until.map((p) => timeline.waitForPhase(p, 180_000, started)));
  say(
    `  -> ${end.phase} after ${((end.at - start) / 1000).toFixed(1)}s; canary weights written to the VirtualService: ${timeline.routeWeights.join(' > ')}`,
  );
}

/** What to stop before the demo exits, last started first: on its end, its failure, or Ctrl-C / SIGTERM. */
const teardown: (() => Promise<void>)[] = [];

async function tearDown(): Promise<void> {
  for (const stop of teardown.splice(0).reverse()) await stop().catch(() => undefined);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    say(`\n${signal}: stopping the demo's processes`);
    void tearDown().finally(() => process.exit(130));
  });

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-demo-'));
  say(`Starting etcd, kube-apiserver, kube-controller-manager, the simulator and Prometheus (logs in ${dir})`);
  const env = await startEnvironment(dir);
  teardown.push(() => env.stop());
  const operator = new OperatorProcess({ kubeconfig: env.kubeconfig, prometheusUrl: env.prometheusUrl, namespaces: ['demo'], logDir: dir });
  teardown.push(() => operator.stop());
  try {
    await createNamespace(env.client, 'demo');
    await env.client.create(Resources.deployments, sampleDeployment('demo', 'podinfo'));
    await env.client.create(Resources.canaries, istioCanary('demo', 'podinfo'));
    const timeline = new Timeline(env.client, 'demo', 'podinfo');
    await timeline.start();
    timeline.onSample((s) => {
      if (releaseStart) printSample(releaseStart, s);
    });
    const dashboard = await maybeDashboard(env.kubeconfig);
    if (dashboard) teardown.push(() => dashboard.stop());
    operator.start();
    say('Operator started; Canary demo/podinfo: istio, step 20% every 3s up to 60%, success rate >= 99%, p99 <= 500ms');
    await timeline.waitForPhase('Initialized', 60_000);
    say('Initialized: podinfo-primary serves v1, all traffic on the primary.');
    timeline.routeWeights.length = 0;
    await release(
      timeline,
      () => setEnv(env.client, 'demo', 'podinfo', { VERSION: 'v2' }),
      ['Succeeded', 'Failed'],
      'Release v2 (healthy):',
    );
    timeline.routeWeights.length = 0;
    await release(
      timeline,
      () => setEnv(env.client, 'demo', 'podinfo', { VERSION: 'v3', ERROR_RATE: '0.5' }),
      ['Failed', 'Succeeded'],
      'Release v3 (50% of requests fail):',
    );
    releaseStart = 0;
    say(`\nDone. Operator log: ${operator.logFile}`);
    timeline.stop();
    if (dashboard && (process.stdin.isTTY || process.env.DEMO_HOLD === '1')) await holdForDashboard(dashboard.url);
  } finally {
    await tearDown();
  }
}

/** The dashboard when DEMO_DASHBOARD names a port; its address is printed. */
async function maybeDashboard(kubeconfig: string): Promise<DemoDashboard | undefined> {
  const port = process.env.DEMO_DASHBOARD;
  if (!port) return undefined;
  const dashboard = await startDemoDashboard(kubeconfig, 'demo', 'podinfo', port);
  say(`Dashboard (kubectl tollgate dashboard -n demo): ${dashboard.url}`);
  return dashboard;
}

async function holdForDashboard(url: string): Promise<void> {
  say(`The dashboard stays up at ${url}: press Enter to stop the demo.`);
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
