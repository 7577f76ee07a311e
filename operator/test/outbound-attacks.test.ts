/**
 * Security findings 6, 8 and 10 (issue 12): each test performs the attack against local hostile servers and
 * shows no harm. The table in docs/security.md names each one.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createNotifier } from '../src/alerts/factory.js';
import { AlertDeliveryError } from '../src/alerts/notifier.js';
import type { Canary, CanaryWebhook } from '../src/api/types.js';
import type { ControllerDeps } from '../src/controller/deps.js';
import { callHook, notifyEventHooks, payloadOf } from '../src/controller/webhook-calls.js';
import { Turn } from '../src/controller/turn.js';
import { ambientCredentialsAllowed } from '../src/metrics/analyzer.js';
import { createMetricProvider } from '../src/metrics/factory.js';
import { ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { CloudWatchProvider } from '../src/metrics/providers/cloudwatch.js';
import { StackdriverProvider } from '../src/metrics/providers/stackdriver.js';
import { silentLogger } from '../src/util/log.js';
import type { WebhookPayload } from '@tollgate/contract/payload';
import { HttpWebhookRunner } from '../src/webhooks/runner.js';
import { answer, HostileServer, hugeBody, MiB, peakMemoryGrowth, redirectTo, silent, trickle, type Behaviour } from './fakes/hostile.js';
import { outboundClient, providerCtx, testHttp, webhookLimits } from './fakes/outbound.js';
import { failure, signal } from './fakes/vendor-api.js';

const servers: HostileServer[] = [];
async function hostile(b: Behaviour): Promise<HostileServer> {
  const s = await new HostileServer(b).start();
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const payload = { name: 'podinfo', namespace: 'test', phase: 'Progressing', metadata: {} } as unknown as WebhookPayload;
const hook = (url: string, h: Partial<CanaryWebhook> = {}): CanaryWebhook => ({ name: 'gate', type: 'pre-rollout', url, ...h });
const notification = {
  canary: { name: 'podinfo', namespace: 'test' },
  severity: 'error' as const,
  reason: 'RolledBack',
  message: 'rolled back',
  phase: 'Failed',
  weight: 0,
  revision: 'r1',
  fields: [],
};
/** Waits (up to 2 s) for the server to see the client hang up. */
async function hungUp(s: HostileServer): Promise<boolean> {
  for (let i = 0; i < 200 && !s.log.cut; i++) await new Promise((r) => setTimeout(r, 10));
  return s.log.cut;
}

/** Growth allowed while a 50 MB answer is refused at the 1 MiB cap: the cap, one chunk in flight, and noise. */
const MAX_GROWTH = 8 * MiB;
const HUGE = 50 * MiB;

