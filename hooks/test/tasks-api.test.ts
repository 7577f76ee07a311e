import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { BEARER, localServer, post, task, testService, type TestService } from './helpers.js';

let svc: TestService;
beforeEach(() => {
  svc = testService();
});
afterEach(() => svc.shutdown(0));

const taskRuns = (s: TestService): Promise<string> => s.metrics.registry.getSingleMetricAsString('tollgate_hooks_task_runs_total');

describe('POST / (requests)', () => {
  it('answers 400 "metadata not found" without metadata, or with null metadata as Flagger sends', async () => {
    for (const body of [
      { name: 'podinfo', namespace: 'test' },
      { name: 'podinfo', namespace: 'test', metadata: null },
    ]) {
      const res = await post(svc, '/', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'metadata_not_found', message: 'metadata not found in payload' });
    }
  });

  it('answers 400 with the known types for an unknown type', async () => {
    const res = await post(svc, '/', task({ type: 'concord', cmd: 'x' }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'unknown_task_type',
      knownTypes: ['bash', 'cmd', 'helm', 'helmv3', 'http', 'kubectl', 'load'],
    });
  });

  it('answers 400 to malformed JSON, whatever the content type', async () => {
    const res = await request(svc.app).post('/').set(BEARER).set('content-type', 'application/json').send('{"name": "podinfo",');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('malformed_json');
  });

  it('reads a JSON body sent as a form (curl -d)', async () => {
    const res = await request(svc.app).post('/gate/open').set(BEARER).type('form').send('{"name":"podinfo","namespace":"test"}');
    expect(res.status).toBe(202);
  });

  it('answers 413 to a body over MAX_BODY_BYTES, before authentication', async () => {
    const big = JSON.stringify(task({ type: 'bash', cmd: `echo ${'x'.repeat(70_000)}` }));
    const res = await request(svc.app).post('/').set('content-type', 'application/json').send(big);
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('body_too_large');
  });

  it('lists every schema problem of an invalid payload', async () => {
    const res = await post(svc, '/', { name: 'Bad_Name', namespace: '', metadata: { cmd: 3 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_payload');
    expect(res.body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: /),
        expect.stringMatching(/^namespace: /),
        expect.stringMatching(/^metadata.cmd: metadata values must be strings/),
      ]),
    );
  });

  it('answers 400 listing bad metadata', async () => {
    const res = await post(svc, '/', task({ type: 'http', url: 'ftp://x', count: 'many' }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_metadata');
    expect(res.body.problems).toEqual([expect.stringMatching(/^url: /), expect.stringMatching(/^count: must be an integer/)]);
  });

  it('answers 403 for a namespace outside NAMESPACE_REGEXP (matched whole)', async () => {
    const limited = testService({ namespacePattern: /^(?:test|prod)$/ });
    expect((await post(limited, '/', task({ type: 'bash', cmd: 'true' }, { namespace: 'test2' }))).status).toBe(403);
    expect((await post(limited, '/', task({ type: 'bash', cmd: 'true' }))).status).toBe(200);
  });
});

describe('POST / (command safety)', () => {
  it.each([
    'echo hi; rm -rf /',
    'echo $(id)',
    'echo `id`',
    'echo ${HOME}',
    'echo hi > /tmp/x',
    'echo hi\nrm -rf /',
    'echo hi || id',
    'sleep 1 &',
  ])('rejects %j with 400 and runs nothing', async (cmd) => {
    for (const type of ['cmd', 'bash']) {
      const res = await post(svc, '/', task({ type, cmd }));
      expect([type, res.status, res.body.error]).toEqual([type, 400, 'unsupported_syntax']);
    }
    expect(await taskRuns(svc)).not.toMatch(/result=/);
    expect(svc.runner.size).toBe(0);
  });

  it('runs none of the programs of a rejected command line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hooks-inject-'));
    const withTouch = testService({ allowedCommands: ['touch', 'echo'] });
    try {
      for (const cmd of [
        `touch ${dir}/a; touch ${dir}/b`,
        `touch ${dir}/c $(touch ${dir}/d)`,
        `touch ${dir}/e \`touch ${dir}/f\``,
        `touch ${dir}/g > ${dir}/h`,
      ]) {
        expect((await post(withTouch, '/', task({ type: 'bash', cmd }))).status).toBe(400);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await withTouch.shutdown(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a program outside the allowlist, naming it and the list', async () => {
    for (const cmd of ['rm -rf /tmp/nothing', 'echo x | sh', '/bin/sh -c id', 'bash -c id']) {
      const res = await post(svc, '/', task({ type: 'bash', cmd }));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('program_not_allowed');
      expect(res.body.allowed).toContain('hey');
      expect(res.body.message).toMatch(/program ".*" is not allowed/);
    }
  });
});

describe('POST / (bash, helm)', () => {
  it('runs `echo hello | grep hello` and answers 200 ok, or the output with returnCmdOutput', async () => {
    const plain = await post(svc, '/', task({ type: 'bash', cmd: 'echo hello | grep hello' }));
    expect([plain.status, plain.text]).toEqual([200, 'ok']);
    const output = await post(svc, '/', task({ type: 'bash', cmd: 'echo hello | grep hello', returnCmdOutput: 'true' }));
    expect([output.status, output.text]).toEqual([200, 'hello\n']);
  });

  it('answers 500 with the exit code and output when the command fails', async () => {
    const res = await post(svc, '/', task({ type: 'bash', cmd: 'echo hello | grep nope' }));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'task_failed', message: 'command failed: grep exited with code 1' });
    const seq = await post(svc, '/', task({ type: 'bash', cmd: 'echo first && sleep forever && echo never' }));
    expect(seq.status).toBe(500);
    expect(seq.body.output).toContain('first\n');
    expect(seq.body.output).toContain('forever');
    expect(await taskRuns(svc)).toMatch(/type="bash",result="failed"} 2/);
  });

  it('runs helm with the given arguments only, and says when it is not installed', async () => {
    const piped = await post(svc, '/', task({ type: 'helmv3', cmd: 'test podinfo | grep x' }));
    expect(piped.status).toBe(400);
    expect(piped.body.message).toContain('takes helm arguments only');
    const fakeHelm = testService({ allowedCommands: ['helm', 'echo'] }, { env: { PATH: '/nonexistent' } });
    const missing = await post(fakeHelm, '/', task({ type: 'helm', cmd: 'test podinfo -n test' }));
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({
      error: 'program_not_found',
      message: expect.stringContaining('"helm" is allowed but not installed'),
    });
  });
});

