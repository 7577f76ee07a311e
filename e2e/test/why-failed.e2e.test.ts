import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resources } from '@tollgate/operator/kube/resources';
import type { AlertProvider } from '@tollgate/operator/api/types';
import { freePort, waitFor } from '../src/cluster/processes.js';
import { setEnv } from '../src/harness/fixtures.js';
import { canaryEvents, getCanary, scenario, type Scenario } from './helpers.js';

/**
 * Issue 16, parts 3 and 4: a dry-run metric is reported but never fails a release; a release whose canary pods
 * fail (as the simulated kubelet and scheduler report it: SIM_FAIL) names the pod and the reason in the Stalled
 * condition, the RolledBack Event and the alert.
 */
describe('dry-run metrics and why a canary failed', () => {
  const received: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end('ok');
    });
  });
  let s: Scenario | undefined;
  let metricsPort = 0;

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    metricsPort = await freePort();
    const address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/alerts`;
    s = await scenario({
      prefix: 'why',
      operatorEnv: { PORT: String(metricsPort) },
      before: async (ns, kube) => {
        const provider: AlertProvider = {
          apiVersion: 'tollgate.dev/v1beta1',
          kind: 'AlertProvider',
          metadata: { name: 'on-call', namespace: ns },
          spec: { type: 'slack', channel: 'releases', address },
        };
        await kube.create(Resources.alertProviders, provider);
      },
      analysis: {
        interval: '2s',
        threshold: 1,
        stepWeight: 50,
        maxWeight: 50,
        metrics: [
          { name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } },
          // Always out of range (or without data): a failed check on every step, were it not a dry run.
          { name: 'request-duration', interval: '10s', thresholdRange: { max: 0.000001 }, dryRun: true },
        ],
        alerts: [{ name: 'on-call', severity: 'error', providerRef: { name: 'on-call' } }],
      },
      spec: { progressDeadlineSeconds: 30 },
    });
  }, 180_000);

  afterAll(async () => {
    await s?.stop();
    receiver.close();
  });

  it('a dry-run metric failing every step (threshold 1) is reported in status, Events and metrics, and the revision is promoted', async () => {
    const from = s!.timeline.phases.length;
    await setEnv(s!.client, s!.ns, 'podinfo', { VERSION: 'v2' });
    await s!.timeline.waitForPhase('Succeeded', 120_000, from);
    const c = await getCanary(s!.client, s!.ns);
    expect(c.status?.failedChecks).toBe(0);
    expect(c.status?.lastChecks).toContainEqual(expect.objectContaining({ name: 'request-duration', ok: false, dryRun: true }));
    const dry = (await canaryEvents(s!.client, s!.ns)).filter((e) => e.reason === 'DryRunCheckFailed');
    expect(dry.length).toBeGreaterThan(0);
    expect(dry[0]).toMatchObject({ type: 'Warning', message: expect.stringContaining('request-duration') });
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_canary_checks_total\{[^}]*metric="request-duration"[^}]*dry_run="true"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_canary_checks_total\{[^}]*metric="request-success-rate",result="pass",dry_run="false"\} [1-9]/);
    expect(received.filter((b) => b.includes('request-duration'))).toEqual([]);
  });

  it.each([
    [
      'OOMKilled',
      /pod podinfo-[a-z0-9]+-[a-z0-9]+: OOMKilled \(container app: killed for exceeding its memory limit; last exit OOMKilled, code 137/,
    ],
    ['ImagePullBackOff', /pod podinfo-[a-z0-9]+-[a-z0-9]+: ImagePullBackOff \(container app: Back-off pulling image/],
    ['Unschedulable', /pod podinfo-[a-z0-9]+-[a-z0-9]+: Unschedulable \(0\/1 nodes are available: 1 Insufficient memory/],
  ])(
    'canary pods failing with %s: the rollback after progressDeadlineSeconds names the pod and why, in condition, Event and alert',
    async (failure, named) => {
      const from = s!.timeline.phases.length;
      const alertsBefore = received.length;
      await setEnv(s!.client, s!.ns, 'podinfo', { VERSION: `bad-${failure}`, SIM_FAIL: failure });
      // The previous run ended Failed too, and its Failed samples go on (detail changes): Failed after this run's start.
      const started = await s!.timeline.waitForPhase('Progressing', 60_000, from);
      await s!.timeline.waitForPhase('Failed', 120_000, s!.timeline.phases.indexOf(started));
      const c = await getCanary(s!.client, s!.ns);
      const stalled = c.status?.conditions?.find((x) => x.type === 'Stalled');
      expect(stalled).toMatchObject({ status: 'True', reason: 'Failed' });
      expect(stalled?.message).toContain('not ready within progressDeadlineSeconds (30s): 0 of 1 replicas available; ');
      expect(stalled?.message).toMatch(named);
      // The Events are recorded after the status that says Failed.
      const rolledBack = async (): Promise<boolean> =>
        (await canaryEvents(s!.client, s!.ns)).some((e) => e.reason === 'RolledBack' && named.test(e.message));
      await waitFor('the RolledBack Event naming the pod', rolledBack, 15_000);
      await waitFor('the alert', async () => received.slice(alertsBefore).some((b) => named.test(b)), 15_000);
      // Before the deadline, a CanaryNotReady Warning named the pod: once, not at every check of the 30 s wait (a
      // pod whose reason flips away and back may be told again).
      const early = (await canaryEvents(s!.client, s!.ns)).filter((e) => e.reason === 'CanaryNotReady' && named.test(e.message));
      const times = early.reduce((n, e) => n + (e.count ?? 1), 0);
      expect(early[0]?.type).toBe('Warning');
      expect(times).toBeGreaterThanOrEqual(1);
      expect(times).toBeLessThanOrEqual(2);
    },
  );
});
