import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resources } from '@tollgate/operator/kube/resources';
import type { AlertProvider } from '@tollgate/operator/api/types';
import { waitFor } from '../src/cluster/processes.js';
import { setEnv } from '../src/harness/fixtures.js';
import { scenario, type Scenario } from './helpers.js';

describe('alerts', () => {
  const received: { path: string; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  let s: Scenario | undefined;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    await s?.stop();
    server.close();
  });

  it('a rollback reaches a Slack receiver with the failing metric, its value and its threshold', async () => {
    const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
    s = await scenario({
      prefix: 'alerts',
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
        alerts: [{ name: 'on-call', severity: 'error', providerRef: { name: 'on-call' } }],
      },
    });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2', ERROR_RATE: '0.8' });
    await s.timeline.waitForPhase('Failed', 60_000, from);
    await waitFor('the alert', async () => received.length > 0, 15_000);
    expect(received).toHaveLength(1);
    const text = JSON.stringify(received[0]!.body);
    expect(received[0]!.path).toBe('/services/T000/B000/XXXX');
    expect(received[0]!.body.channel).toBe('releases');
    expect(text).toContain('podinfo');
    expect(text).toMatch(/request-success-rate/);
    expect(text).toMatch(/99/);
  });
});
