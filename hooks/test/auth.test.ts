import request from 'supertest';
import { namespaceKey, safeEqual, signatureOf, signedHeaders } from '@tollgate/contract/signature';
import { Authenticator } from '../src/auth/authenticator.js';
import { BEARER, HMAC_KEY, payload, testService, TOKEN } from './helpers.js';

const svc = testService();
afterAll(() => svc.shutdown(0));

const body = JSON.stringify(payload());
/** The key of namespace test, which the payload names. */
const KEY = namespaceKey(HMAC_KEY, 'test');
const sign = (key: string, text = body, nowMs = Date.now()): Record<string, string> =>
  signedHeaders(key, { method: 'POST', path: '/gate/open', body: text }, { nowMs });
const signed = (headers: Record<string, string>, text = body): request.Test =>
  request(svc.app).post('/gate/open').set('content-type', 'application/json').set(headers).send(text);

describe('authentication', () => {
  it('given no credentials, when calling any protected endpoint, then 401 with a JSON error', async () => {
    for (const path of ['/', '/gate/check', '/gate/open', '/gate/approve', '/rollback/check', '/tasks', '/metrics']) {
      const res = await request(svc.app).post(path).send(payload());
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.body).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('missing credentials') });
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
  });

  it('keeps /healthz and /readyz open', async () => {
    expect((await request(svc.app).get('/healthz')).text).toBe('OK');
    expect((await request(svc.app).get('/readyz')).status).toBe(200);
  });

  it('rejects a wrong or malformed bearer token', async () => {
    const wrong = await request(svc.app).post('/gate/open').set('Authorization', `Bearer ${TOKEN}x`).send(payload());
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('invalid bearer token');
    const malformed = await request(svc.app).post('/gate/open').set('Authorization', `Basic ${TOKEN}`).send(payload());
    expect(malformed.status).toBe(401);
    expect(malformed.body.message).toContain('malformed Authorization');
  });

  it('accepts the right bearer token, whatever the case of the scheme', async () => {
    const res = await request(svc.app).post('/gate/open').set('Authorization', `bearer ${TOKEN}`).send(payload());
    expect(res.status).toBe(202);
  });

  it('accepts a valid signature by the namespace key over method, path, timestamp, nonce and body', async () => {
    const res = await signed(sign(KEY));
    expect(res.status).toBe(202);
    expect(res.body.updatedBy).toMatch(/^hmac request=/);
  });

  it('rejects a signature made with another key, or over another body', async () => {
    const otherKey = await signed(sign('another-key-0123456789'));
    expect(otherKey.status).toBe(401);
    expect(otherKey.body.message).toBe('invalid signature');
    const tampered = await signed(sign(KEY), body.replace('podinfo', 'podinfx'));
    expect(tampered.status).toBe(401);
  });

  it('rejects a signature by the master key itself (what every namespace held before)', async () => {
    const res = await signed(sign(HMAC_KEY));
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('invalid signature');
  });

  it('rejects a signed request that names no namespace', async () => {
    const res = await request(svc.app)
      .get('/tasks')
      .set(signedHeaders(KEY, { method: 'GET', path: '/tasks', body: '' }));
    expect(res.status).toBe(401);
    expect(res.body.message).toContain('must name its namespace');
  });

  it('rejects a timestamp more than 300 s away, in the past or the future', async () => {
    for (const offset of [-301_000, 301_000]) {
      const res = await signed(sign(KEY, body, Date.now() + offset));
      expect(res.status).toBe(401);
      expect(res.body.message).toContain('more than 300s away');
    }
    expect((await signed(sign(KEY, body, Date.now() - 290_000))).status).toBe(202);
  });

  it('rejects malformed signature headers, and signatures of the first scheme (timestamp.body)', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = 'n0nce-0123456789abcdef';
    const good = signatureOf(KEY, ts, nonce, { method: 'POST', path: '/gate/open', body });
    const cases: Record<string, string>[] = [
      { 'x-tollgate-timestamp': ts },
      { 'x-tollgate-timestamp': ts, 'x-tollgate-signature': good },
      { 'x-tollgate-timestamp': 'yesterday', 'x-tollgate-nonce': nonce, 'x-tollgate-signature': good },
      { 'x-tollgate-timestamp': ts, 'x-tollgate-nonce': nonce, 'x-tollgate-signature': good.toUpperCase().replace('V2=', 'v2=') },
      { 'x-tollgate-timestamp': ts, 'x-tollgate-nonce': nonce, 'x-tollgate-signature': good.slice(3) },
      { 'x-tollgate-timestamp': ts, 'x-tollgate-nonce': nonce, 'x-tollgate-signature': `sha256=${good.slice(3)}` },
    ];
    for (const headers of cases) {
      const res = await signed(headers);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/malformed|needs X-Tollgate-Timestamp|no longer accepted/);
    }
  });

  it('signs a GET over the empty body, with the query in the signed path', async () => {
    const path = '/gate/status?namespace=test&name=podinfo';
    const res = await request(svc.app)
      .get(path)
      .set(signedHeaders(KEY, { method: 'GET', path, body: '' }));
    expect(res.status).toBe(200);
  });

  it('needs credentials for /metrics unless METRICS_PUBLIC', async () => {
    expect((await request(svc.app).get('/metrics')).status).toBe(401);
    const ok = await request(svc.app).get('/metrics').set(BEARER);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('tollgate_hooks_http_requests_total');
    const open = testService({ metricsPublic: true });
    expect((await request(open.app).get('/metrics')).status).toBe(200);
    expect((await request(open.app).post('/gate/open').send(payload())).status).toBe(401);
  });

  it('counts refusals by reason', async () => {
    const text = await svc.metrics.registry.getSingleMetricAsString('tollgate_hooks_auth_failures_total');
    expect(text).toMatch(/reason="missing"} \d+/);
    expect(text).toMatch(/reason="invalid_signature"} \d+/);
  });

  it('echoes a sane x-request-id and mints one otherwise', async () => {
    const given = await request(svc.app).get('/healthz').set('x-request-id', 'ci-run-42');
    expect(given.headers['x-request-id']).toBe('ci-run-42');
    const minted = await request(svc.app).get('/healthz').set('x-request-id', 'bad id with spaces');
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('with HOOKS_INSECURE and no credentials, lets every request in', async () => {
    const open = testService({ token: undefined, hmacKey: undefined, insecure: true });
    const res = await request(open.app).post('/gate/open').send(payload());
    expect(res.status).toBe(202);
    expect(res.body.updatedBy).toMatch(/^none request=/);
  });
});

