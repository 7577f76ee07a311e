import request from 'supertest';
import { GateStoreError, type GateStore } from '../src/gates/store.js';
import { BEARER, payload, post, testService } from './helpers.js';

const svc = testService({ namespacePattern: /^(?:test|prod)$/ });
afterAll(() => svc.shutdown(0));

describe('gates', () => {
  it('starts closed, opens, and closes again (check -> open -> check -> close -> check)', async () => {
    const ref = payload({ name: 'roundtrip', phase: 'Progressing', checksum: 'c1' });
    const closed = await post(svc, '/gate/check', ref);
    expect([closed.status, closed.text]).toEqual([403, 'Forbidden: the gate of roundtrip.test is closed']);
    const opened = await post(svc, '/gate/open', { name: 'roundtrip', namespace: 'test' });
    expect(opened.status).toBe(202);
    expect(opened.body).toMatchObject({
      namespace: 'test',
      name: 'roundtrip',
      gate: 'open',
      rollback: 'closed',
      updatedBy: expect.stringMatching(/^token request=/),
    });
    const approved = await post(svc, '/gate/check', ref);
    expect([approved.status, approved.text]).toEqual([200, 'Approved']);
    expect((await post(svc, '/gate/close', { name: 'roundtrip', namespace: 'test' })).status).toBe(202);
    expect((await post(svc, '/gate/check', ref)).status).toBe(403);
  });

  it('keeps the rollback switch apart from the gate', async () => {
    const ref = { name: 'rb', namespace: 'test' };
    expect((await post(svc, '/rollback/check', ref)).status).toBe(403);
    expect((await post(svc, '/rollback/open', ref)).body).toMatchObject({ gate: 'closed', rollback: 'open' });
    expect((await post(svc, '/rollback/check', ref)).status).toBe(200);
    expect((await post(svc, '/gate/check', ref)).status).toBe(403);
    expect((await post(svc, '/rollback/close', ref)).status).toBe(202);
    expect((await post(svc, '/rollback/check', ref)).status).toBe(403);
  });

  it('answers approve with 200 and halt with 403, for any method and body', async () => {
    expect((await post(svc, '/gate/approve', payload())).text).toBe('Approved');
    expect((await request(svc.app).get('/gate/approve').set(BEARER)).status).toBe(200);
    expect((await post(svc, '/gate/halt', payload())).status).toBe(403);
    expect((await request(svc.app).put('/gate/halt').set(BEARER).send('not json at all')).status).toBe(403);
    expect((await request(svc.app).patch('/gate/approve').set(BEARER).send('{"broken":')).status).toBe(200);
    expect((await request(svc.app).put('/gate/halt').set(BEARER)).status).toBe(403);
  });

  it('tells a CI job the state of a canary on GET /gate/status', async () => {
    await post(svc, '/gate/open', { name: 'ci', namespace: 'prod' });
    const res = await request(svc.app).get('/gate/status?namespace=prod&name=ci').set(BEARER).set('x-request-id', 'ci-123');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ namespace: 'prod', name: 'ci', gate: 'open', rollback: 'closed', updatedAt: expect.any(String) });
    const unknown = await request(svc.app).get('/gate/status?namespace=prod&name=never').set(BEARER);
    expect(unknown.body).toEqual({ namespace: 'prod', name: 'never', gate: 'closed', rollback: 'closed' });
    const bad = await request(svc.app).get('/gate/status?namespace=prod').set(BEARER);
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_query']);
  });

  it('records who changed a gate with the request id', async () => {
    const res = await post(svc, '/gate/open', { name: 'who', namespace: 'test' }).set('x-request-id', 'ci-run-7');
    expect(res.body.updatedBy).toBe('token request=ci-run-7');
    const text = await svc.metrics.registry.getSingleMetricAsString('tollgate_hooks_gate_changes_total');
    expect(text).toMatch(/kind="gate",state="open"} \d+/);
  });

  it('validates the body and the namespace', async () => {
    const missing = await post(svc, '/gate/open', { name: 'x' });
    expect([missing.status, missing.body.problems]).toEqual([400, ['namespace: Invalid input: expected string, received undefined']]);
    const empty = await request(svc.app).post('/gate/open').set(BEARER);
    expect([empty.status, empty.body.error]).toEqual([400, 'missing_body']);
    const forbidden = await post(svc, '/gate/open', { name: 'x', namespace: 'kube-system' });
    expect([forbidden.status, forbidden.body.error]).toEqual([403, 'namespace_not_allowed']);
    expect((await request(svc.app).get('/gate/status?namespace=kube-system&name=x').set(BEARER)).status).toBe(403);
  });

  it('answers 405 to a wrong method and 404 to an unknown path, as JSON', async () => {
    const wrong = await request(svc.app).get('/gate/open').set(BEARER);
    expect([wrong.status, wrong.body.error]).toEqual([405, 'method_not_allowed']);
    const unknown = await post(svc, '/nope', payload());
    expect([unknown.status, unknown.body.error]).toEqual([404, 'not_found']);
  });

  it('answers 503 when the gate store fails', async () => {
    const failing: GateStore = {
      get: async () => {
        throw new GateStoreError('cannot read ConfigMap');
      },
      update: async () => {
        throw new GateStoreError('cannot write ConfigMap');
      },
      ready: () => false,
    };
    const broken = testService({}, { gates: failing });
    const res = await post(broken, '/gate/check', payload());
    expect([res.status, res.body.error]).toEqual([503, 'gate_store_unavailable']);
    expect((await request(broken.app).get('/readyz')).status).toBe(503);
  });
});
