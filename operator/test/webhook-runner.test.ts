import type http from 'node:http';
import type { CanaryWebhook } from '../src/api/types.js';
import type { WebhookPayload } from '@tollgate/contract/payload';
import { authFromSecret, HttpWebhookRunner } from '../src/webhooks/runner.js';
import { createHmac } from 'node:crypto';
import { verifySignature } from '@tollgate/contract/signature';
import { OutboundClient, type OutboundRequest, type OutboundResponse } from '../src/outbound/client.js';
import { outboundClient, testHttp, webhookLimits } from './fakes/outbound.js';
import { closedAddress, signal, VendorApi } from './fakes/vendor-api.js';

/** The receiver: answers are taken in order; the last one repeats. */
let answers: { status: number; body?: string; delayMs?: number }[] = [];
const receiver = new VendorApi();
const received = receiver.received;
let base: string;

beforeAll(async () => {
  await receiver.start();
  base = receiver.address;
});

afterAll(() => receiver.stop());

beforeEach(() => {
  answers = [{ status: 200 }];
  receiver.reset(async () => {
    const a = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
    return { status: a.status, body: a.body ?? '', contentType: 'text/plain' };
  });
});

const payload: WebhookPayload = {
  name: 'podinfo',
  namespace: 'test',
  phase: 'Progressing',
  checksum: 'abc123',
  metadata: { cmd: 'hey -z 1m http://podinfo-canary.test:9898/' },
  type: 'rollout',
  canaryWeight: 20,
  iteration: 2,
  revision: 'rev1',
  failedChecks: 0,
  timestamp: '2026-01-01T00:00:00Z',
};
const hook = (h: Partial<CanaryWebhook> = {}): CanaryWebhook => ({ name: 'load-test', type: 'rollout', url: `${base}/hooks/load`, ...h });

