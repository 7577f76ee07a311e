import type { CanaryJudge, Judgement, MetricJudgement } from '../src/api/types.js';
import { judge } from '../src/judge/verdict.js';
import { aCanary, aDeployment, World } from './fakes/world.js';

const JUDGE: CanaryJudge = {
  pass: 95,
  marginal: 50,
  metrics: [
    { name: 'latency', query: 'x{w="{{ target }}"}' },
    { name: 'errors', query: 'y' },
  ],
};

const metric = (name: string, classification: MetricJudgement['classification']): MetricJudgement => ({
  name,
  classification,
  canaryMedian: classification === 'High' ? 200 : 100,
  primaryMedian: 100,
  ratio: classification === 'High' ? 2 : 1,
  pValue: classification === 'High' ? 0.0001 : 0.6,
  canarySamples: 20,
  primarySamples: 20,
  message: `${name} ${classification}: canary median ${classification === 'High' ? 200 : 100} vs primary 100`,
});
const judgementOf = (...classes: MetricJudgement['classification'][]): Judgement =>
  judge(
    { pass: 95, marginal: 50 },
    classes.map((c, i) => metric(['latency', 'errors'][i]!, c)),
  );

/** A World with the judge in its Canary, a new revision started and its first (pre-rollout) step taken. */
async function running(onNoData?: CanaryJudge['onNoData']): Promise<World> {
  const w = new World().apply(aDeployment(), aCanary({ judge: { ...JUDGE, ...(onNoData ? { onNoData } : {}) } }));
  await w.reconcile();
  await w.reconcile();
  w.newRevision({ VERSION: 'v2' });
  await w.tick(0);
  await w.tick();
  expect(w.vsWeight()).toBe(25);
  return w;
}

describe('given a Canary with a statistical judge', () => {
  it('when every metric passes, then the weight advances, the status keeps the judgement and the Event explains it', async () => {
    const w = await running();
    w.judgement = judgementOf('Pass', 'Pass');
    await w.tick();
    expect(w.vsWeight()).toBe(50);
    expect(w.canary.status?.lastJudgement).toEqual(w.judgement);
    expect(w.canary.status?.lastChecks).toContainEqual(expect.objectContaining({ name: 'judge', ok: true, value: 100, min: 95 }));
    const advanced = w.events.filter((e) => e.reason === 'Advanced').at(-1)!.message;
    expect(advanced).toContain('judge score 100 (Pass: pass >= 95, marginal >= 50): latency Pass: canary median 100 vs primary 100');
  });

  it('when the latency is High on two steps, then the run is rolled back and the RolledBack Event gives the medians', async () => {
    const w = await running();
    w.judgement = judgementOf('High', 'High');
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 25 });
    expect(w.events.find((e) => e.reason === 'AnalysisFailed')?.message).toContain('judge score 0 (Fail');
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Failed', failedChecks: 2 });
    expect(w.events.find((e) => e.reason === 'RolledBack')?.message).toContain('latency High: canary median 200 vs primary 100');
  });

  it('when the score is marginal, then the step holds (nothing counted) until the judge passes', async () => {
    const w = await running();
    w.judgement = judgementOf('Pass', 'High');
    await w.tick();
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 0, canaryWeight: 25 });
    expect(w.events.find((e) => e.reason === 'Holding')?.message).toContain('judge score 50 (Marginal');
    w.judgement = judgementOf('Pass', 'Pass');
    await w.tick();
    expect(w.vsWeight()).toBe(50);
  });

  it.each<[CanaryJudge['onNoData'], object]>([
    [undefined, { failedChecks: 1, canaryWeight: 25 }],
    ['halt', { failedChecks: 0, canaryWeight: 25 }],
    ['ignore', { failedChecks: 0, canaryWeight: 50 }],
  ])('when no metric has data and onNoData is %s, then %j', async (onNoData, expected) => {
    const w = await running(onNoData);
    w.judgement = judgementOf('NoData', 'NoData');
    await w.tick();
    expect(w.canary.status).toMatchObject(expected);
  });

  it('when the judge cannot query, then the check fails as a provider error and an alert is sent', async () => {
    const w = await running();
    w.judgement = { error: 'latency: prometheus: query failed: HTTP 500' };
    await w.tick();
    expect(w.canary.status?.failedChecks).toBe(1);
    expect(w.canary.status?.lastChecks).toContainEqual(
      expect.objectContaining({
        name: 'judge',
        ok: false,
        reason: 'ProviderError',
        message: 'judge: latency: prometheus: query failed: HTTP 500',
      }),
    );
    expect(w.alerts.map((a) => a.reason)).toContain('MetricProviderError');
  });

  it("when a new run starts, then the last run's judgement is cleared", async () => {
    const w = await running();
    w.judgement = judgementOf('Pass', 'Pass');
    await w.tick();
    expect(w.canary.status?.lastJudgement).toBeDefined();
    w.newRevision({ VERSION: 'v3' });
    await w.tick(0);
    expect(w.canary.status?.lastJudgement).toBeUndefined();
  });
});
