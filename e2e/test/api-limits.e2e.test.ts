import fs from 'node:fs';
import path from 'node:path';
import type { Deployment } from '@tollgate/operator/api/k8s';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { freePort, waitFor } from '../src/cluster/processes.js';
import { startApiFaultProxy, type ApiFaultProxy, type ProxiedRequest } from '../src/harness/api-proxy.js';
import { canaryFor, sampleDeployment, setEnv } from '../src/harness/fixtures.js';
import { envInfo, itOnMainPass, RUN_DIR } from './env.js';
import { getCanary, scenario, type Scenario } from './helpers.js';

const QPS = 5;
const BURST = 5;
const WATCH_TIMEOUT_S = 10;
const OTHER = 'podinfo-b';

/** The admin's token, read from the kubeconfig the environment wrote (kubeconfigYaml). */
function adminOf(kubeconfig: string): { server: string; token: string } {
  const text = fs.readFileSync(kubeconfig, 'utf8');
  return { server: /server: (\S+)/.exec(text)![1]!, token: /token: (\S+)/.exec(text)![1]! };
}

/** How late the proxy may stamp a request: it runs in the test's own event loop, which a loaded machine stalls. */
const STAMP_JITTER_MS = 1000;

/**
 * The requests beyond what a token bucket of burst tokens refilled at qps allows, in the worst span of arrivals:
 * for every span [a, b] of arrival times, count - (burst + qps * (b - a + STAMP_JITTER_MS)). Positive: the limit
 * was exceeded. (Without a limit, the operator's start alone sends a list and a watch per informer at once.)
 */
function worstExcess(requests: ProxiedRequest[], qps: number, burst: number): { excess: number; from: number; to: number } {
  const at = requests.map((r) => r.at).sort((a, b) => a - b);
  let worst = { excess: -Infinity, from: 0, to: 0 };
  for (let i = 0; i < at.length; i++) {
    for (let j = i; j < at.length && at[j]! - at[i]! < 60_000; j++) {
      const excess = j - i + 1 - (burst + (qps * (at[j]! - at[i]! + STAMP_JITTER_MS)) / 1000);
      if (excess > worst.excess) worst = { excess, from: at[i]!, to: at[j]! };
    }
  }
  return worst;
}

const param = (r: ProxiedRequest, name: string): string | null => new URL(r.url, 'http://x').searchParams.get(name);

async function phaseOf(kube: KubeClient, ns: string, name: string): Promise<string | undefined> {
  return (await getCanary(kube, ns, name)).status?.phase;
}

/** Requests at that priority that waited longer than le seconds for a token, from tollgate_kube_rate_limit_wait_seconds. */
function waitedOver(metrics: string, le: string, priority: 'due' | 'event'): number {
  const sample = (series: string): number => {
    const m = new RegExp(`^${series} (\\d+)$`, 'm').exec(metrics);
    return Number(m?.[1] ?? 0);
  };
  const name = 'tollgate_kube_rate_limit_wait_seconds';
  return sample(`${name}_count\\{priority="${priority}"\\}`) - sample(`${name}_bucket\\{le="${le}",priority="${priority}"\\}`);
}