describe('HttpWebhookRunner', () => {
  it('given a 200 answer, then the call is ok and the payload was posted as JSON', async () => {
    await expect(new HttpWebhookRunner(testHttp, webhookLimits).call(hook(), payload, signal())).resolves.toEqual({
      ok: true,
      status: 200,
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.method).toBe('POST');
    expect(received[0]!.path).toBe('/hooks/load');
    expect(received[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(received[0]!.body)).toEqual(payload);
  });

  it.each([[201], [202], [204], [299]])('given a %p answer, then the call is ok', async (status) => {
    answers = [{ status }];
    await expect(new HttpWebhookRunner(testHttp, webhookLimits).call(hook(), payload, signal())).resolves.toEqual({ ok: true, status });
  });

  it('given a 403 with a body, then the call fails with the status and the body in the message', async () => {
    answers = [{ status: 403, body: '  approval denied by on-call\n' }];
    await expect(new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ name: 'gate' }), payload, signal())).resolves.toEqual({
      ok: false,
      status: 403,
      message: 'gate answered 403: approval denied by on-call',
    });
    expect(received).toHaveLength(1);
  });

  it('given a 500 with an empty body, then the message has no trailing colon', async () => {
    answers = [{ status: 500 }];
    await expect(new HttpWebhookRunner(testHttp, webhookLimits).call(hook(), payload, signal())).resolves.toEqual({
      ok: false,
      status: 500,
      message: 'load-test answered 500',
    });
  });

  it('given a JSON error body, then it is quoted as text, not parsed', async () => {
    answers = [{ status: 400, body: '{"error":"bad"}' }];
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(), payload, signal());
    expect(r).toEqual({ ok: false, status: 400, message: 'load-test answered 400: {"error":"bad"}' });
  });

  it('given a very long body, then the message keeps only its first 200 characters', async () => {
    answers = [{ status: 503, body: 'x'.repeat(2000) }];
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(), payload, signal());
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toBe(`load-test answered 503: ${'x'.repeat(200)}…`);
  });

  it('given one retry and a failure then a success, then two calls are made and the result is ok', async () => {
    answers = [{ status: 500, body: 'warming up' }, { status: 200 }];
    await expect(new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ retries: 1 }), payload, signal())).resolves.toEqual({
      ok: true,
      status: 200,
    });
    expect(received).toHaveLength(2);
  });

  it('given one retry and two failures, then two calls are made and the last answer is the message', async () => {
    answers = [
      { status: 500, body: 'first' },
      { status: 502, body: 'second' },
    ];
    await expect(new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ retries: 1 }), payload, signal())).resolves.toEqual({
      ok: false,
      status: 502,
      message: 'load-test answered 502: second',
    });
    expect(received).toHaveLength(2);
  });

  it.each([[undefined], [0], [-2]])('given retries %p and a failure, then exactly one call is made', async (retries) => {
    answers = [{ status: 500 }];
    await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(retries === undefined ? {} : { retries }), payload, signal());
    expect(received).toHaveLength(1);
  });

  it('given a success on the first try, then retries are not used', async () => {
    await new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ retries: 3 }), payload, signal());
    expect(received).toHaveLength(1);
  });

  it('given many retries and an abort during the pause, then no further call is made', async () => {
    answers = [{ status: 500 }];
    const ac = new AbortController();
    const started = Date.now();
    const call = new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ retries: 5 }), payload, ac.signal);
    setTimeout(() => ac.abort(), 100);
    const r = await call;
    expect(r.ok).toBe(false);
    expect(received).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(450);
  });

  it('given an already aborted signal, then nothing is called and the result is not ok', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook(), payload, ac.signal);
    expect(r).toEqual({ ok: false, message: 'not called' });
    expect(received).toHaveLength(0);
  });

  it('given a hook slower than its timeout, then the call fails with a timeout and no status', async () => {
    answers = [{ status: 200, delayMs: 1000 }];
    const started = Date.now();
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ timeout: '100ms' }), payload, signal());
    expect(Date.now() - started).toBeLessThan(800);
    expect(r.ok).toBe(false);
    expect(r).not.toHaveProperty('status');
    expect(!r.ok && r.message).toMatch(/^load-test: no complete answer within 100ms$/);
  });

  it('given an unreachable URL, then the call fails with the network error and no status', async () => {
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ url: `${await closedAddress()}/` }), payload, signal());
    expect(r.ok).toBe(false);
    expect(r).not.toHaveProperty('status');
    expect(!r.ok && r.message).toMatch(/^load-test: .*ECONNREFUSED/);
  });
});

/** Counts the requests the runner makes. */
class CountingClient extends OutboundClient {
  calls = 0;
  override request(req: OutboundRequest): Promise<OutboundResponse> {
    this.calls++;
    return super.request(req);
  }
}
const counting = (forbidInsecureTls = false): CountingClient => new CountingClient(outboundClient({ forbidInsecureTls }).settings);