/** A service account key whose token_uri is the hostile server (the tenant's own key: allowed anywhere). */
function serviceAccountKey(tokenUri: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return JSON.stringify({
    type: 'service_account',
    client_email: 'x@p.iam.gserviceaccount.com',
    token_uri: tokenUri,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
}

/** Every metric provider, configured to reach `address` with the tenant's own credentials. */
const PROVIDERS: [string, (address: string) => ProviderConfig, string][] = [
  ['prometheus', (address) => ({ type: 'prometheus', address }), 'up'],
  [
    'datadog',
    (address) => ({ type: 'datadog', address, secret: { datadog_api_key: 'k'.repeat(32), datadog_application_key: 'a'.repeat(40) } }),
    'avg:x{*}',
  ],
  [
    'newrelic',
    (address) => ({ type: 'newrelic', address, secret: { newrelic_account_id: '1234', newrelic_query_key: 'NRAK-secret' } }),
    'SELECT count(*) FROM Transaction',
  ],
  [
    'cloudwatch',
    (address) => ({
      type: 'cloudwatch',
      address,
      region: 'eu-west-1',
      secret: { aws_access_key_id: 'AKIATENANT', aws_secret_access_key: 'tenant-secret' },
    }),
    '[{"Id":"e1","Expression":"SUM(METRICS())"}]',
  ],
  [
    'stackdriver',
    (address) => ({ type: 'stackdriver', address, secret: { project: 'p', serviceAccountKey: serviceAccountKey(`${address}/token`) } }),
    'fetch x',
  ],
  ['graphite', (address) => ({ type: 'graphite', address }), 'a.b'],
  ['influxdb', (address) => ({ type: 'influxdb', address, secret: { token: 'influx-token', org: 'o' } }), 'from(bucket: "b")'],
  ['web', (address) => ({ type: 'web', address }), '{"path": "/v", "jsonPath": "$.v"}'],
];

describe('finding 6: a huge answer is cut at the body cap while it streams in', () => {
  it('given a webhook answering 50 MB, then the call fails at the 1 MiB cap and memory grows by a few MB at most', async () => {
    const s = await hostile(hugeBody(HUGE));
    const { result, growth } = await peakMemoryGrowth(() =>
      new HttpWebhookRunner(testHttp, webhookLimits).call(hook(s.address), payload, signal()),
    );
    expect(result).toEqual({ ok: false, message: 'gate: answer larger than 1 MiB: cut' });
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(await hungUp(s)).toBe(true);
    expect(s.log.bytesSent).toBeLessThan(HUGE / 2);
  });

  it('given an alert receiver answering 50 MB, then the post fails at the cap and memory grows by a few MB at most', async () => {
    const s = await hostile(hugeBody(HUGE));
    const { result: err, growth } = await peakMemoryGrowth(() =>
      failure(createNotifier({ type: 'webhook', address: `${s.address}/alert` }, { http: testHttp }).post(notification, signal())),
    );
    expect(err).toBeInstanceOf(AlertDeliveryError);
    expect(err.message).toBe(`${s.address}: answer larger than 1 MiB: cut`);
    expect(growth).toBeLessThan(MAX_GROWTH);
    expect(s.log.bytesSent).toBeLessThan(HUGE / 2);
  });

  it.each(PROVIDERS)(
    'given a %s backend answering 50 MB, then the query fails at the cap and memory grows by a few MB at most',
    async (_type, cfg, query) => {
      const s = await hostile(hugeBody(HUGE));
      const provider = createMetricProvider(cfg(s.address), providerCtx);
      const { result: err, growth } = await peakMemoryGrowth(() => failure(provider.query(query, signal())));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.message).toMatch(/answer larger than 1 MiB: cut$/);
      expect(growth).toBeLessThan(MAX_GROWTH);
      expect(s.log.bytesSent).toBeLessThan(HUGE / 2);
    },
  );

  it('given a 16 KiB cap in the settings (--max-response-size), then a 256 KiB answer is cut', async () => {
    const s = await hostile(hugeBody(256 * 1024));
    const r = await new HttpWebhookRunner(outboundClient({ maxBodyBytes: 16 * 1024 }), webhookLimits).call(
      hook(s.address),
      payload,
      signal(),
    );
    expect(r).toEqual({ ok: false, message: 'gate: answer larger than 16 KiB: cut' });
  });
});

describe('finding 6: a total deadline, not an idle timeout', () => {
  it('given a webhook with timeout 1s trickling a byte every 100 ms, then the call is cut at 1 s', async () => {
    const s = await hostile(trickle(100, 8000));
    const started = Date.now();
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(s.address, { timeout: '1s' }), payload, signal());
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r).toEqual({ ok: false, message: 'gate: no complete answer within 1s' });
    expect(await hungUp(s)).toBe(true);
  }, 10_000);

  it('given an alert receiver trickling a byte every 100 ms, then the post is cut at its 1 s deadline', async () => {
    const s = await hostile(trickle(100, 8000));
    const started = Date.now();
    const err = await failure(
      createNotifier({ type: 'webhook', address: s.address }, { http: testHttp, timeoutMs: 1000 }).post(notification, signal()),
    );
    expect(Date.now() - started).toBeLessThan(2500);
    expect(err.message).toBe(`${s.address}: no complete answer within 1s`);
  }, 10_000);

  it('given Prometheus trickling a byte every 100 ms, then the query is cut at the 5 s deadline', async () => {
    const s = await hostile(trickle(100, 12_000));
    const started = Date.now();
    const err = await failure(createMetricProvider({ type: 'prometheus', address: s.address }, providerCtx).query('up', signal()));
    expect(Date.now() - started).toBeLessThan(6500);
    expect(err.message).toBe('prometheus: no complete answer within 5s');
  }, 15_000);

  it("given a webhook that never answers, then the reconcile's deadline ends the call (a failed hook), while the reconcile's own signal lives on", async () => {
    const s = await hostile(silent);
    const canary = {
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: { targetRef: { kind: 'Deployment', name: 'podinfo' } },
    } as unknown as Canary;
    const deps = {
      webhooks: new HttpWebhookRunner(testHttp, webhookLimits),
      secrets: { read: async () => ({}) },
      reconcileDeadlineMs: 500,
      now: () => Date.now(),
    } as unknown as ControllerDeps;
    const ac = new AbortController();
    const turn = new Turn(canary, deps, { log: silentLogger(), signal: ac.signal, eventSink: notifyEventHooks }, 'istio');
    const h = hook(s.address, { timeout: '1m' });
    const started = Date.now();
    const r = await callHook(turn, h, payloadOf(turn, h, 'pre-rollout'));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r).toEqual({ ok: false, message: "gate: stopped at the reconcile's deadline" });
    expect(ac.signal.aborted).toBe(false);
  });
});

