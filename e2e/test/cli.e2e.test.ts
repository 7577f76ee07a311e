import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RULE_EXAMPLES } from '@tollgate/operator/api/crd/rule-examples';
import type { Canary, CanarySpec } from '@tollgate/operator/api/types';
import { istioCanary, setEnv } from '../src/harness/fixtures.js';
import { ROOT } from '../src/harness/paths.js';
import { kubeTools } from '../src/harness/tools.js';
import { envInfo } from './env.js';
import { canaryEvents, getCanary, scenario, type Scenario } from './helpers.js';

/**
 * The `tollgate` CLI (cli/), built, run as a child process against the local control plane and a real operator,
 * as a user or a CI job would run it: get, status, wait, pause, resume, promote, abort, retry, history, and as a
 * kubectl plugin; lint, offline, against what the API server says of the same manifests.
 */

const CLI_MAIN = path.join(ROOT, 'cli', 'dist', 'main.js');
const CLI_BIN = path.join(ROOT, 'cli', 'bin', 'tollgate');

interface CliResult {
  args: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command line to its end; the result carries the output, so a failed expectation shows it. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, KUBECONFIG: envInfo().kubeconfig, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ args: args.join(' '), code, stdout, stderr });
    });
  });
}

const tollgate = (...args: string[]): Promise<CliResult> => run(process.execPath, [CLI_MAIN, ...args]);

