/**
 * Finding 5 of issue 12: secrets within the reach of tasks and of the logs. Each test performs the attack and
 * shows that the secret does not come out.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import request from 'supertest';
import { makeTaskHome } from '../src/command/environment.js';
import { BEARER, localServer, post, TASK_HOME, task, testService } from './helpers.js';

const TOKEN_VALUE = 'service-token-0123456789abcdef';
const KEY_VALUE = 'service-hmac-key-0123456789abcdef';

describe('the environment of task processes', () => {
  it('is an allowlist: a task printing its environment sees no secret of the service', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: '/root',
      HOOKS_TOKEN: TOKEN_VALUE,
      HOOKS_HMAC_KEY: KEY_VALUE,
      HOOKS_TOKEN_FILE: '/etc/tollgate-hooks/token',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      HELM_PLUGINS: '/tmp/evil-plugins',
      KUBECTL_EXTERNAL_DIFF: '/bin/sh',
      KUBECONFIG: '/etc/kube/config',
    };
    const printing = testService({ allowedCommands: ['printenv'] }, { env });
    try {
      const res = await post(printing, '/', task({ type: 'bash', cmd: 'printenv', returnCmdOutput: 'true' }));
      expect(res.status).toBe(200);
      expect(res.text.split('\n').filter(Boolean).sort()).toEqual([`HOME=${TASK_HOME}`, 'KUBECONFIG=/etc/kube/config', `PATH=${env.PATH}`]);
    } finally {
      await printing.shutdown(0);
    }
  });
});

describe('files of the service', () => {
  const asRoot = process.getuid?.() === 0 ? it : it.skip;

  asRoot(
    'under TASK_UID, a task can read neither a mounted secret, nor /proc/<pid>/environ of the service, nor write its home',
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'hooks-uid-'));
      chmodSync(dir, 0o755);
      const secret = path.join(dir, 'token');
      writeFileSync(secret, TOKEN_VALUE, { mode: 0o400 });
      const user = { uid: 65534, gid: 65534 };
      const home = makeTaskHome(dir, user);
      const separate = testService({ allowedCommands: ['head', 'touch', 'id'], taskUser: user }, { taskHome: home });
      try {
        const whoami = await post(separate, '/', task({ type: 'bash', cmd: 'id -u', returnCmdOutput: 'true' }));
        expect([whoami.status, whoami.text]).toEqual([200, '65534\n']);
        for (const file of [secret, `/proc/${process.pid}/environ`]) {
          const res = await post(separate, '/', task({ type: 'bash', cmd: `head -c 64 ${file}`, returnCmdOutput: 'true' }));
          expect([file, res.status]).toEqual([file, 500]);
          expect(res.body.output).toMatch(/Permission denied/);
        }
        const write = await post(separate, '/', task({ type: 'bash', cmd: `touch ${home}/.curlrc` }));
        expect(write.status).toBe(500);
        expect(write.body.output).toMatch(/Permission denied/);
        expect((await post(separate, '/', task({ type: 'bash', cmd: `touch ${home}/.cache/helm-index` }))).status).toBe(200);
      } finally {
        await separate.shutdown(0);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

/** A logger whose lines are kept in memory. */
function memoryLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream) as Logger, text: () => lines.join('') };
}

describe('the request log', () => {
  it('logs the path, never the query string', async () => {
    const log = memoryLogger();
    const svc = testService({}, { logger: log.logger });
    try {
      const res = await request(svc.app).get(`/gate/status?namespace=test&name=podinfo&token=${TOKEN_VALUE}`).set(BEARER);
      expect(res.status).toBe(200);
      await request(svc.app).get(`/nope?access_token=${TOKEN_VALUE}`).set(BEARER);
      expect(log.text()).toContain('"url":"/gate/status"');
      expect(log.text()).toContain('"url":"/nope"');
      expect(log.text()).not.toContain(TOKEN_VALUE);
    } finally {
      await svc.shutdown(0);
    }
  });
});

describe('GET /tasks and task logs', () => {
  it('show commands and URLs with their credentials replaced by ***', async () => {
    const log = memoryLogger();
    const svc = testService({}, { logger: log.logger });
    const silent = await localServer(() => undefined);
    const secrets = ['hunter2', 'bearer-secret', 'query-secret', 'pw-in-url', 'kube-secret', 'load-secret', 'basic-secret', 'set-secret'];
    const port = new URL(silent.url).port;
    try {
      const cmds = [
        `curl -s -u admin:hunter2 -H 'Authorization: Bearer bearer-secret' '${silent.url}/?token=query-secret'`,
        `curl -s http://user:pw-in-url@127.0.0.1:${port}/x`,
        `hey -z 10s -q 1 -c 1 -a user:basic-secret ${silent.url}/`,
        `curl -s --oauth2-bearer kube-secret -d password=set-secret ${silent.url}/`,
      ];
      for (const cmd of cmds) expect((await post(svc, '/', task({ cmd }, { checksum: 'a' }))).status).toBe(202);
      const load = await post(
        svc,
        '/',
        task(
          { type: 'load', url: `http://u:load-secret@127.0.0.1:${port}/?access_token=load-secret`, rate: '1', duration: '10s' },
          { checksum: 'a' },
        ),
      );
      expect(load.status).toBe(202);
      const listed = await request(svc.app).get('/tasks').set(BEARER);
      expect(listed.body.tasks).toHaveLength(5);
      const summaries = listed.body.tasks.map((t: { summary: string }) => t.summary).sort();
      expect(summaries).toEqual(
        [
          `curl -s --oauth2-bearer *** -d password=*** ${silent.url}/`,
          `curl -s -u admin:*** -H 'Authorization: ***' '${silent.url}/?token=***'`,
          `curl -s http://***@127.0.0.1:${port}/x`,
          `hey -z 10s -q 1 -c 1 -a user:*** ${silent.url}/`,
          `load GET http://***@127.0.0.1:${port}/?access_token=*** rate=1/s duration=10000ms concurrency=2`,
        ].sort(),
      );
      for (const s of secrets) {
        expect([s, JSON.stringify(listed.body).includes(s)]).toEqual([s, false]);
        expect([s, log.text().includes(s)]).toEqual([s, false]);
      }
    } finally {
      await svc.shutdown(0);
      await silent.close();
    }
  });
});