describe('finding 6: redirects are not followed', () => {
  it('given a webhook with a secretRef answering 302 to another port, then the second server never sees the request or the secret', async () => {
    const second = await hostile(answer(200, () => 'ok'));
    const first = await hostile(redirectTo(`${second.address}/steal`));
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(first.address), payload, signal(), {
      headers: { 'X-Api-Key': 'tenant-api-key-123' },
    });
    expect(r).toEqual({ ok: false, status: 302, message: 'gate answered 302 (redirects are not followed)' });
    expect(first.received[0]!.headers['x-api-key']).toBe('tenant-api-key-123');
    expect(second.connections).toBe(0);
  });

  it('given Prometheus with a token answering 302 to another port, then the second server never sees the request', async () => {
    const second = await hostile(answer(200, () => '{"status":"success","data":{"resultType":"scalar","result":[0,"1"]}}'));
    const first = await hostile(redirectTo(`${second.address}/api/v1/query?query=up`));
    const err = await failure(
      createMetricProvider({ type: 'prometheus', address: first.address, secret: { token: 'prom-token' } }, providerCtx).query(
        'up',
        signal(),
      ),
    );
    expect(err.message).toBe('prometheus: query failed: HTTP 302 (redirects are not followed)');
    expect(second.connections).toBe(0);
  });
});

describe("finding 6: a webhook's timeout and retries are capped", () => {
  it("given timeout 1h and a receiver that never answers, then the call ends at the operator's cap", async () => {
    const s = await hostile(silent);
    const started = Date.now();
    const r = await new HttpWebhookRunner(testHttp, { maxTimeoutMs: 500, maxRetries: 5 }).call(
      hook(s.address, { timeout: '1h' }),
      payload,
      signal(),
    );
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r).toEqual({ ok: false, message: 'gate: no complete answer within 500ms' });
  });

  it('given retries 1000 and a receiver that always fails, then it is called 1 + the cap times', async () => {
    const s = await hostile(answer(500, () => 'down'));
    const ac = new AbortController();
    const stop = setTimeout(() => ac.abort(), 5000);
    try {
      await new HttpWebhookRunner(testHttp, { maxTimeoutMs: 1000, maxRetries: 2 }).call(
        hook(s.address, { retries: 1000 }),
        payload,
        ac.signal,
      );
    } finally {
      clearTimeout(stop);
    }
    expect(s.received).toHaveLength(3);
  }, 10_000);
});

