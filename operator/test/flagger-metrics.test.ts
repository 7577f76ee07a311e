import type { Canary, Phase } from '../src/api/types.js';
import { FLAGGER_METRIC_NAMES, flaggerStatus } from '../src/telemetry/flagger-metrics.js';
import { OperatorMetrics } from '../src/telemetry/metrics.js';
import { aCanary, aDeployment, World } from './fakes/world.js';

/**
 * FLAGGER_COMPAT_METRICS: Flagger's series (fluxcd/flagger pkg/metrics/recorder.go) beside Tollgate's, with
 * Flagger's names, types, labels and values, so Flagger's documented alert rule and users' dashboards work.
 */

/** A Canary named differently from its target: Flagger labels its series with the target's name. */
const canary = (phase: Phase, canaryWeight = 0): Canary => ({
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo-release', namespace: 'test' },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 9898 } },
  status: { phase, canaryWeight },
});

type Series = { labels: Record<string, string | number>; value: number; metricName?: string };
const series = async (m: OperatorMetrics, name: string): Promise<Series[]> => {
  const metric = m.registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as Series[]) : [];
};
const flaggerText = async (m: OperatorMetrics): Promise<string[]> =>
  (await m.registry.metrics()).split('\n').filter((l) => /^flagger_/.test(l));

describe('flaggerStatus (Flagger: 0 running, 1 successful, 2 failed)', () => {
  it.each<[Phase | undefined, number]>([
    ['Progressing', 0],
    ['Failed', 2],
    ['Succeeded', 1],
    ['Initialized', 1],
    ['Initializing', 1],
    ['Waiting', 1],
    ['WaitingPromotion', 1],
    ['Promoting', 1],
    ['Finalising', 1],
    [undefined, 1],
  ])('given phase %p, then %p', (phase, value) => {
    expect(flaggerStatus(phase)).toBe(value);
  });
});

