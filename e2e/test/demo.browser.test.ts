import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../src/harness/paths.js';
import { launchChromium } from './browser.js';

/**
 * `make demo DASHBOARD=0` as a person runs it: the demo starts its own control plane, `kubectl tollgate dashboard`
 * (kubectl finding the plugin npm linked) prints the demo Canary's page, and that page in Chromium follows both
 * releases of the demo live (v2 promoted, v3 rolled back). DEMO_HOLD=1 keeps the demo up until a line on stdin,
 * as a terminal does until Enter.
 */

const DEMO = path.join(ROOT, 'e2e', 'dist', 'demo.js');

interface Demo {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of re in the demo's output. */
  waitFor: (re: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function startDemo(): Demo {
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DASHBOARD: '0', DEMO_HOLD: '1' };
  // Its own control plane, as on a fresh machine: not the one of the browser suite.
  delete env.KUBECONFIG;
  const child = spawn(process.execPath, [DEMO], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}) before printing ${re}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`the demo printed no ${re} within ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { child, output: () => out, waitFor, exited };
}

const text = async (page: Page, selector: string): Promise<string> => ((await page.textContent(selector)) ?? '').trim();

describe('make demo with the dashboard', () => {
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];

  afterAll(async () => {
    await browser?.close();
    // SIGTERM makes the demo stop its control plane, simulator, Prometheus, operator and dashboard before it exits.
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGTERM');
      await Promise.race([demo.exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
  });

  it("kubectl tollgate dashboard opens on the demo's Canary and shows both releases live while the demo runs", async () => {
    demo = startDemo();
    const [, url] = await demo.waitFor(
      /Dashboard \(kubectl tollgate dashboard -n demo\): (http:\/\/127\.0\.0\.1:\d+\/canaries\/demo\/podinfo)/,
      240_000,
    );
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url!);
    await page.waitForSelector('#live.on');
    // Sample what the page shows while the demo runs its releases: it must follow them live.
    const phases: string[] = [];
    const weights: string[] = [];
    const deadline = Date.now() + 240_000;
    while (!/press Enter to stop the demo/.test(demo.output())) {
      if (demo.child.exitCode !== null || Date.now() > deadline) throw new Error(`the demo did not finish its releases:\n${demo.output()}`);
      const [phase, weight] = [await text(page, '#phase-value'), await text(page, '#weight-value')];
      if (phases.at(-1) !== phase) phases.push(phase);
      if (weights.at(-1) !== weight) weights.push(weight);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(demo.output()).toMatch(/-> Succeeded after/);
    expect(demo.output()).toMatch(/-> Failed after/);
    // Succeeded may show for less than a sample (v3 starts at once): the releases table below tells.
    expect(phases).toContain('Progressing');
    // The page ends on the rollback (it may show it a moment after the demo's own watch does).
    await page.locator('#phase-value', { hasText: /^\s*Failed\s*$/ }).waitFor({ timeout: 15_000 });
    expect(weights).toEqual(expect.arrayContaining(['20%', '40%', '60%']));
    await page.waitForSelector('.history td.outcome-promoted');
    await page.waitForSelector('.history td.outcome-failed');
    expect(Number(await page.getAttribute('#chart', 'data-count'))).toBeGreaterThanOrEqual(4);
    expect(errors).toEqual([]);
    demo.child.stdin!.write('\n');
    expect(await demo.exited).toBe(0);
  });
});