describe("finding 8: the operator's own cloud credentials go to official endpoints only", () => {
  let savedHost: string | undefined;
  beforeEach(() => {
    savedHost = process.env.GCE_METADATA_HOST;
  });
  afterEach(() => {
    if (savedHost === undefined) delete process.env.GCE_METADATA_HOST;
    else process.env.GCE_METADATA_HOST = savedHost;
  });

  it('given stackdriver without a key and the address of an attacker, then the metadata server is never asked and no token is sent', async () => {
    const metadata = await hostile(answer(200, () => '{"access_token":"ya29.operator-token","expires_in":3600}'));
    const attacker = await hostile(answer(200, () => '{}'));
    process.env.GCE_METADATA_HOST = `127.0.0.1:${metadata.port}`;
    const err = await failure(
      new StackdriverProvider({ type: 'stackdriver', address: attacker.address, secret: { project: 'p' } }, providerCtx).query(
        'fetch x',
        signal(),
      ),
    );
    expect(err.message).toContain("the operator's own credentials (metadata server) are only sent to https://monitoring.googleapis.com");
    expect(metadata.connections).toBe(0);
    expect(attacker.connections).toBe(0);
  });

  it('given stackdriver without a key at the official address, in a namespace not allowed ambient credentials, then the metadata server is never asked', async () => {
    const metadata = await hostile(answer(200, () => '{"access_token":"ya29.operator-token","expires_in":3600}'));
    const official = await hostile(answer(200, () => '{}'));
    const ctx = { http: testHttp, ambientCredentials: false };
    process.env.GCE_METADATA_HOST = `127.0.0.1:${metadata.port}`;
    const err = await failure(
      new StackdriverProvider({ type: 'stackdriver', address: official.address, secret: { project: 'p' } }, ctx, {
        officialAddress: official.address,
        metadataHost: `127.0.0.1:${metadata.port}`,
      }).query('fetch x', signal()),
    );
    expect(err.message).toContain('--ambient-credentials-namespaces');
    expect(metadata.connections + official.connections).toBe(0);
  });

  const operatorEnv = { AWS_ACCESS_KEY_ID: 'AKIAOPERATOR', AWS_SECRET_ACCESS_KEY: 'operator-secret-key' } as NodeJS.ProcessEnv;

  it("given CloudWatch without keys and the address of an attacker, then the operator's AWS credentials sign nothing and nothing is sent", async () => {
    const attacker = await hostile(answer(200, () => '{}'));
    const err = await failure(
      new CloudWatchProvider({ type: 'cloudwatch', address: attacker.address, region: 'eu-west-1' }, providerCtx, {
        env: operatorEnv,
      }).query('[{"Id":"e1","Expression":"1"}]', signal()),
    );
    expect(err.message).toContain("the operator's own AWS credentials are only sent to https://monitoring.eu-west-1.amazonaws.com/");
    expect(attacker.connections).toBe(0);
  });

  it("given CloudWatch without keys and a region that rewrites the endpoint's host, then it is refused before any connection", async () => {
    const attacker = await hostile(answer(200, () => '{}'));
    const region = `x@127.0.0.1:${attacker.port}/#`;
    const err = await failure(
      new CloudWatchProvider({ type: 'cloudwatch', address: '', region }, providerCtx, { env: operatorEnv }).query(
        '[{"Id":"e1","Expression":"1"}]',
        signal(),
      ),
    );
    expect(err.message).toContain('is not an AWS region name');
    expect(attacker.connections).toBe(0);
  });

  it('given CloudWatch without keys at the official endpoint, in a namespace not allowed ambient credentials, then nothing is sent', async () => {
    const official = await hostile(answer(200, () => '{}'));
    const err = await failure(
      new CloudWatchProvider(
        { type: 'cloudwatch', address: official.address, region: 'eu-west-1' },
        { http: testHttp, ambientCredentials: false },
        {
          env: operatorEnv,
          officialEndpoint: () => `${official.address}/`,
        },
      ).query('[{"Id":"e1","Expression":"1"}]', signal()),
    );
    expect(err.message).toContain('--ambient-credentials-namespaces');
    expect(official.connections).toBe(0);
  });

  it.each<[string, string[], boolean]>([
    ['team-a', [], true],
    ['team-a', ['monitoring'], false],
    ['monitoring', ['monitoring', 'platform'], true],
  ])('given namespace %p and --ambient-credentials-namespaces %j, then ambient credentials allowed is %p', (ns, allowed, ok) => {
    expect(ambientCredentialsAllowed(ns, allowed)).toBe(ok);
  });
});

