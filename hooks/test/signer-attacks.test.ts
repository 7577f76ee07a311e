import { gateKey, namespaceKey, signedHeaders } from '@tollgate/contract/signature';
import request from 'supertest';
import { ReplayCache } from '../src/auth/replay.js';
import { BEARER, eventually, HMAC_KEY, testService } from './helpers.js';

/**
 * Issue 12, findings 2 (a signature replayed to another endpoint, or again) and 3 (one credential for every
 * tenant): each test performs the attack against the service and shows it does no harm.
 */
const svc = testService();
afterAll(() => svc.shutdown(0));

const keyOf = (ns: string): string => namespaceKey(HMAC_KEY, ns);
const gateKeyOf = (ns: string): string => gateKey(keyOf(ns));
const bodyOf = (ns: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ name: 'podinfo', namespace: ns, ...extra });

/** Headers that sign one request; sent as they are to whatever path a test chooses. */
const sign = (key: string, method: string, path: string, body: string): Record<string, string> =>
  signedHeaders(key, { method, path, body });
const send = (method: 'post' | 'get', path: string, headers: Record<string, string>, body = ''): request.Test => {
  const r = request(svc.app)[method](path).set(headers);
  return body ? r.set('content-type', 'application/json').send(body) : r;
};
const stateOf = async (ns: string): Promise<{ gate: string; rollback: string }> =>
  (await request(svc.app).get(`/gate/status?namespace=${ns}&name=podinfo`).set(BEARER)).body as { gate: string; rollback: string };

describe('finding 2: replaying a signature', () => {
  it('given a signed /gate/check, when it is replayed to /gate/open and /rollback/open, then both are refused and nothing opens', async () => {
    const body = bodyOf('replay-paths');
    const check = sign(keyOf('replay-paths'), 'POST', '/gate/check', body);
    for (const path of ['/gate/open', '/rollback/open']) {
      const res = await send('post', path, check, body);
      expect([path, res.status, res.body.message]).toEqual([path, 401, 'invalid signature']);
    }
    expect((await send('post', '/gate/check', check, body)).status).toBe(403);
    expect(await stateOf('replay-paths')).toMatchObject({ gate: 'closed', rollback: 'closed' });
  });

  it('given a signed GET /gate/status, when it is replayed as a POST, then it is refused', async () => {
    const path = '/gate/status?namespace=replay-method&name=podinfo';
    const headers = sign(keyOf('replay-method'), 'GET', path, '');
    expect((await send('post', path, headers)).status).toBe(401);
    expect((await send('get', path, headers)).status).toBe(200);
  });

  it('given a signed /gate/open that was served, when it is sent again unchanged, then it is refused and the gate stays closed', async () => {
    const body = bodyOf('replay-exact');
    const open = sign(keyOf('replay-exact'), 'POST', '/gate/open', body);
    expect((await send('post', '/gate/open', open, body)).status).toBe(202);
    expect(
      (
        await request(svc.app)
          .post('/gate/close')
          .set(BEARER)
          .send(JSON.parse(body) as object)
      ).status,
    ).toBe(202);
    const replay = await send('post', '/gate/open', open, body);
    expect(replay.status).toBe(401);
    expect(replay.body.message).toContain('already used');
    expect(await stateOf('replay-exact')).toMatchObject({ gate: 'closed' });
  });

  it('given the same request signed again with a new nonce (a retry), then it is accepted', async () => {
    const body = bodyOf('replay-retry');
    for (let i = 0; i < 2; i++)
      expect((await send('post', '/gate/open', sign(keyOf('replay-retry'), 'POST', '/gate/open', body), body)).status).toBe(202);
  });

  it('given a replay cache full of unexpired signatures, then a new signed request is refused with 503, never let through unremembered', async () => {
    const small = testService({}, { replays: new ReplayCache(1) });
    const post = (headers: Record<string, string>, body: string) =>
      request(small.app).post('/gate/open').set(headers).set('content-type', 'application/json').send(body);
    const first = bodyOf('cache', { i: 1 });
    const firstHeaders = sign(keyOf('cache'), 'POST', '/gate/open', first);
    expect((await post(firstHeaders, first)).status).toBe(202);
    const second = bodyOf('cache', { i: 2 });
    const full = await post(sign(keyOf('cache'), 'POST', '/gate/open', second), second);
    expect([full.status, full.body.error, full.headers['retry-after']]).toEqual([503, 'busy', '5']);
    expect((await post(firstHeaders, first)).status).toBe(401);
    await small.shutdown(0);
  });
});

