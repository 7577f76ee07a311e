import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { Canary, CanaryAnalysis, CanarySlo } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { installCrds } from '../src/cluster/crds.js';
import { waitFor } from '../src/cluster/processes.js';
import { startPrometheus, type Prometheus } from '../src/cluster/prometheus.js';
import { setEnv } from '../src/harness/fixtures.js';
import { PYRRA_CRDS, ROOT, SLOTH_CRDS } from '../src/harness/paths.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { canaryEvents, getCanary, scenario, type Scenario } from './helpers.js';

/**
 * The SLO burn-rate gate (analysis.slo) against a real Prometheus: a Sloth PrometheusServiceLevel (99.9% of the
 * namespace's requests answered without a 5xx), a Canary referring to it, and, in the same Prometheus, the recording
 * and page-alert rules Sloth generates for that SLO (its 5m, 30m, 1h and 6h windows; 14.4 and 6 for 30 days), scoped
 * to the canary the way the gate scopes its queries. Each case runs in a fresh namespace, so the canary's series hold
 * that release alone. The app fails exactly the configured share of requests (ERROR_SPREAD=even).
 */
const SLOTH_RESOURCE: ResourceType = Resources.slothServiceLevels;
const SLO_NAME = 'requests-availability';
const ALERT = 'PodinfoHighErrorRate';
/** Events at the data-plane stand-in: 100 requests per second, half to the canary once it takes traffic. */
const RPS = '100';

const sel = (ns: string): string => `reporter="destination", destination_workload_namespace="${ns}"`;
const errorQuery = (s: string, w: string): string => `sum(rate(istio_requests_total{${s}, response_code=~"5.."}[${w}]))`;
const totalQuery = (s: string, w: string): string => `sum(rate(istio_requests_total{${s}}[${w}]))`;

const slothObject = (ns: string): Record<string, unknown> => ({
  apiVersion: 'sloth.slok.dev/v1',
  kind: 'PrometheusServiceLevel',
  metadata: { name: 'podinfo', namespace: ns },
  spec: {
    service: 'podinfo',
    slos: [
      {
        name: SLO_NAME,
        objective: 99.9,
        description: 'Requests answered without a 5xx',
        sli: { events: { errorQuery: errorQuery(sel(ns), '{{.window}}'), totalQuery: totalQuery(sel(ns), '{{.window}}') } },
        alerting: { name: ALERT, pageAlert: { labels: { severity: 'page' } }, ticketAlert: { disable: true } },
      },
    ],
  },
});

/**
 * Sloth's rules for the SLO (sloth generate: slo:sli_error:ratio_rate<window> and the page alert, whose expression is
 * Sloth's: 14.4 over 5m and 1h, or 6 over 30m and 6h, times the error budget), with the canary's workload added to
 * the SLI's selectors.
 */
function slothRules(ns: string): unknown {
  const id = `${ns}-${SLO_NAME}`;
  const labels = { sloth_id: id, sloth_service: 'podinfo', sloth_slo: SLO_NAME };
  const canary = `${sel(ns)}, destination_workload="podinfo"`;
  const windows = ['5m', '30m', '1h', '6h'];
  const m = `{sloth_id="${id}", sloth_service="podinfo", sloth_slo="${SLO_NAME}"}`;
  const budget = '0.0009999999999999432'; // 1 - 0.999, as Sloth writes it
  const over = (w: string, f: string): string => `max(slo:sli_error:ratio_rate${w}${m} > (${f} * ${budget})) without (sloth_window)`;
  return {
    name: `sloth-slo-${id}`,
    rules: [
      ...windows.map((w) => ({
        record: `slo:sli_error:ratio_rate${w}`,
        expr: `(${errorQuery(canary, w)})\n/\n(${totalQuery(canary, w)})`,
        labels: { ...labels, sloth_window: w },
      })),
      {
        alert: ALERT,
        expr: `(\n${over('5m', '14.4')}\nand\n${over('1h', '14.4')}\n)\nor\n(\n${over('30m', '6')}\nand\n${over('6h', '6')}\n)`,
        labels: { ...labels, sloth_severity: 'page', severity: 'page' },
      },
    ],
  };
}

/** The same SLO as Pyrra writes it: a ratio indicator of the two counters, the target a percent string. */
const pyrraObject = (ns: string): Record<string, unknown> => ({
  apiVersion: 'pyrra.dev/v1alpha1',
  kind: 'ServiceLevelObjective',
  metadata: { name: 'podinfo', namespace: ns },
  spec: {
    target: '99.9',
    window: '28d',
    indicator: {
      ratio: {
        errors: { metric: `istio_requests_total{${sel(ns)}, response_code=~"5.."}` },
        total: { metric: `istio_requests_total{${sel(ns)}}` },
      },
    },
  },
});

