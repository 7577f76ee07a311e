import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Resources } from '@tollgate/operator/kube/resources';
import { completionScript, type CompletionSpec } from '../src/commands/completion.js';
import { connect } from '../src/kube.js';
import { completionSpec, run } from '../src/main.js';
import { pollFeed } from '../src/feed.js';
import { canary, event, harness, iso, offline, putCanary, T0 } from './helpers.js';

const VALID = `apiVersion: tollgate.dev/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
  analysis: {interval: 30s, threshold: 2, stepWeight: 20, maxWeight: 60}
`;
const INVALID = VALID.replace('stepWeight: 20', 'stepWeight: 70');

describe('tollgate lint (the command)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-lint-'));
    fs.mkdirSync(path.join(dir, 'manifests'));
    fs.writeFileSync(path.join(dir, 'manifests', 'a.yaml'), VALID);
    fs.writeFileSync(path.join(dir, 'manifests', 'b.yml'), `apiVersion: v1\nkind: Service\nmetadata: {name: x}\n---\n${INVALID}`);
    fs.writeFileSync(path.join(dir, 'manifests', 'notes.txt'), 'not a manifest: {');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('given a valid file, then a summary and exit 0', async () => {
    const h = await offline(['lint', path.join(dir, 'manifests', 'a.yaml')]);
    expect(h.code).toBe(0);
    expect(h.out).toEqual(['0 errors, 0 warnings in 1 Tollgate object.']);
  });

  it('given a directory, then its manifests (not other files): one line per finding, FILE:LINE:COLUMN, exit 1', async () => {
    const h = await offline(['lint', path.join(dir, 'manifests')]);
    expect(h.code).toBe(1);
    expect(h.out).toEqual([
      `${path.join(dir, 'manifests', 'b.yml')}:11:3: error: spec.analysis: Invalid value: stepWeight must not exceed maxWeight (Canary test/podinfo)`,
      '1 error, 0 warnings in 2 Tollgate objects (1 other document skipped).',
    ]);
  });

  it('given - , then standard input (kustomize build | tollgate lint -), and -o json', async () => {
    const h = await offline(['lint', '-', '-o', 'json'], INVALID);
    expect(h.code).toBe(1);
    expect(JSON.parse(h.out.join('\n'))).toEqual({
      checked: 1,
      skipped: 0,
      errors: 1,
      warnings: 0,
      findings: [
        {
          file: '<stdin>',
          document: 0,
          line: 7,
          column: 3,
          object: 'Canary test/podinfo',
          severity: 'error',
          stage: 'cel',
          path: 'spec.analysis',
          message: 'spec.analysis: Invalid value: stepWeight must not exceed maxWeight',
        },
      ],
    });
  });

  it('given a file that does not exist, then exit 3 and why', async () => {
    const h = await offline(['lint', path.join(dir, 'nope.yaml')]);
    expect(h.code).toBe(3);
    expect(h.err).toEqual([`error: cannot read ${path.join(dir, 'nope.yaml')}: no such file or directory`]);
  });

  it('given no Tollgate object, then a note and exit 0', async () => {
    const h = await offline(['lint', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    expect(h.code).toBe(0);
    expect(h.out).toEqual(['No Tollgate objects found (1 other document skipped).']);
  });

  it('given --mesh-provider, then Canaries without a provider are checked with it', async () => {
    const mirrored = VALID.replace('stepWeight: 20', 'stepWeight: 20, mirror: true');
    expect((await offline(['lint', '-'], mirrored)).code).toBe(0);
    const k = await offline(['lint', '-', '--mesh-provider', 'linkerd'], mirrored);
    expect(k.code).toBe(1);
    expect(k.out[0]).toBe(
      '<stdin>:4:1: error: spec: analysis.mirror is not possible with this provider: use istio, gatewayapi:v1, gatewayapi:v1beta1, kuma, emissary or ambassador (Canary test/podinfo)',
    );
  });
});

describe('tollgate get -o name, status -o json|yaml', () => {
  it('given -o name, then canary.tollgate.dev/NAME lines', async () => {
    const h = harness();
    putCanary(h, canary({ name: 'web' }));
    putCanary(h, canary({ name: 'api' }));
    expect(await h.run('get', '-o', 'name')).toBe(0);
    expect(h.out).toEqual(['canary.tollgate.dev/api', 'canary.tollgate.dev/web']);
  });

  it('given status -o json, then the Canary and the Events of the current run; --all-events, all of them', async () => {
    const h = harness();
    putCanary(h, canary({ phase: 'Progressing', status: { runStartTime: iso(T0 - 60_000) } }));
    h.kube.put(Resources.events, event('Succeeded', 'Promotion completed: podinfo-primary serves revision rev1', T0 - 3_600_000) as never);
    h.kube.put(Resources.events, event('NewRevision', 'New revision rev2 detected', T0 - 60_000) as never);
    expect(await h.run('status', 'podinfo', '-o', 'json')).toBe(0);
    const doc = JSON.parse(h.out.join('\n')) as { canary: { kind: string; status: { phase: string } }; events: { reason: string }[] };
    expect(doc.canary).toMatchObject({ kind: 'Canary', status: { phase: 'Progressing' } });
    expect(doc.events.map((e) => e.reason)).toEqual(['NewRevision']);
    h.out.length = 0;
    expect(await h.run('status', 'podinfo', '-o', 'yaml', '--all-events')).toBe(0);
    expect(h.out.join('\n')).toMatch(/^canary:\n {2}apiVersion: tollgate.dev\/v1beta1\n/);
    const events = h.out.join('\n').split('\nevents:\n')[1]!;
    expect(events.match(/reason: (\w+)/g)).toEqual(['reason: Succeeded', 'reason: NewRevision']);
  });
});