describe('Authenticator', () => {
  const now = (): number => 1_700_000_000_000;
  const req = { method: 'POST', path: '/gate/open', rawBody: Buffer.from(body), namespace: 'test' };

  it('with a token only, refuses signatures and says why', () => {
    const auth = new Authenticator({ token: TOKEN, now });
    const r = auth.verify({ ...req, ...hmacOf(body, now()) });
    expect(r).toMatchObject({ ok: false, failure: 'invalid_signature', message: expect.stringContaining('HOOKS_HMAC_KEY is not set') });
  });

  it('with a key only, refuses bearer tokens', () => {
    const auth = new Authenticator({ hmacKey: HMAC_KEY, now });
    expect(auth.verify({ ...req, authorization: `Bearer ${TOKEN}` })).toMatchObject({ ok: false, failure: 'invalid_token' });
  });

  it('accepts either credential when both are sent and one is valid', () => {
    const auth = new Authenticator({ token: TOKEN, hmacKey: HMAC_KEY, now });
    const r = auth.verify({ ...req, authorization: 'Bearer wrong', ...hmacOf(body, now()) });
    expect(r).toEqual({ ok: true, method: 'hmac', scope: { kind: 'namespace', namespace: 'test', role: 'tasks' } });
  });

  it('is closed without credentials unless insecure', () => {
    const bare = { method: 'POST', path: '/gate/open', rawBody: Buffer.alloc(0) };
    expect(new Authenticator({}).verify(bare).ok).toBe(false);
    expect(new Authenticator({ insecure: true }).verify(bare)).toEqual({ ok: true, method: 'none', scope: { kind: 'all' } });
    expect(new Authenticator({ token: TOKEN, insecure: true }).verify(bare).ok).toBe(false);
  });

  it('compares secrets of any lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
  });
});

function hmacOf(text: string, nowMs: number): { timestamp: string; nonce: string; signature: string } {
  const h = signedHeaders(KEY, { method: 'POST', path: '/gate/open', body: text }, { nowMs });
  return { timestamp: h['x-tollgate-timestamp']!, nonce: h['x-tollgate-nonce']!, signature: h['x-tollgate-signature']! };
}