/** And as an OpenSLO v1 document in a ConfigMap key. */
const openSloConfigMap = (ns: string): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'slos', namespace: ns },
  data: {
    'slo.yaml': dump({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name: 'availability' },
      spec: {
        service: 'podinfo',
        indicator: {
          metadata: { name: 'errors' },
          spec: {
            ratioMetric: {
              counter: true,
              bad: { metricSource: { type: 'Prometheus', spec: { query: `istio_requests_total{${sel(ns)}, response_code=~"5.."}` } } },
              total: { metricSource: { type: 'Prometheus', spec: { query: `istio_requests_total{${sel(ns)}}` } } },
            },
          },
        },
        timeWindow: [{ duration: '30d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ displayName: 'Good', target: 0.999 }],
      },
    }),
  },
});

/** Points the Canary's SLO gate at another definition (retrying on write conflicts). */
async function useSlo(kube: KubeClient, ns: string, ref: CanarySlo['ref']): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const c = await getCanary(kube, ns);
    c.spec.analysis!.slo!.ref = ref;
    try {
      await kube.replace<Canary>(Resources.canaries, c);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

const ANALYSIS = (): Partial<CanaryAnalysis> => ({
  interval: '6s',
  threshold: 1,
  stepWeight: 50,
  maxWeight: 100,
  // The SLO gate alone decides.
  metrics: [],
  slo: {
    ref: { kind: 'PrometheusServiceLevel', name: 'podinfo', sloName: SLO_NAME },
    scope: [{ label: 'destination_workload', value: '{{ target }}' }],
  },
});

const tollgateStatus = (ns: string): string =>
  execFileSync(process.execPath, [path.join(ROOT, 'cli', 'dist', 'main.js'), 'status', 'podinfo', '-n', ns], {
    env: { ...process.env, KUBECONFIG: envInfo().kubeconfig },
    encoding: 'utf8',
  });

async function query(prom: Prometheus, q: string, atMs?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const at = atMs === undefined ? '' : `&time=${atMs / 1000}`;
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}${at}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

describe('the SLO burn-rate gate on a Sloth SLO', () => {
  const okNs = uniqueNs('slo-ok');
  const badNs = uniqueNs('slo-bad');
  let prom: Prometheus | undefined;
  let kube: KubeClient | undefined;
  const scenarios: Scenario[] = [];

  beforeAll(async () => {
    kube = await client();
    await installCrds(kube, [SLOTH_CRDS, PYRRA_CRDS]);
    const dir = path.join(RUN_DIR, `prometheus-slo-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const rules = path.join(dir, 'sloth-rules.yaml');
    fs.writeFileSync(rules, dump({ groups: [slothRules(okNs), slothRules(badNs)] }));
    prom = await startPrometheus(dir, [new URL(envInfo().simUrl).host], [rules]);
    for (const ns of [okNs, badNs]) {
      scenarios.push(
        await scenario({
          prefix: 'slo',
          ns,
          // The Advanced Event tells the burn rates that let the weight move.
          operatorEnv: { EVENTS_PER_STEP: 'true' },
          analysis: ANALYSIS(),
          spec: { metricsServer: prom.url, service: { port: 9898, apex: { annotations: { 'sim.tollgate.dev/rps': RPS } } } },
          before: async (n, k) => {
            await k.create(SLOTH_RESOURCE, slothObject(n) as never);
            await k.create(Resources.pyrraSlos, pyrraObject(n) as never);
            await k.create(Resources.configMaps, openSloConfigMap(n) as never);
          },
          mutateDeployment: (d) => d.spec.template.spec.containers[0]!.env!.push({ name: 'ERROR_SPREAD', value: 'even' }),
        }),
      );
    }
  });

  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await prom?.stop();
    kube?.close();
  });

  it("promotes a canary failing 0.1% of requests under a 99.9% SLO; Sloth's page alert never fires", async () => {
    const s = scenarios[0]!;
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2', ERROR_RATE: '0.001' });
    await s.timeline.waitForPhase('Succeeded', 180_000, from);
    const c = await getCanary(s.client, s.ns);
    const slo = c.status?.lastSLO;
    expect(slo).toMatchObject({
      source: `PrometheusServiceLevel/podinfo/${SLO_NAME}`,
      objective: 99.9,
      pageBurnRate: 14.4,
      thresholdFrom: 'sloth',
      verdict: 'Pass',
      short: { window: '6s' },
    });
    expect(slo!.long.burnRate!).toBeLessThan(14.4);
    const advanced = (await canaryEvents(s.client, s.ns)).filter((e) => e.reason === 'Advanced').map((e) => e.message);
    expect(
      advanced.some((m) =>
        /SLO PrometheusServiceLevel\/podinfo\/requests-availability \(99\.9%\): burn rate .* page threshold 14\.4 \(sloth\)/.test(m),
      ),
    ).toBe(true);
    expect(tollgateStatus(s.ns)).toMatch(
      /SLO: PrometheusServiceLevel\/podinfo\/requests-availability \(99\.9%\), page burn rate 14\.4 \(sloth\): Pass/,
    );
    const alerts = await query(prom!, `count_over_time(ALERTS{alertname="${ALERT}", sloth_id="${okNs}-${SLO_NAME}"}[10m])`);
    expect(alerts).toEqual([]);
  });

  it("rolls back a canary failing 2% at its first check two intervals into its traffic, as Sloth's page alert fires", async () => {
    const s = scenarios[1]!;
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v3', ERROR_RATE: '0.02' });
    await s.timeline.waitForPhase('Failed', 180_000, from);
    const c = await getCanary(s.client, s.ns);
    const slo = c.status!.lastSLO!;
    expect(slo.verdict).toBe('Burning');
    expect(slo.short.burnRate!).toBeGreaterThan(14.4);
    expect(slo.long.burnRate!).toBeGreaterThan(14.4);
    expect(slo.long.window).toMatch(/^1[0-9]s$/);
    // The canary's bad events against the budget the SLO had left (a minute of history here: a small budget).
    expect(slo.budgetConsumedPercent!).toBeGreaterThan(0);
    // At the first check whose long window spans minChecks (2) intervals of the canary's traffic: checks before it hold
    // (TooEarly). Steps fall on the Canary's own ticks (core/schedule.ts), the first one 0.5 to 1.5 intervals after the
    // step that exposed the canary, so that check comes before three intervals (plus the operator's lag).
    const decidedAt = Date.parse(c.status!.lastAnalysisTime!);
    expect(decidedAt - Date.parse(c.status!.trafficStartTime!)).toBeGreaterThanOrEqual(2 * 6_000);
    expect(decidedAt - Date.parse(c.status!.trafficStartTime!)).toBeLessThan(3 * 6_000 + 4_000);
    const rolledBack = async () => (await canaryEvents(s.client, s.ns)).find((e) => e.reason === 'RolledBack');
    await waitFor('the RolledBack Event', async () => (await rolledBack()) !== undefined, 10_000);
    expect((await rolledBack())!.message).toMatch(
      /SLO PrometheusServiceLevel\/podinfo\/requests-availability \(99\.9%\): burn rate [0-9.]+ over 6s and [0-9.]+ over 1[0-9]s, page threshold 14\.4 \(sloth\).*Burning/,
    );
    // Sloth's page alert agrees at the moment of the decision (rules are evaluated every second).
    await waitFor('the page alert evaluated', async () => Date.now() > decidedAt + 2_000, 5_000);
    const firing = await query(
      prom!,
      `ALERTS{alertname="${ALERT}", sloth_id="${badNs}-${SLO_NAME}", alertstate="firing"}`,
      decidedAt + 1_000,
    );
    expect(firing).toHaveLength(1);
    expect(tollgateStatus(s.ns)).toMatch(/SLO: .*: Burning\n(.*\n){3,4} +budget consumed: [0-9.]+% of what was left/);
  });
  it("reads the same SLO from Pyrra: a 2% canary is rolled back against Pyrra's page factor 14", async () => {
    const s = scenarios[1]!;
    await useSlo(s.client, s.ns, { kind: 'ServiceLevelObjective', name: 'podinfo' });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v4', ERROR_RATE: '0.02' });
    await s.timeline.waitForPhase('Failed', 180_000, from);
    const slo = (await getCanary(s.client, s.ns)).status!.lastSLO!;
    expect(slo).toMatchObject({
      source: 'ServiceLevelObjective/podinfo',
      objective: 99.9,
      pageBurnRate: 14,
      thresholdFrom: 'pyrra',
      verdict: 'Burning',
    });
    expect(slo.long.burnRate!).toBeGreaterThan(14);
  });

  it("reads the same SLO from an OpenSLO ConfigMap: a 0.1% canary is promoted against the Workbook's 14.4", async () => {
    const s = scenarios[0]!;
    await useSlo(s.client, s.ns, { kind: 'OpenSLO', name: 'slos', configMapKey: 'slo.yaml' });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v5', ERROR_RATE: '0.001' });
    await s.timeline.waitForPhase('Succeeded', 180_000, from);
    const slo = (await getCanary(s.client, s.ns)).status!.lastSLO!;
    expect(slo).toMatchObject({
      source: 'OpenSLO/slos/availability',
      objective: 99.9,
      pageBurnRate: 14.4,
      thresholdFrom: 'sre-workbook',
      verdict: 'Pass',
    });
  });
});
