import type { Deployment } from '@tollgate/operator/api/k8s';
import { Resources } from '@tollgate/operator/kube/resources';
import { setEnv } from '../src/harness/fixtures.js';
import { canaryEvents, getCanary, isSubsequence, istioScenario, promQuery, type Scenario } from './helpers.js';

const envOf = (d: Deployment): Record<string, string> =>
  Object.fromEntries((d.spec.template.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value ?? '']));

describe('Istio canary release on the local control plane', () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await istioScenario('istio');
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('promotes a healthy revision through every step to Succeeded', async () => {
    const from = s.timeline.phases.length;
    s.timeline.routeWeights.length = 0;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Succeeded', 120_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.timeline.routeWeights).toEqual([20, 40, 60, 0]);
    expect(isSubsequence(['Progressing', 'Promoting', 'Finalising', 'Succeeded'], s.timeline.phaseSequence().slice(-6))).toBe(true);
    const primary = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    expect(envOf(primary).VERSION).toBe('v2');
    const target = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo');
    expect(target.spec.replicas).toBe(0);
    const canaryRequests = await promQuery(
      `sum(istio_requests_total{destination_workload="podinfo",destination_workload_namespace="${s.ns}"})`,
    );
    expect(canaryRequests).toBeGreaterThan(0);
    const c = await getCanary(s.client, s.ns);
    expect(c.status?.lastPromotedSpec).toBe(c.status?.lastAppliedSpec);
    expect(c.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
  });

  it('rolls back a revision that fails half its requests, leaving the primary untouched and serving', async () => {
    const before = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    const from = s.timeline.phases.length;
    s.timeline.routeWeights.length = 0;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v3', ERROR_RATE: '0.5' });
    const failed = await s.timeline.waitForPhase('Failed', 120_000, from);
    expect(failed.failedChecks).toBe(2);
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.timeline.routeWeights[0]).toBe(20);
    expect(s.timeline.routeWeights[s.timeline.routeWeights.length - 1]).toBe(0);
    expect(Math.max(...s.timeline.routeWeights)).toBeLessThan(60);
    const after = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo-primary');
    expect(after.spec.template).toEqual(before.spec.template);
    const events = await canaryEvents(s.client, s.ns);
    const rolledBack = events.find((e) => e.reason === 'RolledBack');
    expect(rolledBack?.message).toMatch(/request-success-rate [0-9.]+ < 99/);
    await new Promise((r) => setTimeout(r, 3000));
    const primaryOk = await promQuery(
      `sum(rate(istio_requests_total{destination_workload="podinfo-primary",destination_workload_namespace="${s.ns}",response_code="200"}[3s]))`,
    );
    expect(primaryOk).toBeGreaterThan(0);
    const c = await getCanary(s.client, s.ns);
    expect(c.status?.conditions?.find((x) => x.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'Failed' });
  });
});