describe('the API client behind a fault proxy: rate limit, 429 Retry-After, watch bookmarks and stalls', () => {
  let s: Scenario;
  let proxy: ApiFaultProxy;
  let metricsPort = 0;

  beforeAll(async () => {
    const env = envInfo();
    const admin = adminOf(env.kubeconfig);
    proxy = await startApiFaultProxy(admin.server, admin.token, path.join(RUN_DIR, 'api-proxy'));
    metricsPort = await freePort();
    s = await scenario({
      prefix: 'apilimits',
      operatorKubeconfig: async () => proxy.kubeconfig,
      // No metric checks: the releases depend on the API requests alone.
      analysis: { metrics: [] },
      operatorEnv: {
        PORT: String(metricsPort),
        KUBE_API_QPS: String(QPS),
        KUBE_API_BURST: String(BURST),
        KUBE_WATCH_TIMEOUT: `${WATCH_TIMEOUT_S}s`,
      },
      before: async (ns, kube) => {
        await kube.create(Resources.deployments, sampleDeployment(ns, OTHER));
        await kube.create(Resources.canaries, canaryFor('istio', ns, OTHER, { metrics: [] }));
      },
    });
    await waitFor('the second Canary initialized', async () => (await phaseOf(s.client, s.ns, OTHER)) === 'Initialized', 60_000);
  }, 180_000);

  const operatorMetrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

  afterAll(async () => {
    await s?.stop();
    await proxy?.stop();
    if (proxy) fs.writeFileSync(path.join(RUN_DIR, 'api-proxy', 'requests.json'), JSON.stringify(proxy.requests, null, 1));
  });

  itOnMainPass('watches ask for bookmarks and a server-side timeout (KUBE_WATCH_TIMEOUT, spread by up to a fifth)', () => {
    const watches = proxy.requests.filter((r) => r.watch);
    expect(watches.length).toBeGreaterThan(3);
    for (const w of watches) {
      expect([w.url, param(w, 'allowWatchBookmarks')]).toEqual([w.url, 'true']);
      // KUBE_WATCH_TIMEOUT plus up to a fifth of it, random (informers' watches do not all end at once).
      const t = Number(param(w, 'timeoutSeconds'));
      expect([w.url, t >= WATCH_TIMEOUT_S && t <= WATCH_TIMEOUT_S * 1.2]).toEqual([w.url, true]);
    }
  });

  itOnMainPass('answers 429 are sent again only after their Retry-After, counted, and two releases still complete', async () => {
    const from = proxy.requests.length;
    proxy.faults.throttle = { every: 4, retryAfterSeconds: 1 };
    try {
      await Promise.all([setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' }), setEnv(s.client, s.ns, OTHER, { VERSION: 'v2' })]);
      await waitFor(
        'both releases Succeeded',
        async () => (await phaseOf(s.client, s.ns, 'podinfo')) === 'Succeeded' && (await phaseOf(s.client, s.ns, OTHER)) === 'Succeeded',
        150_000,
      );
    } finally {
      proxy.faults.throttle = undefined;
    }
    const seen = proxy.requests.slice(from);
    const throttled = seen.filter((r) => r.fate === 'throttled');
    expect(throttled.length).toBeGreaterThan(5);
    for (const t of throttled) {
      const again = seen.find((r) => r.at > t.at && r.method === t.method && r.url === t.url && r.body === t.body);
      if (again) expect({ url: t.url, waited: again.at - t.at >= 990 }).toEqual({ url: t.url, waited: true });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const counted = [...metrics.matchAll(/^tollgate_kube_throttled_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(proxy.requests.filter((r) => r.fate === 'throttled').length);
  });

  itOnMainPass('the operator never sends more than its --kube-api-qps and --kube-api-burst allow', async () => {
    const worst = worstExcess(proxy.requests, QPS, BURST);
    const span = proxy.requests
      .filter((r) => r.at >= worst.from && r.at <= worst.to)
      .map((r) => `${r.at - worst.from} ${r.method} ${r.url}`);
    if (worst.excess > 0) throw new Error(`${worst.excess.toFixed(2)} requests over the limit in:\n${span.join('\n')}`);
    expect(worst.excess).toBeLessThanOrEqual(0);
    const metrics = await operatorMetrics();
    // The limit was reached: some requests waited for a token.
    expect(waitedOver(metrics, '0.005', 'due') + waitedOver(metrics, '0.005', 'event')).toBeGreaterThan(0);
  });

  itOnMainPass(
    'a stalled watch is ended by its idle deadline and resumed from its resourceVersion; a change made meanwhile is seen',
    async () => {
      proxy.faults.stallWatch = new RegExp(`/apis/apps/v1/namespaces/${s.ns}/deployments\\?.*watch=true`);
      await waitFor(
        'a stalled Deployment watch',
        async () => proxy.requests.some((r) => r.fate === 'stalled'),
        (WATCH_TIMEOUT_S + 5) * 1000,
      );
      const stalled = proxy.requests.find((r) => r.fate === 'stalled')!;
      const from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v3' });
      await s.timeline.waitForPhase('Succeeded', 150_000, from);
      expect(stalled.closedAt).toBeDefined();
      // Idle deadline: timeoutSeconds plus half of it (the margin for a timeout this short).
      expect(stalled.closedAt! - stalled.at).toBeGreaterThanOrEqual(WATCH_TIMEOUT_S * 1500 - 100);
      const deployments = proxy.requests.filter((r) => r.url.startsWith(`/apis/apps/v1/namespaces/${s.ns}/deployments?`));
      const next = deployments[deployments.indexOf(stalled) + 1]!;
      expect({ watch: next.watch, resourceVersion: param(next, 'resourceVersion') }).toEqual({
        watch: true,
        resourceVersion: param(stalled, 'resourceVersion'),
      });
      const primary = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
      expect(primary.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'VERSION', value: 'v3' });
    },
  );

  itOnMainPass('with tokens short, the requests of a due analysis step get them before a burst of event-woken work', async () => {
    const before = await operatorMetrics();
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v4' });
    await waitFor('the first step', async () => ((await getCanary(s.client, s.ns)).status?.canaryWeight ?? 0) > 0, 60_000);
    // Work woken by events: Canaries to initialise, a dozen requests each, about 25 s of tokens at QPS 5. Their own
    // timers are a minute away, so none of their requests is due.
    const burst = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    const at = Date.now();
    for (const name of burst) {
      await s.client.create(Resources.deployments, sampleDeployment(s.ns, name));
      await s.client.create(Resources.canaries, canaryFor('istio', s.ns, name, { metrics: [], interval: '1m' }));
    }
    await s.timeline.waitForPhase('Succeeded', 150_000, from);
    await waitFor(
      'the burst initialized',
      async () => (await Promise.all(burst.map((n) => phaseOf(s.client, s.ns, n)))).every((p) => p === 'Initialized'),
      150_000,
    );
    const after = await operatorMetrics();
    const delta = (le: string, p: 'due' | 'event'): number => waitedOver(after, le, p) - waitedOver(before, le, p);
    // The burst was a backlog: many of its requests waited more than 2.5 s for a token...
    expect(delta('2.5', 'event')).toBeGreaterThan(20);
    // ...while the release's steps, due in the middle of it, wrote the Canary's status...
    const burstRequests = proxy.requests.filter((r) => r.at >= at && r.url.includes('/burst-'));
    const span = { from: burstRequests[0]!.at, to: burstRequests.at(-1)!.at };
    const steps = proxy.requests.filter(
      (r) => r.method === 'PUT' && r.url.endsWith(`/namespaces/${s.ns}/canaries/podinfo/status`) && r.at > span.from && r.at < span.to,
    );
    expect(steps.length).toBeGreaterThanOrEqual(2);
    // ...and no due request waited that long: each was sent with one of the next tokens.
    expect(delta('2.5', 'due')).toBe(0);
  });
});