describe('HttpWebhookRunner and requests the client refuses', () => {
  it('given a file:// URL and 5 retries, then it is attempted once and fails at once', async () => {
    const client = counting();
    const started = Date.now();
    const r = await new HttpWebhookRunner(client, webhookLimits).call(hook({ url: 'file:///etc/passwd', retries: 5 }), payload, signal());
    expect(r).toEqual({ ok: false, message: 'load-test: the address is not an http(s) URL' });
    expect(client.calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('given --forbid-insecure-tls, disableTLS and 5 retries, then the client refuses the one attempt, saying why, and nothing is sent', async () => {
    const client = counting(true);
    const r = await new HttpWebhookRunner(client, webhookLimits).call(
      hook({ url: base.replace('http:', 'https:'), disableTLS: true, retries: 5 }),
      payload,
      signal(),
    );
    expect(r).toEqual({ ok: false, message: 'load-test: skipping TLS verification is forbidden by the operator (--forbid-insecure-tls)' });
    expect(client.calls).toBe(1);
    expect(received).toHaveLength(0);
  });

  it('given a URL the signer cannot read and 5 retries, then it is attempted once', async () => {
    const started = Date.now();
    const r = await new HttpWebhookRunner(testHttp, webhookLimits).call(hook({ url: 'not a url', retries: 5 }), payload, signal(), {
      headers: {},
      hmacKey: 'k',
    });
    expect(r.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(400);
  });
});

describe('webhook secrets', () => {
  it('given a Secret with headers and hmac-key, then hmac-key signs and is never sent', () => {
    expect(authFromSecret({ 'X-Api-Key': 'abc', 'hmac-key': ' k \n' })).toEqual({ headers: { 'X-Api-Key': 'abc' }, hmacKey: 'k' });
  });
});

/** The documented signature (hooks/README.md), computed here independently of the signer. */
const documented = (key: string, h: http.IncomingHttpHeaders, method: string, path: string, body: string): string =>
  `v2=${createHmac('sha256', key)
    .update(`${String(h['x-tollgate-timestamp'])}\n${String(h['x-tollgate-nonce'])}\n${method}\n${path}\n${body}`)
    .digest('hex')}`;

describe('HttpWebhookRunner with credentials', () => {
  const signed = new VendorApi();
  let status = 200;
  beforeAll(async () => {
    await signed.start();
    signed.handler = () => ({ status, body: '' });
  });
  afterAll(() => signed.stop());
  beforeEach(() => {
    signed.reset();
    status = 200;
  });
  const seen = signed.received;

  const auth = { headers: { 'X-Api-Key': 'abc' }, hmacKey: 'k' };
  const small = { name: 'podinfo', namespace: 'test', metadata: { cmd: 'x' } } as unknown as WebhookPayload;

  it('given headers and a signing key, then the receiver gets the headers and a signature over timestamp, nonce, method, path and exact body', async () => {
    const res = await new HttpWebhookRunner(testHttp, webhookLimits).call(
      { name: 'h', url: `${signed.address}/gate/check?x=1` },
      small,
      signal(),
      auth,
    );
    expect(res.ok).toBe(true);
    const got = seen[0]!;
    expect(got.headers['x-api-key']).toBe('abc');
    expect(Math.abs(Number(got.headers['x-tollgate-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(got.headers['x-tollgate-nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(got.target).toBe('/gate/check?x=1');
    expect(got.headers['x-tollgate-signature']).toBe(documented('k', got.headers, 'POST', '/gate/check?x=1', got.body));
    expect(JSON.parse(got.body)).toEqual(small);
  });

  it("given a signed call to /gate/check, then the receiver's verifier accepts it there and refuses it for /gate/open, /rollback/open or another method", async () => {
    await new HttpWebhookRunner(testHttp, webhookLimits).call({ name: 'h', url: `${signed.address}/gate/check` }, small, signal(), auth);
    const got = seen[0]!;
    const headers = {
      timestamp: String(got.headers['x-tollgate-timestamp']),
      nonce: String(got.headers['x-tollgate-nonce']),
      signature: String(got.headers['x-tollgate-signature']),
    };
    const verdict = (method: string, path: string) =>
      verifySignature({ namespace: 'k' }, headers, { method, path, body: got.body }, Date.now());
    expect(verdict('POST', '/gate/check')).toMatchObject({ ok: true, key: 'namespace' });
    for (const [method, path] of [
      ['POST', '/gate/open'],
      ['POST', '/rollback/open'],
      ['GET', '/gate/check'],
    ] as const) {
      expect([method, path, verdict(method, path)]).toEqual([
        method,
        path,
        { ok: false, failure: 'invalid_signature', message: 'invalid signature' },
      ]);
    }
  });

  it('given a retry, then each attempt has its own nonce and signature, so a receiver refusing replays takes it', async () => {
    status = 500;
    await new HttpWebhookRunner(testHttp, webhookLimits).call({ name: 'h', url: `${signed.address}/`, retries: 2 }, small, signal(), auth);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers['x-tollgate-signature'])).size).toBe(3);
    expect(new Set(seen.map((s) => s.headers['x-tollgate-nonce'])).size).toBe(3);
  });
});
