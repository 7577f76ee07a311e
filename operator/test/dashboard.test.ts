import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import type { Canary } from '../src/api/types.js';
import { OperatorMetrics } from '../src/telemetry/metrics.js';

/**
 * The Grafana dashboard the chart ships (charts/tollgate/dashboards/tollgate.json) may only query what the
 * operator exports: every metric name it uses must be one of OperatorMetrics' (read from a live registry),
 * with labels that metric has.
 */

const chart = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../charts/tollgate');
const dashboard = JSON.parse(fs.readFileSync(path.join(chart, 'dashboards', 'tollgate.json'), 'utf8')) as Dashboard;

interface Target {
  expr: string;
  refId: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  definition?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels);
const queryPanels = panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => ({ panel: `variable ${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query }));
const queries = [...exprs, ...variableQueries];

const metrics = new OperatorMetrics();
type MetricInfo = { name: string; type: string; labels: Set<string> };
/** Every series name the operator's registry exposes (a histogram as its _bucket, _sum and _count), with its labels. */
const exported = new Map<string, MetricInfo>();
for (const m of metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: string[] }[]) {
  const info = { name: m.name, type: String(m.type), labels: new Set(m.labelNames ?? []) };
  if (info.type === 'histogram') {
    for (const suffix of ['_bucket', '_sum', '_count'])
      exported.set(`${m.name}${suffix}`, { ...info, labels: new Set([...info.labels, ...(suffix === '_bucket' ? ['le'] : [])]) });
  } else exported.set(m.name, info);
}
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['job', 'instance']);

const metricNames = (expr: string): string[] => [...expr.matchAll(/\b(tollgate_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
/** metric{label="...", other=~"..."}: the metric and the labels its selector matches on. */
const selectors = (expr: string): { metric: string; labels: string[] }[] =>
  [...expr.matchAll(/\b(tollgate_[a-z0-9_]+)\s*\{([^}]*)\}/g)].map((m) => ({
    metric: m[1]!,
    labels: [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
const groupings = (expr: string): string[] =>
  [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

describe('the Grafana dashboard', () => {
  it('is a dashboard with a Prometheus datasource variable and namespace and canary variables', () => {
    expect(dashboard).toMatchObject({ uid: 'tollgate', title: 'Tollgate' });
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.namespace?.type).toBe('query');
    expect(vars.canary?.type).toBe('query');
    expect(variableQueries.find((q) => q.panel === 'variable canary')?.expr).toContain('namespace=~"$namespace"');
  });

  it('every panel and query uses the datasource variable; panel ids are unique and the grid is 24 wide', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of queryPanels) {
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: '${datasource}' });
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect({ panel: p.title, uid: t.datasource?.uid }).toEqual({ panel: p.title, uid: '${datasource}' });
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('uses only metric names OperatorMetrics exports', () => {
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('matches and groups only on labels the metrics have', () => {
    const wrong: string[] = [];
    for (const q of queries) {
      for (const s of selectors(q.expr)) {
        for (const l of s.labels)
          if (!exported.get(s.metric)?.labels.has(l) && !TARGET_LABELS.has(l)) wrong.push(`${q.panel}: ${s.metric} has no label ${l}`);
      }
      const available = new Set([...TARGET_LABELS, ...metricNames(q.expr).flatMap((n) => [...(exported.get(n)?.labels ?? [])])]);
      for (const l of groupings(q.expr)) if (!available.has(l)) wrong.push(`${q.panel}: no metric of "${q.expr}" has the label ${l}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    'tollgate_canary_status',
    'tollgate_canary_phase',
    'tollgate_canary_weight',
    'tollgate_canary_failed_checks',
    'tollgate_canary_metric_analysis',
    'tollgate_canary_metric_threshold',
    'tollgate_canary_checks_total',
    'tollgate_canary_releases_total',
    'tollgate_reconcile_duration_seconds_bucket',
    'tollgate_reconcile_errors_total',
    'tollgate_workqueue_depth',
    'tollgate_release_queue_length',
    'tollgate_analysis_tick_lag_seconds_bucket',
    'tollgate_kube_requests_total',
  ])('has a panel on %s', (name) => {
    expect(exprs.filter((q) => metricNames(q.expr).includes(name)).map((q) => q.panel)).not.toEqual([]);
  });

  it('filters the canary panels by the namespace and canary variables', () => {
    for (const q of exprs.filter((e) => /tollgate_canary_/.test(e.expr))) {
      expect({ panel: q.panel, namespace: q.expr.includes('namespace=~"$namespace"') }).toEqual({ panel: q.panel, namespace: true });
      expect({ panel: q.panel, canary: /name=~"\$canary"|workload=~"\$\{canary:regex\}/.test(q.expr) }).toEqual({
        panel: q.panel,
        canary: true,
      });
    }
  });
});