describe('tollgate completion', () => {
  /** Runs the bash completion for a command line (the last word is the one completed), `tollgate` faked. */
  function complete(...words: string[]): string[] {
    return completeWith(completionSpec(), ...words);
  }
  function completeWith(spec: CompletionSpec, ...words: string[]): string[] {
    const script = `${completionScript('bash', spec)}
tollgate() { echo canary.tollgate.dev/podinfo; echo "canary.tollgate.dev/args:$*" | tr ' ' '_'; }
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _tollgate
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('given bash, then commands, their flags and the values of -o and --for', () => {
    expect(complete('tollgate', 'h')).toEqual(['history', 'help']);
    expect(complete('tollgate', 'lint', '-')).toEqual([
      '--output',
      '-o',
      '--mesh-provider',
      '--kubeconfig',
      '--context',
      '--namespace',
      '-n',
      '--request-timeout',
      '--help',
      '-h',
    ]);
    expect(complete('tollgate', 'get', '-o', '')).toEqual(['json', 'yaml', 'wide', 'name']);
    expect(complete('tollgate', 'history', 'x', '--output', '')).toEqual(['json', 'yaml']);
    expect(complete('tollgate', 'wait', 'x', '--for', '')).toEqual(['promoted']);
    expect(complete('tollgate', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('given a command that takes a canary, then the names from tollgate get -o name, with the cluster flags typed', () => {
    expect(complete('tollgate', '--context', 'prod', 'status', '-n', 'shop', '--timeout', '1m', '')).toEqual([
      'podinfo',
      'args:get_-o_name_--context_prod_-n_shop',
    ]);
    expect(complete('tollgate', 'promote', 'p')).toEqual(['podinfo']);
  });

  it('given a global flag taking a value, then it is passed on to tollgate get -o name with the cluster flags (the global table decides)', () => {
    const spec = completionSpec();
    const withUser = { ...spec, global: [...spec.global, { long: 'user', short: 'u', value: true }] };
    expect(completeWith(withUser, 'tollgate', '--user', 'bob', 'status', '-u', 'ann', '')).toEqual([
      'podinfo',
      'args:get_-o_name_--user_bob_-u_ann',
    ]);
    expect(completionScript('fish', withUser)).toContain(
      'if contains -- $words[$i] --kubeconfig --context --namespace -n --request-timeout --user -u\n',
    );
  });

  it('given zsh, then the bash function through bashcompinit; fish, one completion per command and flag', () => {
    const zsh = completionScript('zsh', completionSpec());
    expect(zsh.startsWith('#compdef tollgate kubectl-tollgate\n')).toBe(true);
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit\n# bash completion for tollgate');
    const fish = completionScript('fish', completionSpec()).split('\n');
    expect(fish).toContain(
      'complete -c tollgate -n "not __fish_seen_subcommand_from get status history promote abort retry pause resume wait lint convert dashboard migrate completion version help" -a lint -d \'check Canary, MetricTemplate and AlertProvider manifests offline (for CI)\'',
    );
    expect(fish).toContain('complete -c tollgate -n "__fish_seen_subcommand_from get" -l output -s o -x -a \'json yaml wide name\'');
    expect(fish).toContain('complete -c tollgate -n "__fish_seen_subcommand_from dashboard" -l allow-remote');
    expect(fish).toContain('complete -c tollgate -n "__fish_seen_subcommand_from history" -a \'(__tollgate_canaries)\'');
    expect(fish).toContain('complete -c tollgate -n "__fish_seen_subcommand_from lint" -F');
  });

  it('given tollgate completion bash, then the script on stdout, exit 0', async () => {
    const h = await offline(['completion', 'bash']);
    expect(h.code).toBe(0);
    expect(h.out.join('\n')).toContain('complete -F _tollgate tollgate kubectl-tollgate');
  });
});

describe('--request-timeout', () => {
  let server: net.Server;
  let dir: string;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    server = net.createServer((s) => void sockets.push(s)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-timeout-'));
    const port = (server.address() as net.AddressInfo).port;
    fs.writeFileSync(
      path.join(dir, 'kubeconfig'),
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}, {name: closed, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: slow, context: {cluster: c, user: u, namespace: shop}}, {name: other, context: {cluster: closed, user: u}}]
current-context: other
`,
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('given --context naming an API server that does not answer, then the request to it gives up after the timeout, exit 3', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['get', '--kubeconfig', path.join(dir, 'kubeconfig'), '--context', 'slow', '--request-timeout', '300ms'], {
      io: { stdout: (l) => void out.push(l), stderr: (l) => void err.push(l), now: Date.now, sleep: async () => undefined },
      connect,
      feed: pollFeed(1000),
      signal: new AbortController().signal,
      prog: 'tollgate',
    });
    expect(code).toBe(3);
    expect(err.join('\n')).toMatch(/timed out after 300ms/); // the default would be 30000ms; the current context, ECONNREFUSED
  }, 30_000); // the first import of @kubernetes/client-node (kubeconfig loading) takes seconds on a busy machine
});
