import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Canary } from '@tollgate/operator/api/types';
import { Resources } from '@tollgate/operator/kube/resources';
import { setEnv } from '../src/harness/fixtures.js';
import { ROOT } from '../src/harness/paths.js';
import { serviceAccountKubeconfig } from '../src/harness/service-account.js';
import { launchChromium } from './browser.js';
import { envInfo, RUN_DIR } from './env.js';
import { scenario, type Scenario } from './helpers.js';

/**
 * `tollgate dashboard` (cli/dist) in Debian's Chromium, driven by playwright-core, against the local control plane
 * with the operator running real releases: the list, the chart growing step by step, the promote and abort
 * buttons, and a read-only user who is refused. Screenshots go to docs/dashboard/ (shown in cli/README.md).
 * Run by `make test-browser` (jest project "browser").
 */

const CLI_MAIN = path.join(ROOT, 'cli', 'dist', 'main.js');
const SHOTS = path.join(ROOT, 'docs', 'dashboard');

interface Dashboard {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts the built CLI's dashboard on a free loopback port and resolves with its address once it prints it. */
function startDashboard(kubeconfig: string, args: string[] = []): Promise<Dashboard> {
  const child = spawn(process.execPath, [CLI_MAIN, 'dashboard', '--port', '0', ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the dashboard did not start: ${out}`)), 60_000);
    const read = (d: Buffer): void => {
      out += d.toString();
      const url = /Tollgate dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child, output: () => out });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`the dashboard exited (${code}): ${out}`)));
  });
}

/** Waits until the element's text is exactly `value` (the page updates it from the event stream). */
const waitText = (page: Page, selector: string, value: string, timeout: number): Promise<void> =>
  page.locator(selector, { hasText: new RegExp(`^\\s*${value}\\s*$`) }).waitFor({ timeout });

const text = async (page: Page, selector: string): Promise<string> => ((await page.textContent(selector)) ?? '').trim();

describe('tollgate dashboard in a browser, on the local control plane', () => {
  let s: Scenario;
  let ns: string;
  let admin: Dashboard;
  let viewer: Dashboard;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (npx tsc -b)`);
    s = await scenario({ prefix: 'dash', analysis: { maxWeight: 80 } });
    ns = s.ns;
    await readOnlyUser(s, ns);
    const viewerConfig = await serviceAccountKubeconfig(s.client, envInfo().kubeconfig, {
      namespace: ns,
      name: 'viewer',
      file: path.join(RUN_DIR, 'dashboard', 'viewer.kubeconfig'),
    });
    [admin, viewer] = await Promise.all([startDashboard(envInfo().kubeconfig), startDashboard(viewerConfig)]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    for (const d of [admin, viewer]) d?.child.kill('SIGTERM');
    await s?.stop();
  });

  afterEach(() => expect(errors).toEqual([]));

  it('the list shows the Canary with its phase, weight and provider, and filters', async () => {
    await page.goto(admin.url);
    await page.waitForSelector('#live.on');
    const row = page.locator(`#rows tr[data-search^="${ns} podinfo"]`);
    expect((await row.locator('td').allTextContents()).map((t) => t.trim())).toEqual([
      ns,
      'podinfo',
      'Initialized',
      '0',
      '0/2',
      expect.any(String),
      expect.any(String),
      'istio',
    ]);
    await page.fill('#search', 'no-such-canary');
    expect(await row.isHidden()).toBe(true);
    await page.fill('#search', ns);
    expect(await row.isVisible()).toBe(true);
  });

  it('a release: the chart grows step by step (20, 40, 60, 80) while the operator runs it, then promoted', async () => {
    await page.goto(`${admin.url}canaries/${ns}/podinfo`);
    await page.waitForSelector('#live.on');
    const seen: { weight: string; points: number }[] = [];
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v2' });
    const deadline = Date.now() + 120_000;
    while ((await text(page, '#phase-value')) !== 'Succeeded' || seen.length < 2) {
      if (Date.now() > deadline) throw new Error(`not promoted in time: ${JSON.stringify(seen)}`);
      const now = { weight: await text(page, '#weight-value'), points: Number(await page.getAttribute('#chart', 'data-count')) };
      if (seen.at(-1)?.weight !== now.weight) seen.push(now);
      await new Promise((r) => setTimeout(r, 250));
    }
    const weights = seen.map((x) => x.weight);
    expect(weights.filter((w) => w !== '0%')).toEqual(['20%', '40%', '60%', '80%']);
    const counts = seen.map((x) => x.points);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)!).toBeGreaterThanOrEqual(counts[0]! + 4);
    await page.waitForSelector('.history td.outcome-promoted');
    await page.screenshot({ path: path.join(SHOTS, 'release-promoted.png'), fullPage: true });
  });

  it('promote: the button requests it as `tollgate promote` does; the operator acknowledges and promotes', async () => {
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v3' });
    await waitText(page, '#weight-value', '20%', 60_000);
    await page.click('button[data-action=promote]');
    await page.waitForSelector('#answer.ok', { timeout: 30_000 });
    expect(await text(page, '#answer')).toMatch(
      /^Requested for .*: promotion of the revision under analysis.*\nAcknowledged by the operator: /s,
    );
    await waitText(page, '#phase-value', 'Succeeded', 60_000);
    const c = await s.client.get<Canary>(Resources.canaries, ns, 'podinfo');
    expect(c.status?.handledRequests?.promote).toBe(c.metadata.annotations?.['tollgate.dev/promote']);
  });

  it('abort: the button rolls the run back; the page shows Failed and the rollback', async () => {
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v4' });
    await waitText(page, '#weight-value', '40%', 60_000);
    await page.click('button[data-action=abort]');
    await page.waitForSelector('#answer.ok', { timeout: 30_000 });
    expect(await text(page, '#answer')).toContain(`Acknowledged by the operator: ${ns}/podinfo is Failed`);
    await page.waitForSelector('.history td.outcome-failed', { timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'release-rolled-back.png'), fullPage: true });
    await page.goto(admin.url);
    await page.fill('#search', ns);
    await page.screenshot({ path: path.join(SHOTS, 'list.png') });
  });

  it('a read-only user: the namespace alone, and the refusal of the API server shown as such', async () => {
    await page.goto(viewer.url);
    expect(await text(page, '.note')).toBe(`Canaries of namespace ${ns} only: listing them in all namespaces is not allowed`);
    await page.click(`a[href="/canaries/${ns}/podinfo"]`);
    await page.waitForSelector('#live.on');
    const before = await s.client.get<Canary>(Resources.canaries, ns, 'podinfo');
    await page.click('button[data-action=retry]');
    await page.waitForSelector('#answer.refused');
    expect(await page.getAttribute('#answer', 'data-status')).toBe('403');
    expect(await text(page, '#answer')).toMatch(/^HTTP 403: error: not allowed \(403 Forbidden\): .*cannot patch resource "canaries"/);
    const after = await s.client.get<Canary>(Resources.canaries, ns, 'podinfo');
    expect(after.metadata.annotations?.['tollgate.dev/retry']).toBe(before.metadata.annotations?.['tollgate.dev/retry']);
  });
});

/** A ServiceAccount "viewer" that may read Canaries and Events of the namespace, and nothing else. */
async function readOnlyUser(s: Scenario, ns: string): Promise<void> {
  await s.client.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'viewer', namespace: ns } },
  });
  const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/' + ns;
  await s.client.request('POST', `${rbac}/roles`, {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'canary-viewer', namespace: ns },
      rules: [
        { apiGroups: ['tollgate.dev'], resources: ['canaries'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      ],
    },
  });
  await s.client.request('POST', `${rbac}/rolebindings`, {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'canary-viewer', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'canary-viewer' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
    },
  });
}
