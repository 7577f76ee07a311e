import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { freePort, waitFor } from '../src/cluster/processes.js';
import { startPrometheus, type Prometheus } from '../src/cluster/prometheus.js';
import { setEnv } from '../src/harness/fixtures.js';
import { ROOT } from '../src/harness/paths.js';
import { envInfo, RUN_DIR } from './env.js';
import { scenario, type Scenario } from './helpers.js';

/**
 * FLAGGER_COMPAT_METRICS=true: queries and the alert rule written for Flagger (copied, with their source, in
 * e2e/flagger-compat/) run unchanged on a Prometheus that scrapes the operator and the data-plane stand-in,
 * and each finds series during and after a release that is rolled back.
 */

const FIXTURES = path.join(ROOT, 'e2e', 'flagger-compat');
interface Query {
  title: string;
  expr: string;
  /** Only while the canary takes traffic. */
  during?: boolean;
}
const fixture = load(fs.readFileSync(path.join(FIXTURES, 'queries.yaml'), 'utf8')) as { documented: Query[]; dashboard: Query[] };
const QUERIES = [...fixture.documented, ...fixture.dashboard];

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

describe("Flagger's metric names, dashboard queries and alert rule on Tollgate", () => {
  let prom: Prometheus | undefined;
  let s: Scenario | undefined;

  beforeAll(async () => {
    const port = await freePort();
    prom = await startPrometheus(
      path.join(RUN_DIR, `prometheus-flagger-compat-${process.pid}`),
      [`127.0.0.1:${port}`, new URL(envInfo().simUrl).host],
      [path.join(FIXTURES, 'alert-rules.yaml')],
    );
    s = await scenario({
      prefix: 'flagger-compat',
      analysis: { interval: '4s', threshold: 3, stepWeight: 20, maxWeight: 60 },
      operatorEnv: { PORT: String(port), FLAGGER_COMPAT_METRICS: 'true' },
    });
  });

  afterAll(async () => {
    await s?.stop();
    await prom?.stop();
  });

  const substitute = (expr: string): string =>
    expr
      .replaceAll('$namespace', s!.ns)
      .replaceAll('$primary', 'podinfo-primary')
      .replaceAll('$canary', 'podinfo')
      .replaceAll('$target', 'podinfo');

  async function seriesOf(expr: string): Promise<number> {
    const res = await fetch(`${prom!.url}/api/v1/query?query=${encodeURIComponent(substitute(expr))}`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`);
    return body.data!.result.length;
  }

  /** Titles of the queries that returned no series. */
  async function empty(queries: Query[]): Promise<string[]> {
    const out: string[] = [];
    for (const q of queries) if ((await seriesOf(q.expr)) === 0) out.push(q.title);
    return out;
  }

  async function activeAlerts(): Promise<PromAlert[]> {
    const res = await fetch(`${prom!.url}/api/v1/alerts`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
  }

  it('every query finds series during and after a rolled-back release, and the canary_rollback alert becomes active', async () => {
    const from = s!.timeline.phases.length;
    await setEnv(s!.client, s!.ns, 'podinfo', { VERSION: 'v2', ERROR_RATE: '0.5' });
    const during = QUERIES.filter((q) => q.during);
    let missing = during.map((q) => q.title);
    await waitFor(
      'series of the queries while the canary takes traffic',
      async () => {
        missing = await empty(during.filter((q) => missing.includes(q.title)));
        return missing.length === 0;
      },
      90_000,
      500,
    ).catch(() => undefined);
    expect(missing).toEqual([]);
    expect(await activeAlerts()).toEqual([]);

    await s!.timeline.waitForPhase('Failed', 120_000, from);
    let after: string[] = [];
    await waitFor(
      'series of the queries after the rollback',
      async () => (after = await empty(QUERIES.filter((q) => !q.during))).length === 0,
      15_000,
      500,
    ).catch(() => undefined);
    expect(after).toEqual([]);
    expect(await seriesOf('flagger_canary_status{name="$target",namespace="$namespace"} == 2')).toBe(1);

    await waitFor(
      'the canary_rollback alert',
      async () => (await activeAlerts()).some((a) => a.labels.alertname === 'canary_rollback' && a.labels.namespace === s!.ns),
      15_000,
    );
    const alert = (await activeAlerts()).find((a) => a.labels.alertname === 'canary_rollback')!;
    expect(alert.labels).toMatchObject({ name: 'podinfo', namespace: s!.ns, severity: 'warning' });
    expect(['pending', 'firing']).toContain(alert.state);
  });
});