describe('the chart ships the dashboard for the Grafana sidecar', () => {
  it('as a ConfigMap labelled grafana_dashboard: "1", off by default, with a schema entry', () => {
    const values = load(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as { grafana?: { dashboard?: { enabled?: boolean } } };
    expect(values.grafana?.dashboard?.enabled).toBe(false);
    const schema = JSON.parse(fs.readFileSync(path.join(chart, 'values.schema.json'), 'utf8')) as {
      properties: Record<string, { properties?: Record<string, { properties?: Record<string, { type?: string }> }> }>;
    };
    expect(schema.properties.grafana?.properties?.dashboard?.properties?.enabled?.type).toBe('boolean');
    const template = fs.readFileSync(path.join(chart, 'templates', 'grafana-dashboard.yaml'), 'utf8');
    expect(template).toContain('.Values.grafana.dashboard.enabled');
    expect(template).toContain('.Files.Get "dashboards/tollgate.json"');
    expect(template).toContain('grafana_dashboard');
  });
});

describe('OperatorMetrics of a deleted Canary', () => {
  const canary = (phase: string): Canary => ({
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 9898 } },
    status: { phase: phase as never, canaryWeight: 20, failedChecks: 1 },
  });
  const seriesOf = async (m: OperatorMetrics, name: string): Promise<Record<string, string | number>[]> =>
    ((await m.registry.getSingleMetric(name)!.get()).values as { labels: Record<string, string | number> }[])
      .map((v) => v.labels)
      .filter((l) => l.name === 'podinfo' || l.workload === 'podinfo');

  it('status, failed checks and weights are forgotten', async () => {
    const m = new OperatorMetrics();
    m.observeCanary(canary('Progressing'));
    m.forgetCanary('test', 'podinfo', 'podinfo');
    for (const name of ['tollgate_canary_status', 'tollgate_canary_failed_checks', 'tollgate_canary_weight'])
      expect(await seriesOf(m, name)).toEqual([]);
  });

  it('its phase, metric values, thresholds and check counters are removed too', async () => {
    const m = new OperatorMetrics();
    m.observeCanary(canary('Progressing'));
    m.observeChecks(canary('Progressing'), [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }]);
    m.observeOutcome(canary('Progressing'), 'failed', { strategy: 'canary', skipped: false });
    const names = [
      'tollgate_canary_phase',
      'tollgate_canary_metric_analysis',
      'tollgate_canary_metric_threshold',
      'tollgate_canary_checks_total',
      'tollgate_canary_releases_total',
    ];
    const before = Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await seriesOf(m, n)).length])));
    expect(before).toEqual({
      tollgate_canary_phase: 10,
      tollgate_canary_metric_analysis: 1,
      tollgate_canary_metric_threshold: 1,
      tollgate_canary_checks_total: 1,
      tollgate_canary_releases_total: 1,
    });
    m.forgetCanary('test', 'podinfo', 'podinfo');
    const left = Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await seriesOf(m, n)).length])));
    expect(left).toEqual(Object.fromEntries(names.map((n) => [n, 0])));
  });

  it('a dry-run metric is labelled dry_run="true" in its value and check counter, and removed with the Canary', async () => {
    const m = new OperatorMetrics();
    m.observeChecks(canary('Progressing'), [
      { name: 'request-success-rate', ok: true, value: 100, min: 99 },
      { name: 'p99', ok: false, value: 900, max: 500, reason: 'AboveMax', dryRun: true },
    ]);
    const labels = async (n: string): Promise<unknown[]> => (await seriesOf(m, n)).map((l) => [l.metric, l.dry_run, l.result]).sort();
    expect(await labels('tollgate_canary_metric_analysis')).toEqual([
      ['p99', 'true', undefined],
      ['request-success-rate', 'false', undefined],
    ]);
    expect(await labels('tollgate_canary_checks_total')).toEqual([
      ['p99', 'true', 'AboveMax'],
      ['request-success-rate', 'false', 'pass'],
    ]);
    m.forgetCanary('test', 'podinfo', 'podinfo');
    expect(await seriesOf(m, 'tollgate_canary_metric_analysis')).toEqual([]);
    expect(await seriesOf(m, 'tollgate_canary_checks_total')).toEqual([]);
  });

  it('tollgate_canary_total counts the Canaries of each namespace, once each however often they are observed', async () => {
    const m = new OperatorMetrics();
    const other = { ...canary('Succeeded'), metadata: { name: 'api', namespace: 'test' } };
    m.observeCanary(canary('Progressing'));
    m.observeCanary(canary('Succeeded'));
    m.observeCanary(other);
    const total = async (): Promise<unknown> =>
      (await m.registry.getSingleMetric('tollgate_canary_total')!.get()).values.map((v) => [v.labels.namespace, v.value]);
    expect(await total()).toEqual([['test', 2]]);
    m.forgetCanary('test', 'api', 'api');
    expect(await total()).toEqual([['test', 1]]);
    m.forgetCanary('test', 'podinfo', 'podinfo');
    expect(await total()).toEqual([]);
  });
});
