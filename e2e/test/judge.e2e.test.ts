import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Deployment } from '@tollgate/operator/api/k8s';
import type { CanaryJudge } from '@tollgate/operator/api/types';
import { Resources } from '@tollgate/operator/kube/resources';
import { waitFor } from '../src/cluster/processes.js';
import { setEnv } from '../src/harness/fixtures.js';
import { ROOT } from '../src/harness/paths.js';
import { envInfo } from './env.js';
import { canaryEvents, getCanary, scenario, type Scenario } from './helpers.js';

/**
 * The statistical judge (analysis.judge) on the local control plane with the real Prometheus: the mean latency of
 * each 3s step, sampled over 30s for the canary and for the primary from the data-plane stand-in's Istio histogram.
 * The app answers in 20 ms (LATENCY_MS); the only threshold check is the success rate, which a slow canary passes,
 * so only the judge can tell a canary that answers in 200 ms from the primary.
 */
const sel = 'destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}"';
const MEAN_LATENCY =
  `sum(rate(istio_request_duration_milliseconds_sum{${sel}}[{{ interval }}])) / ` +
  `sum(rate(istio_request_duration_milliseconds_count{${sel}}[{{ interval }}]))`;

const JUDGE: CanaryJudge = {
  pass: 95,
  marginal: 75,
  // The canary gets traffic only once its weight is set: hold the step until both sides have 5 samples.
  onNoData: 'halt',
  metrics: [
    {
      name: 'latency',
      query: MEAN_LATENCY,
      interval: '30s',
      step: '3s',
      direction: 'increase',
      effectSize: 1.5,
      confidence: 0.95,
      minSamples: 5,
    },
  ],
};

const tollgateStatus = (ns: string): string =>
  execFileSync(process.execPath, [path.join(ROOT, 'cli', 'dist', 'main.js'), 'status', 'podinfo', '-n', ns], {
    env: { ...process.env, KUBECONFIG: envInfo().kubeconfig },
    encoding: 'utf8',
  });

describe('the statistical judge: canary against primary', () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await scenario({
      prefix: 'judge',
      analysis: { judge: JUDGE, metrics: [{ name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } }] },
      mutateDeployment: (d) => d.spec.template.spec.containers[0]!.env!.push({ name: 'LATENCY_MS', value: '20' }),
    });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('promotes a revision as fast as the primary, the judgement in the status and in tollgate status', async () => {
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Succeeded', 180_000, from);
    const c = await getCanary(s.client, s.ns);
    const j = c.status?.lastJudgement;
    expect(j).toMatchObject({ verdict: 'Pass', score: 100, metrics: [{ name: 'latency', classification: 'Pass' }] });
    const m = j!.metrics[0]!;
    expect(m.canarySamples).toBeGreaterThanOrEqual(5);
    // Pass: the difference is within the tolerated ratio, or (on a loaded machine, noisy) not significant.
    expect(m.ratio! <= 1.5 || m.pValue! >= 0.05).toBe(true);
    const advanced = (await canaryEvents(s.client, s.ns)).filter((e) => e.reason === 'Advanced').map((e) => e.message);
    expect(advanced.some((msg) => /judge score 100 \(Pass: pass >= 95, marginal >= 75\): latency Pass: canary median/.test(msg))).toBe(
      true,
    );
    expect(tollgateStatus(s.ns)).toMatch(/Judge: score 100, Pass \(pass >= 95, marginal >= 75\):\n +METRIC +CLASS .*\n +latency +Pass +/);
    const primary = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    expect(primary.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'VERSION', value: 'v2' });
  });

  it('rolls back a revision ten times slower, naming the medians and the p-value', async () => {
    const before = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v3', LATENCY_MS: '200' });
    await s.timeline.waitForPhase('Failed', 180_000, from);
    const c = await getCanary(s.client, s.ns);
    const m = c.status?.lastJudgement?.metrics[0];
    expect(c.status?.lastJudgement).toMatchObject({ verdict: 'Fail', score: 0 });
    expect(m).toMatchObject({ name: 'latency', classification: 'High' });
    expect(m!.canaryMedian! / m!.primaryMedian!).toBeGreaterThan(1.5);
    expect(m!.pValue).toBeLessThan(0.05);
    // The Event is recorded after the status that says Failed.
    const rolledBackEvent = async () => (await canaryEvents(s.client, s.ns)).find((e) => e.reason === 'RolledBack');
    await waitFor('the RolledBack Event', async () => (await rolledBackEvent()) !== undefined, 10_000);
    const rolledBack = await rolledBackEvent();
    expect(rolledBack?.message).toMatch(
      /judge score 0 \(Fail: .*\): latency High: canary median [0-9.]+ vs primary [0-9.]+, ratio [0-9.]+ \(tolerated <= 1\.5\), p=[0-9.e-]+ \(significant at 0\.95\)/,
    );
    const after = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    expect(after.spec.template).toEqual(before.spec.template);
    expect(tollgateStatus(s.ns)).toMatch(/\n +latency +High +/);
  });
});