describe('finding 10: insecure TLS can be forbidden, failed-webhook messages are capped and redacted', () => {
  it('given --forbid-insecure-tls and a webhook with disableTLS, then the hook fails saying so and nothing is sent', async () => {
    const s = await hostile(answer(200, () => 'ok'));
    const url = `https://127.0.0.1:${s.port}/`;
    const r = await new HttpWebhookRunner(outboundClient({ forbidInsecureTls: true }), webhookLimits).call(
      hook(url, { disableTLS: true }),
      payload,
      signal(),
    );
    expect(r).toEqual({ ok: false, message: 'gate: skipping TLS verification is forbidden by the operator (--forbid-insecure-tls)' });
    expect(s.connections).toBe(0);
  });

  it('given --forbid-insecure-tls and a MetricTemplate with insecureSkipVerify, then the query fails saying so and nothing is sent', async () => {
    const s = await hostile(answer(200, () => '{"v": 1}'));
    const ctx = { http: outboundClient({ forbidInsecureTls: true }), ambientCredentials: true };
    const err = await failure(
      createMetricProvider({ type: 'web', address: `https://127.0.0.1:${s.port}`, insecureSkipVerify: true }, ctx).query(
        '{"path": "/v", "jsonPath": "$.v"}',
        signal(),
      ),
    );
    expect(err.message).toBe('web: skipping TLS verification is forbidden by the operator (--forbid-insecure-tls)');
    expect(s.connections).toBe(0);
  });

  it('given a receiver that echoes the secretRef headers in a long multi-line 500, then the message is one line of at most 200 characters without them', async () => {
    const s = await hostile(answer(500, (req) => `denied\nkey=${String(req.headers['x-api-key'])}\r\n${'\u001b[31m'}${'y'.repeat(2000)}`));
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(s.address), payload, signal(), {
      headers: { 'X-Api-Key': 'tenant-api-key-123' },
      hmacKey: 'hmac-secret-456',
    });
    expect(r.ok).toBe(false);
    const message = !r.ok ? r.message : '';
    expect(message).not.toContain('tenant-api-key-123');
    expect(message).toMatch(/^gate answered 500: denied key=\[redacted\] /);
    expect(message).not.toMatch(/[\u0000-\u001f]/);
    expect(message.length).toBeLessThanOrEqual('gate answered 500: '.length + 201);
  });

  it('given a Slack API that echoes the bot token in a 500, then the alert error does not carry it', async () => {
    const s = await hostile(answer(500, (req) => `bad auth ${String(req.headers.authorization)}`));
    const err = await failure(
      createNotifier(
        { type: 'slack', address: `${s.address}/api/chat.postMessage`, token: 'xoxb-operator-token' },
        { http: testHttp },
      ).post(notification, signal()),
    );
    expect(err.message).toBe(`${s.address} answered 500: bad auth [redacted]`);
  });

  it('given Prometheus that echoes its bearer token in the error field, then the check message does not carry it', async () => {
    const s = await hostile(
      answer(400, (req) => JSON.stringify({ status: 'error', error: `bad token ${String(req.headers.authorization)}` })),
    );
    const err = await failure(
      createMetricProvider({ type: 'prometheus', address: s.address, secret: { token: 'prom-token-789' } }, providerCtx).query(
        'up',
        signal(),
      ),
    );
    expect(err.message).toBe('prometheus: query failed: HTTP 400: bad token Bearer [redacted]');
  });
});
