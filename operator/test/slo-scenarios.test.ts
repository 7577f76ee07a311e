import type { CanarySlo, SloEvaluation } from '../src/api/types.js';
import { OperatorMetrics } from '../src/telemetry/metrics.js';
import { aCanary, aDeployment, World } from './fakes/world.js';

const SLO: CanarySlo = { ref: { kind: 'PrometheusServiceLevel', name: 'podinfo' }, scope: [{ label: 'workload', value: '{{ target }}' }] };

const evaluation = (verdict: SloEvaluation['verdict'], burn: number): SloEvaluation => ({
  source: 'PrometheusServiceLevel/podinfo/availability',
  objective: 99.9,
  pageBurnRate: 14.4,
  thresholdFrom: 'sloth',
  verdict,
  short: { window: '1m', errorRatio: burn / 1000, burnRate: burn },
  long: { window: '2m', errorRatio: burn / 1000, burnRate: burn },
  message: `SLO PrometheusServiceLevel/podinfo/availability (99.9%): burn rate ${burn} over 1m and ${burn} over 2m, page threshold 14.4 (sloth): ${verdict}`,
});

/** A World with the SLO gate in its Canary, a new revision started and its first (pre-rollout) step taken. */
async function running(metrics?: OperatorMetrics): Promise<World> {
  const w = new World(metrics ? { metrics } : {}).apply(aDeployment(), aCanary({ metrics: [], slo: SLO }));
  await w.reconcile();
  await w.reconcile();
  w.newRevision({ VERSION: 'v2' });
  await w.tick(0);
  await w.tick();
  expect(w.vsWeight()).toBe(25);
  return w;
}

describe('given a Canary with an SLO gate', () => {
  it("when the canary is first exposed, then its time is the long window's start, which the gate is given", async () => {
    const w = await running();
    const exposed = w.canary.status?.trafficStartTime;
    expect(exposed).toBeDefined();
    w.sloAnswer = evaluation('TooEarly', 20);
    await w.tick();
    expect(w.sloCalls.at(-1)).toMatchObject({ trafficStartMs: Date.parse(exposed!), intervalMs: 10_000 });
    expect(w.canary.status?.trafficStartTime).toBe(exposed);
  });

  it('when it is too early, then the step holds; when it burns, then the run is rolled back with the burn rates in the Event', async () => {
    const w = await running();
    w.sloAnswer = evaluation('TooEarly', 20);
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 0, canaryWeight: 25 });
    expect(w.events.find((e) => e.reason === 'Holding')?.message).toContain('burn rate 20 over 1m');
    w.sloAnswer = evaluation('Burning', 20);
    await w.tick();
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Failed', lastSLO: { verdict: 'Burning', pageBurnRate: 14.4 } });
    expect(w.events.find((e) => e.reason === 'RolledBack')?.message).toContain(
      'burn rate 20 over 1m and 20 over 2m, page threshold 14.4 (sloth)',
    );
  });

  it('when it passes, then the weight advances and the Advanced Event tells the SLO', async () => {
    const w = await running();
    w.sloAnswer = evaluation('Pass', 1);
    await w.tick();
    expect(w.vsWeight()).toBe(50);
    expect(w.canary.status?.lastChecks).toContainEqual(expect.objectContaining({ name: 'slo', ok: true, value: 1, max: 14.4 }));
    expect(w.events.filter((e) => e.reason === 'Advanced').at(-1)!.message).toContain('burn rate 1 over 1m and 1 over 2m');
  });

  it('when it is evaluated, then the metrics give the burn rate per window, the page threshold and the SLO; gone with the Canary', async () => {
    const metrics = new OperatorMetrics();
    const w = await running(metrics);
    w.sloAnswer = { ...evaluation('Pass', 1), primaryBurnRate: 0.5, budgetConsumedPercent: 0.2 };
    await w.tick();
    const values = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
    const labels = { name: 'podinfo', namespace: 'test', slo: 'PrometheusServiceLevel/podinfo/availability' };
    expect(await values('tollgate_canary_slo_burn_rate')).toEqual([
      [{ ...labels, window: 'short' }, 1],
      [{ ...labels, window: 'long' }, 1],
      [{ ...labels, window: 'primary' }, 0.5],
    ]);
    expect(await values('tollgate_canary_slo_page_burn_rate')).toEqual([[labels, 14.4]]);
    expect(await values('tollgate_canary_slo_budget_consumed_percent')).toEqual([[labels, 0.2]]);
    // A later evaluation without a budget figure (no data, or the budget already spent) leaves no stale value.
    w.sloAnswer = evaluation('Pass', 1);
    await w.tick();
    expect(await values('tollgate_canary_slo_budget_consumed_percent')).toEqual([]);
    metrics.forgetCanary('test', 'podinfo', 'podinfo');
    expect(await values('tollgate_canary_slo_burn_rate')).toEqual([]);
    expect(await values('tollgate_canary_slo_page_burn_rate')).toEqual([]);
  });

  it('when the SLO cannot be read, then the check fails naming it (never a pass)', async () => {
    const w = await running();
    w.sloAnswer = { error: 'PrometheusServiceLevel test/podinfo not found', reason: 'SLONotFound' };
    await w.tick();
    expect(w.canary.status?.lastChecks).toContainEqual(
      expect.objectContaining({
        name: 'slo',
        ok: false,
        reason: 'SLONotFound',
        message: 'slo: PrometheusServiceLevel test/podinfo not found',
      }),
    );
    expect(w.events.find((e) => e.reason === 'AnalysisFailed')?.message).toContain('PrometheusServiceLevel test/podinfo not found');
  });

  it("when a new run starts, then the last run's evaluation and exposure time are cleared", async () => {
    const w = await running();
    w.sloAnswer = evaluation('Pass', 1);
    await w.tick();
    expect(w.canary.status?.lastSLO).toBeDefined();
    const exposed = w.canary.status?.trafficStartTime;
    expect(exposed).toBeDefined();
    w.newRevision({ VERSION: 'v3' });
    await w.tick(0);
    expect(w.canary.status?.lastSLO).toBeUndefined();
    expect(w.canary.status?.trafficStartTime).not.toBe(exposed);
  });
});