describe('POST / (http smoke checks)', () => {
  it('passes when every request answers the expected status and body', async () => {
    const target = await localServer((_req, res) => res.end('{"token":"abc"}'));
    try {
      const res = await post(svc, '/', task({ type: 'http', url: `${target.url}/token`, bodyPattern: '"token":"\\w+"', count: '3' }));
      expect([res.status, res.text]).toEqual([
        200,
        `3/3 requests passed: GET ${target.url}/token answered 200, body matched /"token":"\\w+"/`,
      ]);
      expect(target.hits()).toBe(3);
    } finally {
      await target.close();
    }
  });

  it('answers 500 with the first failure', async () => {
    let n = 0;
    const target = await localServer((_req, res) => {
      res.statusCode = ++n === 2 ? 503 : 200;
      res.end('fine');
    });
    try {
      const status = await post(svc, '/', task({ type: 'http', url: target.url, count: '3' }));
      expect(status.status).toBe(500);
      expect(status.body.message).toBe('request 2/3: expected status 200, got 503');
      const body = await post(svc, '/', task({ type: 'http', url: target.url, bodyPattern: '^ok$' }));
      expect(body.body.message).toBe('request 1/1: body did not match /^ok$/: "fine"');
      const expected = await post(svc, '/', task({ type: 'http', url: target.url, method: 'POST', body: 'x', expectedStatus: '200' }));
      expect(expected.status).toBe(200);
    } finally {
      await target.close();
    }
  });

  it('reports a target that does not answer, and refuses a bad pattern', async () => {
    const target = await localServer(() => undefined);
    const url = target.url;
    await target.close();
    const refused = await post(svc, '/', task({ type: 'http', url }));
    expect(refused.status).toBe(500);
    expect(refused.body.message).toMatch(/^request 1\/1: GET http:\/\/127.0.0.1:\d+ failed: ECONNREFUSED/);
    const badPattern = await post(svc, '/', task({ type: 'http', url, bodyPattern: '(' }));
    expect([badPattern.status, badPattern.body.error]).toEqual([400, 'invalid_metadata']);
  });

  it('times a slow target out', async () => {
    const target = await localServer(() => undefined);
    try {
      const res = await post(svc, '/', task({ type: 'http', url: target.url, timeout: '200ms' }));
      expect(res.status).toBe(500);
      expect(res.body.message).toContain('timed out');
    } finally {
      await target.close();
    }
  });
});

describe('POST / (load)', () => {
  it('generates load for 1 s at the given rate and reports rate and latency', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    try {
      const res = await post(svc, '/', task({ type: 'load', url: target.url, rate: '40', duration: '1s', concurrency: '2', wait: 'true' }));
      expect(res.status).toBe(200);
      expect(res.text).toMatch(
        /^\d+ requests in [\d.]+s to http:\/\/127\.0\.0\.1:\d+: [\d.]+ req\/s, latency p50 [\d.]+ms p90 [\d.]+ms p99 [\d.]+ms/,
      );
      const requests = Number(/^(\d+) requests/.exec(res.text)![1]);
      // autocannon grants each second's allowance at its start: a 1 s run sees one or two allowances of 40
      expect(requests).toBeGreaterThanOrEqual(20);
      expect(requests).toBeLessThanOrEqual(80);
      // requests still in flight when the duration ends reach the target but are not counted
      expect(target.hits()).toBeGreaterThanOrEqual(requests);
      expect(target.hits()).toBeLessThanOrEqual(requests + 2);
    } finally {
      await target.close();
    }
  });

  it('runs in the background by default, and refuses a blocking run longer than the blocking timeout', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    try {
      const started = await post(svc, '/', task({ type: 'load', url: target.url, rate: '5', duration: '10s' }, { checksum: 'a' }));
      expect(started.status).toBe(202);
      expect(svc.runner.list()).toEqual([expect.objectContaining({ type: 'load', mode: 'background' })]);
      const tooLong = await post(svc, '/', task({ type: 'load', url: target.url, duration: '2m', wait: 'true' }));
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.problems[0]).toContain('blocking timeout');
    } finally {
      await svc.shutdown(0);
      await target.close();
    }
  });

  it('fails a blocking run whose target answers nothing', async () => {
    const target = await localServer(() => undefined);
    const url = target.url;
    await target.close();
    const res = await post(svc, '/', task({ type: 'load', url, rate: '10', duration: '1s', wait: 'true' }));
    expect(res.status).toBe(500);
    expect(res.body.message).toMatch(/^load: the target answered no request/);
  });
});