describe('OperatorMetrics with the Flagger-compatible metrics', () => {
  it('given the setting off (the default), then no flagger_ series is exported', async () => {
    const m = new OperatorMetrics();
    m.setInfo('1.2.3', 'istio');
    m.observeCanary(canary('Progressing', 20));
    m.observeChecks(canary('Progressing', 20), [{ name: 'request-success-rate', ok: true, value: 100 }]);
    m.observeAnalysisStep(canary('Progressing', 20), 0.2);
    m.observeOutcome(canary('Succeeded'), 'succeeded', { strategy: 'canary', skipped: false });
    expect(await flaggerText(m)).toEqual([]);
  });

  it('given the setting on, then every Flagger metric is registered with its type', async () => {
    const m = new OperatorMetrics({ flaggerCompat: true });
    const types = Object.fromEntries(
      (m.registry.getMetricsAsArray() as unknown as { name: string; type: string }[]).map((x) => [x.name, String(x.type)]),
    );
    expect(Object.values(FLAGGER_METRIC_NAMES).map((n) => [n, types[n]])).toEqual([
      ['flagger_info', 'gauge'],
      ['flagger_canary_total', 'gauge'],
      ['flagger_canary_status', 'gauge'],
      ['flagger_canary_weight', 'gauge'],
      ['flagger_canary_metric_analysis', 'gauge'],
      ['flagger_canary_duration_seconds', 'histogram'],
      ['flagger_canary_successes_total', 'counter'],
      ['flagger_canary_failures_total', 'counter'],
    ]);
  });

  it('given a Canary in progress, then status, weights, total and info carry Flagger labels and values', async () => {
    const m = new OperatorMetrics({ flaggerCompat: true });
    m.setInfo('1.2.3', 'istio');
    m.observeCanary(canary('Progressing', 20));
    expect(await flaggerText(m)).toEqual(
      expect.arrayContaining([
        'flagger_info{version="1.2.3",mesh_provider="istio"} 1',
        'flagger_canary_total{namespace="test"} 1',
        'flagger_canary_status{name="podinfo",namespace="test"} 0',
        'flagger_canary_weight{workload="podinfo",namespace="test"} 20',
        'flagger_canary_weight{workload="podinfo-primary",namespace="test"} 80',
      ]),
    );
    m.observeCanary(canary('Failed'));
    expect(await series(m, 'flagger_canary_status')).toEqual([{ labels: { name: 'podinfo', namespace: 'test' }, value: 2 }]);
  });

  it('given checks, then the last value of each metric is kept, request-duration in seconds as Flagger records it', async () => {
    const m = new OperatorMetrics({ flaggerCompat: true });
    m.observeChecks(canary('Progressing', 20), [
      { name: 'request-success-rate', ok: true, value: 99.5 },
      { name: 'request-duration', ok: true, value: 250 },
      { name: 'smoke', ok: true },
    ]);
    expect((await series(m, 'flagger_canary_metric_analysis')).map((s) => [s.labels.name, s.labels.metric, s.value])).toEqual([
      ['podinfo', 'request-success-rate', 99.5],
      ['podinfo', 'request-duration', 0.25],
    ]);
  });

  it('given an analysis step, then flagger_canary_duration_seconds is a histogram with client_golang default buckets', async () => {
    const m = new OperatorMetrics({ flaggerCompat: true });
    m.observeAnalysisStep(canary('Progressing', 20), 0.3);
    const lines = await flaggerText(m);
    expect(lines).toContain('flagger_canary_duration_seconds_count{name="podinfo",namespace="test"} 1');
    const les = lines.filter((l) => l.startsWith('flagger_canary_duration_seconds_bucket')).map((l) => /le="([^"]+)"/.exec(l)![1]);
    expect(les).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
  });

  it('given finished runs, then the successes and failures counters say the strategy and whether analysis was skipped', async () => {
    const m = new OperatorMetrics({ flaggerCompat: true });
    m.observeOutcome(canary('Succeeded'), 'succeeded', { strategy: 'blue-green', skipped: true });
    m.observeOutcome(canary('Failed'), 'failed', { strategy: 'ab-testing', skipped: false });
    expect(await flaggerText(m)).toEqual(
      expect.arrayContaining([
        'flagger_canary_successes_total{name="podinfo",namespace="test",deployment_strategy="blue-green",analysis_status="skipped"} 1',
        'flagger_canary_failures_total{name="podinfo",namespace="test",deployment_strategy="ab-testing",analysis_status="completed"} 1',
      ]),
    );
  });

  it('given the Canary deleted, then every flagger_ series of it goes, and flagger_info stays', async () => {
    const m = new OperatorMetrics({ flaggerCompat: true });
    m.setInfo('1.2.3', 'istio');
    const c = canary('Progressing', 20);
    m.observeCanary(c);
    m.observeChecks(c, [{ name: 'request-success-rate', ok: false, value: 50 }]);
    m.observeAnalysisStep(c, 0.1);
    m.observeOutcome(c, 'failed', { strategy: 'canary', skipped: false });
    m.forgetCanary('test', 'podinfo-release', 'podinfo');
    expect((await flaggerText(m)).filter((l) => !l.startsWith('flagger_info'))).toEqual([]);
  });
});

describe('the Flagger-compatible metrics fed by the reconcile loop', () => {
  const text = async (m: OperatorMetrics, prefix: string): Promise<string[]> =>
    (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(prefix));

  it('given a healthy release, then each analysis step is timed and the run counted as a completed canary success', async () => {
    const metrics = new OperatorMetrics({ flaggerCompat: true });
    const w = new World({ metrics }).apply(aDeployment(), aCanary());
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    const count = await text(metrics, 'flagger_canary_duration_seconds_count');
    expect(count).toHaveLength(1);
    expect(Number(count[0]!.split(' ')[1])).toBeGreaterThanOrEqual(2);
    expect(await text(metrics, 'flagger_canary_successes_total')).toEqual([
      'flagger_canary_successes_total{name="podinfo",namespace="test",deployment_strategy="canary",analysis_status="completed"} 1',
    ]);
    expect(await text(metrics, 'flagger_canary_metric_analysis')).toEqual([
      'flagger_canary_metric_analysis{name="podinfo",namespace="test",metric="request-success-rate"} 100',
    ]);
  });

  it('given skipAnalysis, then the success is counted as skipped', async () => {
    const metrics = new OperatorMetrics({ flaggerCompat: true });
    const w = new World({ metrics }).apply(aDeployment(), aCanary({}, { skipAnalysis: true }));
    await w.reconcile();
    await w.reconcile();
    w.newRevision({ VERSION: 'v2' });
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(await text(metrics, 'flagger_canary_successes_total')).toEqual([
      'flagger_canary_successes_total{name="podinfo",namespace="test",deployment_strategy="canary",analysis_status="skipped"} 1',
    ]);
  });
});