describe('tollgate CLI on the local control plane', () => {
  let s: Scenario;
  let ns: string;
  const canary = (): Canary => s.timeline.canary!;
  const phase = (): string => canary().status?.phase ?? '';
  const weight = (): number => canary().status?.canaryWeight ?? 0;

  /** Polls the observer's cache (no API calls) until pred holds. */
  async function until(what: string, pred: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; phases: ${s.timeline.phaseSequence().join(' > ')}; status: ${JSON.stringify(canary()?.status)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    if (!fs.existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (npx tsc -b)`);
    // Weights 20..80 every 3s: room to pause, resume and promote before the last steps.
    s = await scenario({ prefix: 'cli', analysis: { maxWeight: 80 } });
    ns = s.ns;
  });

  afterAll(async () => {
    await s?.stop();
  });

  it("get: the table, JSON, the kubeconfig context's namespace, -A, and `kubectl tollgate get` as a plugin", async () => {
    const table = await tollgate('get', '-n', ns);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'PHASE', 'WEIGHT', 'FAILED', 'REVISION', 'PROMOTED', 'READY', 'AGE']);
    const revision = canary().status!.lastAppliedSpec!;
    expect(row).toMatch(new RegExp(`^podinfo +Initialized +0 +0/2 +${revision} +${revision} +True \\(Initialized\\) +\\d+s$`));

    const json = await tollgate('get', 'podinfo', '-n', ns, '-o', 'json');
    expect(json).toMatchObject({ code: 0 });
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: ns },
      status: { phase: 'Initialized' },
    });

    const all = await tollgate('get', '-A');
    expect(all.stdout).toMatch(new RegExp(`^${ns} +podinfo +Initialized`, 'm'));

    const tools = kubeTools();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-cli-'));
    try {
      const kubeconfig = path.join(dir, 'kubeconfig');
      fs.copyFileSync(envInfo().kubeconfig, kubeconfig);
      execFileSync(tools.kubectl, ['config', 'set-context', '--current', `--namespace=${ns}`, `--kubeconfig=${kubeconfig}`], {
        stdio: 'ignore',
      });
      const fromContext = await tollgate('get', '--kubeconfig', kubeconfig);
      expect(fromContext).toMatchObject({ code: 0 });
      expect(fromContext.stdout).toMatch(/^podinfo +Initialized/m);

      fs.mkdirSync(path.join(dir, 'bin'));
      fs.symlinkSync(CLI_BIN, path.join(dir, 'bin', 'kubectl-tollgate'));
      const plugin = await run(tools.kubectl, ['tollgate', 'get'], {
        KUBECONFIG: kubeconfig,
        PATH: `${path.join(dir, 'bin')}:${tools.bin}:${process.env.PATH}`,
      });
      expect(plugin).toMatchObject({ code: 0 });
      const withoutAge = (line: string | undefined): string | undefined => line?.replace(/\S+$/, '');
      expect(withoutAge(plugin.stdout.split('\n')[1])).toBe(withoutAge(row));
      const usage = await run(tools.kubectl, ['tollgate', 'promte', 'podinfo'], {
        KUBECONFIG: kubeconfig,
        PATH: `${path.join(dir, 'bin')}:${tools.bin}:${process.env.PATH}`,
      });
      expect(usage).toMatchObject({
        code: 3,
        stderr: 'error: unknown command "promte"; did you mean "promote"?\nSee \'kubectl tollgate help\'.\n',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const refused = await tollgate('promote', 'podinfo', '-n', ns);
    expect(refused).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('refused: podinfo is Initialized: no run in progress to promote.'),
    });
    expect(await tollgate('get', 'nope', '-n', ns)).toMatchObject({
      code: 3,
      stderr: `error: canary "nope" not found in namespace "${ns}"\n`,
    });
  });

  it('wait, started right after the change, exits 0 once the new revision is promoted; status --until-done follows the run', async () => {
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v2' });
    const [waited, followed] = await Promise.all([
      tollgate('wait', 'podinfo', '-n', ns, '--timeout', '2m'),
      tollgate('status', 'podinfo', '-n', ns, '--until-done'),
    ]);
    expect(waited).toMatchObject({ code: 0 });
    const c = await getCanary(s.client, ns);
    expect(c.status?.lastPromotedSpec).toBe(c.status?.lastAppliedSpec);
    // It shows the run from where it found it (the first step, unless the CLI took a step's time to start).
    expect(waited.stdout).toMatch(/Progressing {2}weight (20|40|60) {2}failed 0\/2/);
    expect(waited.stdout).toMatch(/Progressing {2}weight 80 {2}failed 0\/2/);
    expect(waited.stdout.trimEnd().split('\n').pop()).toBe(
      `${ns}/podinfo is promoted: revision ${c.status?.lastPromotedSpec} (revision ${c.status?.lastPromotedSpec} promoted)`,
    );

    expect(followed).toMatchObject({ code: 0 });
    expect(followed.stdout).toContain('Following the run until it ends (Ctrl-C to stop):');
    expect(followed.stdout).toMatch(/checks: request-success-rate [\d.]+ \(>= 99\) ok; request-duration [\d.]+ \(<= 500\) ok/);
    // Steps before the CLI started are in its Events table, the later ones followed (on a loaded machine the CLI can
    // take a step's time to start); the last step is always followed.
    expect(followed.stdout).toMatch(/Normal +Advanced:? +Advance podinfo canary weight 40/);
    expect(followed.stdout).toMatch(/event Normal Advanced: Advance podinfo canary weight 80/);
    expect(followed.stdout.trimEnd().split('\n').pop()).toBe(`The run has ended: revision ${c.status?.lastPromotedSpec} is promoted.`);
  });

  it('pause holds the weight while paused, resume goes on, promote skips the remaining steps', async () => {
    const from = s.timeline.phases.length;
    s.timeline.routeWeights.length = 0;
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v3' });
    await until('canary weight 20', () => phase() === 'Progressing' && weight() === 20);

    const paused = await tollgate('pause', 'podinfo', '-n', ns);
    const ack =
      /Acknowledged by the operator: .* is Progressing {2}weight (\d+) {2}failed 0\/2 {2}paused: paused at canary weight \d+/.exec(
        paused.stdout,
      );
    expect({ ...paused, ack: Boolean(ack) }).toMatchObject({ code: 0, ack: true });
    const held = Number(ack![1]);
    const routes = [...s.timeline.routeWeights];
    await new Promise((r) => setTimeout(r, 7000));
    expect({ phase: phase(), weight: weight(), routes: s.timeline.routeWeights }).toEqual({ phase: 'Progressing', weight: held, routes });
    expect(routes.at(-1)).toBe(held);
    const wide = await tollgate('get', 'podinfo', '-n', ns, '-o', 'wide');
    expect(wide.stdout).toMatch(new RegExp(`Deployment/podinfo +3s +true +paused at canary weight ${held}`));

    const resumed = await tollgate('resume', 'podinfo', '-n', ns);
    expect(resumed).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Acknowledged by the operator: ${ns}/podinfo is Progressing  weight ${held + 20}`),
    });

    const promoted = await tollgate('promote', 'podinfo', '-n', ns);
    expect(promoted).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Requested for .*: promotion of the revision under analysis.*\nAcknowledged by the operator: /),
    });
    await s.timeline.waitForPhase('Succeeded', 30_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(Math.max(...s.timeline.routeWeights)).toBeLessThan(80);
    expect(s.timeline.routeWeights.at(-1)).toBe(0);
    const events = await canaryEvents(s.client, ns);
    expect(events.some((e) => e.reason === 'Promoting' && e.message.includes('promoted on request (tollgate.dev/promote='))).toBe(true);
  });

  it('abort rolls the run back (wait exits 1); retry runs the revision again to promotion (wait exits 0)', async () => {
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v4' });
    await until('canary weight 20', () => phase() === 'Progressing' && weight() >= 20);
    const aborted = await tollgate('abort', 'podinfo', '-n', ns);
    expect(aborted).toMatchObject({ code: 0, stdout: expect.stringContaining(`Acknowledged by the operator: ${ns}/podinfo is Failed`) });
    const failed = await tollgate('wait', 'podinfo', '-n', ns, '--timeout', '30s');
    expect(failed).toMatchObject({ code: 1 });
    expect(failed.stdout.trimEnd().split('\n').pop()).toMatch(new RegExp(`^${ns}/podinfo failed: Failed: `));
    const revision = canary().status?.lastAppliedSpec;

    const retried = await tollgate('retry', 'podinfo', '-n', ns);
    expect(retried).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Acknowledged by the operator: ${ns}/podinfo is Progressing`),
    });
    const waited = await tollgate('wait', 'podinfo', '-n', ns, '--timeout', '2m');
    expect(waited).toMatchObject({ code: 0 });
    expect(canary().status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: revision });
  });

  it('a failing release: wait exits 1 with the reason; status shows the failed check, Stalled and the rollback Event', async () => {
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v5', ERROR_RATE: '0.6' });
    const waited = await tollgate('wait', 'podinfo', '-n', ns, '--timeout', '2m');
    expect(waited).toMatchObject({ code: 1 });
    expect(waited.stdout.trimEnd().split('\n').pop()).toMatch(
      new RegExp(`^${ns}/podinfo failed: Failed: .*failed checks threshold reached 2: request-success-rate [\\d.]+ < 99`),
    );

    const status = await tollgate('status', 'podinfo', '-n', ns);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toContain('Phase:      Failed');
    expect(status.stdout).toContain('Failed:     2 of 2 checks');
    expect(status.stdout).toMatch(/ {2}request-success-rate +[\d.]+ +>= 99 +FAIL: request-success-rate [\d.]+ < 99/);
    expect(status.stdout).toMatch(/ {2}Stalled +True +Failed /);
    expect(status.stdout).toMatch(/\+\d+s +Warning +RolledBack +Canary failed, rolling back podinfo/);
    expect(status.stdout).not.toContain('promoted on request');

    expect(await tollgate('abort', 'podinfo', '-n', ns)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('refused: podinfo is Failed: no run in progress to abort.'),
    });
  });
  it('history: every run of this file, newest first, with its trigger, outcome and failure reason; status -o json', async () => {
    const listed = await tollgate('history', 'podinfo', '-n', ns, '-o', 'json');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const { releases } = JSON.parse(listed.stdout) as {
      releases: { revision: string; trigger: string; outcome: string; reason?: string; durationMs?: number }[];
    };
    // v5 failed checks; v4 aborted, then retried (the tests above checked those outcomes); v3, v2; the first deployment.
    expect(releases.map((r) => `${r.trigger} ${r.outcome}`).slice(0, 3)).toEqual([
      'new revision failed',
      'retry promoted',
      'new revision failed',
    ]);
    expect(releases).toHaveLength(6);
    expect(releases[5]).toMatchObject({ trigger: 'initialization', outcome: 'initialized' });
    for (const r of releases.slice(3, 5)) {
      // promoted unless the machine was too slow for the latency check
      expect(r.trigger).toBe('new revision');
      expect(r.outcome === 'promoted' || (r.outcome === 'failed' && r.reason?.startsWith('failed checks threshold reached'))).toBe(true);
    }
    expect(releases[0]).toMatchObject({
      revision: canary().status?.lastAppliedSpec,
      reason: expect.stringMatching(/^failed checks threshold reached 2: request-success-rate [\d.]+ < 99$/),
    });
    expect(releases[2]!.reason).toMatch(/^aborted on request \(tollgate.dev\/abort=/);
    expect(releases[1]!.revision).toBe(releases[2]!.revision);
    expect(releases.every((r) => r.durationMs !== undefined && r.durationMs >= 0)).toBe(true);
    const table = await tollgate('history', 'podinfo', '-n', ns);
    expect(table.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual(['REVISION', 'TRIGGER', 'STARTED', 'DURATION', 'OUTCOME', 'REASON']);
    expect(table.stdout.split('\n')[1]).toMatch(
      /^\w+ +new revision +\d{4}-\d\d-\d\dT[\d:]+Z +\S+ +failed +failed checks threshold reached 2/,
    );

    const doc = await tollgate('status', 'podinfo', '-n', ns, '-o', 'json');
    const parsed = JSON.parse(doc.stdout) as { canary: Canary; events: { reason: string }[] };
    expect(parsed.canary.status?.phase).toBe('Failed');
    expect(parsed.events.map((e) => e.reason)).toContain('RolledBack');
  });

  it('lint, offline: the manifests the API server refuses, with its messages, at their lines; a valid one passes', async () => {
    const tools = kubeTools();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-lint-'));
    const bad = (name: string, analysis: object, spec: object = {}): Canary =>
      istioCanary(ns, name, analysis as Partial<NonNullable<CanarySpec['analysis']>>, spec as Partial<CanarySpec>);
    const cases: [string, Canary][] = [
      ...RULE_EXAMPLES.map((ex, i) => [ex.title, bad(`lint-rule-${i}`, ex.analysis ?? {}, ex.spec)] as [string, Canary]),
      ['a weight of 150', bad('lint-weight', { maxWeight: 150 })],
      ['an interval under one second', bad('lint-interval', { interval: '500ms' })],
      ['a provider that does not exist', bad('lint-provider', {}, { provider: 'haproxy' })],
      ['a misspelt field', bad('lint-unknown', { stepWeigth: 5 })],
      ['a string for an integer, with a CEL rule broken too', bad('lint-type', { threshold: 'two', stepWeight: 70 })],
      ['a port name too long', bad('lint-long', {}, { service: { port: 9898, portName: 'p'.repeat(64) } })],
    ];
    try {
      const files = cases.map(([, c], i) => {
        const file = path.join(dir, `case-${String(i).padStart(2, '0')}.yaml`);
        fs.writeFileSync(file, `# ${cases[i]![0]}\n${JSON.stringify(c, null, 2)}\n`);
        return file;
      });
      fs.writeFileSync(path.join(dir, 'valid.yaml'), JSON.stringify(istioCanary(ns, 'lint-ok')));
      expect(await tollgate('lint', path.join(dir, 'valid.yaml'))).toMatchObject({
        code: 0,
        stdout: '0 errors, 0 warnings in 1 Tollgate object.\n',
      });

      const linted = await tollgate('lint', '-o', 'json', dir);
      expect(linted).toMatchObject({ code: 1, stderr: '' });
      const findings = (JSON.parse(linted.stdout) as { findings: { file: string; stage: string; line: number; message: string }[] })
        .findings;
      const differences: string[] = [];
      for (const [i, file] of files.entries()) {
        const mine = findings.filter((f) => f.file === file && (f.stage === 'schema' || f.stage === 'cel'));
        const server = await run(tools.kubectl, ['create', '-f', file], { PATH: `${tools.bin}:${process.env.PATH}` });
        if (server.code === 0 || !mine.length) differences.push(`${cases[i]![0]}: kubectl ${server.code}, lint ${mine.length} findings`);
        for (const f of mine)
          if (!server.stderr.includes(f.message))
            differences.push(`${cases[i]![0]}: lint says "${f.message}", the API server: ${server.stderr}`);
        if (mine.some((f) => f.line < 2)) differences.push(`${cases[i]![0]}: a finding on the comment line`);
      }
      expect(differences).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
