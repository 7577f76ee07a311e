import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gateKey, namespaceKey } from '@tollgate/contract/signature';
import type { Canary, CanaryWebhook } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { createNamespace, setEnv } from '../src/harness/fixtures.js';
import { HooksProcess } from '../src/harness/hooks-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { promQuery, scenario, type Scenario } from './helpers.js';

const run = promisify(execFile);

/** A CI job's signed curl with the gate key of its namespace: the hooks_call function of hooks/README.md, as written there. */
async function ciCall(key: string, hooksUrl: string, method: 'GET' | 'POST', target: string, body?: object): Promise<string> {
  const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'hooks', 'README.md'), 'utf8');
  const fn = /```sh\n(# hooks_call[\s\S]*?\n\})\n/.exec(readme)?.[1];
  if (!fn) throw new Error('hooks/README.md has no hooks_call function');
  const script = `set -eu\n${fn}\nhooks_call "$@"`;
  const env = { PATH: process.env.PATH ?? '', GATE_KEY: key, HOOKS: hooksUrl };
  return (await run('bash', ['-c', script, 'ci', method, target, ...(body ? [JSON.stringify(body)] : [])], { env })).stdout;
}

describe('webhooks served by the hooks service', () => {
  const token = randomBytes(24).toString('hex');
  const hmacKey = randomBytes(24).toString('hex');
  let kube: KubeClient;
  let hooks: HooksProcess;
  let s: Scenario | undefined;

  /** A Secret for the Canary's webhooks: a bearer header (token mode), or the namespace's own key (derived from the master). */
  const authSecret =
    (kind: 'bearer' | 'hmac') =>
    async (ns: string, k: KubeClient): Promise<void> => {
      const data = kind === 'bearer' ? { Authorization: `Bearer ${token}` } : { 'hmac-key': namespaceKey(hmacKey, ns) };
      const stringData = Object.fromEntries(Object.entries(data));
      await k.create(Resources.secrets, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'hooks-auth', namespace: ns },
        stringData,
      } as never);
    };
  const hook = (h: Partial<CanaryWebhook> & { name: string }): CanaryWebhook => ({
    url: `${hooks.url}/`,
    timeout: '15s',
    secretRef: { name: 'hooks-auth' },
    ...h,
  });

  beforeAll(async () => {
    kube = await client();
    const gateNs = uniqueNs('hooks-gates');
    await createNamespace(kube, gateNs);
    hooks = new HooksProcess({
      kubeconfig: envInfo().kubeconfig,
      gateNamespace: gateNs,
      token,
      hmacKey,
      logDir: path.join(RUN_DIR, 'logs'),
    });
    await hooks.start();
  });

  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  afterAll(async () => {
    await hooks?.stop();
    kube.close();
  });

  it('a failing pre-rollout smoke test halts the release before any traffic reaches the canary', async () => {
    s = await scenario({
      prefix: 'smoke',
      before: authSecret('bearer'),
      analysis: {
        interval: '2s',
        threshold: 1,
        webhooks: [
          hook({ name: 'smoke', type: 'pre-rollout', metadata: { type: 'http', url: 'http://127.0.0.1:9/health', expectedStatus: '200' } }),
        ],
      },
    });
    s.timeline.routeWeights.length = 0;
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Failed', 60_000, from);
    expect(s.timeline.routeWeights.filter((w) => w > 0)).toEqual([]);
    const c = await s.client.get<Canary>(Resources.canaries, s.ns, 'podinfo');
    expect(c.status?.lastChecks?.[0]).toMatchObject({ name: 'smoke', ok: false, reason: 'WebhookFailed' });
  });

  it('a hey load test, signed with HMAC, generates the canary traffic the metric checks need', async () => {
    const ns = uniqueNs('loadtest');
    const cmd = `hey -z 2m -q 10 -c 2 ${envInfo().simUrl}/svc/${ns}/podinfo-canary/`;
    s = await scenario({
      prefix: 'loadtest',
      ns,
      before: authSecret('hmac'),
      userTraffic: false,
      spec: { service: { port: 9898, apex: { annotations: { 'sim.tollgate.dev/rps': '0' } } } },
      analysis: {
        interval: '3s',
        threshold: 3,
        stepWeight: 25,
        maxWeight: 50,
        webhooks: [hook({ name: 'load', type: 'rollout', metadata: { type: 'cmd', cmd } })],
      },
    });
    const from = s.timeline.phases.length;
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Succeeded', 120_000, from);
    const canary = await promQuery(`sum(istio_requests_total{destination_workload="podinfo", destination_workload_namespace="${ns}"})`);
    expect(canary).toBeGreaterThan(20);
    const primary = await promQuery(
      `sum(istio_requests_total{destination_workload="podinfo-primary", destination_workload_namespace="${ns}"})`,
    );
    expect(primary ?? 0).toBe(0);
  });

  it('confirm-promotion (signed) holds the release until a CI job opens the gate with its gate key and curl, and the gate survives a restart of the service', async () => {
    s = await scenario({
      prefix: 'gate',
      before: authSecret('hmac'),
      analysis: {
        interval: '2s',
        stepWeight: 50,
        maxWeight: 50,
        webhooks: [hook({ name: 'ci-approval', type: 'confirm-promotion', url: `${hooks.url}/gate/check` })],
      },
    });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    const waiting = await s.timeline.waitForPhase('WaitingPromotion', 60_000, from);
    await new Promise((r) => setTimeout(r, 5000));
    expect(s.timeline.phases.slice(from).some((p) => p.phase === 'Promoting')).toBe(false);
    expect(waiting.weight).toBe(50);
    const target = { name: 'podinfo', namespace: s.ns };
    const ciKey = gateKey(namespaceKey(hmacKey, s.ns));
    await expect(ciCall(gateKey(namespaceKey(hmacKey, 'another-team')), hooks.url, 'POST', '/gate/open', target)).rejects.toThrow(/401/);
    await ciCall(ciKey, hooks.url, 'POST', '/gate/open', target);
    await hooks.kill();
    await hooks.start();
    const status = JSON.parse(await ciCall(ciKey, hooks.url, 'GET', `/gate/status?namespace=${s.ns}&name=podinfo`)) as { gate: string };
    expect(status.gate).toBe('open');
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
  });

  it('refuses a caller without credentials', async () => {
    const res = await fetch(`${hooks.url}/gate/open`, {
      method: 'POST',
      body: '{"name":"x","namespace":"y"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
  });
});