describe('finding 3: one tenant acting for another', () => {
  it("given the key of namespace team-a, when it signs a payload naming team-b, then it is refused and team-b's gate stays closed", async () => {
    for (const key of [keyOf('team-a'), gateKeyOf('team-a')]) {
      for (const path of ['/gate/open', '/rollback/open', '/']) {
        const body = bodyOf('team-b', { metadata: { type: 'bash', cmd: 'echo ran' } });
        const res = await send('post', path, sign(key, 'POST', path, body), body);
        expect([path, res.status, res.body.message]).toEqual([path, 401, 'invalid signature']);
      }
    }
    expect(await stateOf('team-b')).toMatchObject({ gate: 'closed', rollback: 'closed' });
  });

  it("given the key of team-a, when it reads team-b's gate by query, then it is refused", async () => {
    const path = '/gate/status?namespace=team-b&name=podinfo';
    expect((await send('get', path, sign(keyOf('team-a'), 'GET', path, ''))).status).toBe(401);
  });

  it("given a body naming team-a (which selects the key) and a query naming team-b, then the query's namespace is checked against the key: 403", async () => {
    const path = '/gate/status?namespace=team-b&name=podinfo';
    const body = bodyOf('team-a');
    const res = await request(svc.app)
      .get(path)
      .set(sign(keyOf('team-a'), 'GET', path, body))
      .set('content-type', 'application/json')
      .send(body);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      error: 'namespace_not_covered',
      message: 'the key of namespace team-a does not act for namespace team-b',
    });
  });

  it('given the gate key of team-a, when it asks for a task, then 403 and nothing runs; the namespace key of team-a runs it', async () => {
    const body = bodyOf('team-a', { metadata: { type: 'bash', cmd: 'echo ran', returnCmdOutput: 'true' } });
    const refused = await send('post', '/', sign(gateKeyOf('team-a'), 'POST', '/', body), body);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'endpoint_not_allowed', message: 'the gate key of namespace team-a may not call POST /' });
    const runs = await svc.metrics.registry.getSingleMetricAsString('tollgate_hooks_task_runs_total');
    expect(runs).not.toContain('type="bash"');
    const ran = await send('post', '/', sign(keyOf('team-a'), 'POST', '/', body), body);
    expect([ran.status, ran.text.trim()]).toEqual([200, 'ran']);
  });

  it('given a background task of team-a, when the gate key of team-a sends phase Failed or another checksum, then the task keeps running', async () => {
    const ns = 'team-stop';
    const task = bodyOf(ns, { checksum: 'rev1', metadata: { cmd: 'sleep 30' } });
    expect((await send('post', '/', sign(keyOf(ns), 'POST', '/', task), task)).status).toBe(202);
    const running = (): number => svc.runner.list().filter((t) => t.canary === `podinfo.${ns}`).length;
    for (const [path, extra] of [
      ['/gate/close', { phase: 'Failed' }],
      ['/gate/open', { checksum: 'rev2' }],
      ['/rollback/close', { phase: 'Succeeded' }],
    ] as const) {
      const body = bodyOf(ns, extra);
      const res = await send('post', path, sign(gateKeyOf(ns), 'POST', path, body), body);
      expect([path, res.status]).toEqual([path, 202]);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(running()).toBe(1);
    const end = bodyOf(ns, { phase: 'Failed' });
    await send('post', '/gate/check', sign(keyOf(ns), 'POST', '/gate/check', end), end);
    await eventually(() => running() === 0);
  });

  it("given the gate key of team-a, then it opens and reads team-a's gates", async () => {
    const body = bodyOf('team-a');
    expect((await send('post', '/gate/open', sign(gateKeyOf('team-a'), 'POST', '/gate/open', body), body)).status).toBe(202);
    const path = '/gate/status?namespace=team-a&name=podinfo';
    const status = await send('get', path, sign(gateKeyOf('team-a'), 'GET', path, ''));
    expect([status.status, status.body.gate]).toEqual([200, 'open']);
  });

  it('given a namespace key or a gate key, then the endpoints about every namespace (/tasks, /metrics) are refused', async () => {
    for (const key of [keyOf('team-a'), gateKeyOf('team-a')]) {
      for (const path of ['/tasks?namespace=team-a', '/metrics?namespace=team-a']) {
        const res = await send('get', path, sign(key, 'GET', path, ''));
        expect([path, res.status, res.body.error]).toEqual([path, 403, 'endpoint_not_allowed']);
      }
    }
  });
});
