import type { Deployment } from '@tollgate/operator/api/k8s';
import { Resources } from '@tollgate/operator/kube/resources';
import { freePort } from '../src/cluster/processes.js';
import { setEnv } from '../src/harness/fixtures.js';
import { canaryEvents, getCanary, isSubsequence, promQuery, scenario, type Scenario } from './helpers.js';

const envOf = (d: Deployment): Record<string, string> =>
  Object.fromEntries((d.spec.template.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value ?? '']));

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

/** The operator's API writes so far (tollgate_kube_requests_total), by verb/resource. */
async function apiWrites(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^tollgate_kube_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (!WRITE_VERBS.has(labels.verb ?? '')) continue;
    const key = `${labels.verb}/${labels.resource}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** What was written between two readings of apiWrites, by verb/resource (the ones that grew). */
function writesBetween(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...b].filter(([k, v]) => v > (a.get(k) ?? 0)).map(([k, v]) => [k, v - (a.get(k) ?? 0)]));
}

/**
 * Reads the operator's writes in the middle of each weight step of the run (half an interval after the step's
 * status is seen): between two readings lies one step and the reconciles between steps. Readings taken once the
 * next step had started are marked late (a loaded machine), and not compared.
 */
function writesPerStep(s: Scenario, port: number, intervalMs: number): { steps: () => Promise<Record<string, number>[]> } {
  const readings: Promise<{ weight: number; late: boolean; writes: Map<string, number> }>[] = [];
  let last = 0;
  s.timeline.onSample((x) => {
    if (x.phase !== 'Progressing' || x.weight === last) return;
    last = x.weight;
    readings.push(
      new Promise((r) => setTimeout(r, intervalMs / 2))
        .then(() => apiWrites(port))
        .then((writes) => ({ weight: x.weight, writes, late: s.timeline.canary?.status?.canaryWeight !== x.weight })),
    );
  });
  return {
    steps: async () => {
      const all = await Promise.all(readings);
      return all.slice(1).flatMap((b, i) => (all[i]!.late || b.late ? [] : [writesBetween(all[i]!.writes, b.writes)]));
    },
  };
}

describe('Istio canary release on the local control plane', () => {
  let s: Scenario;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    s = await scenario({ prefix: 'istio', operatorEnv: { PORT: String(port) } });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('promotes a healthy revision through every step to Succeeded', async () => {
    const from = s.timeline.phases.length;
    s.timeline.routeWeights.length = 0;
    const perStep = writesPerStep(s, port, 3000);
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Succeeded', 120_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.timeline.routeWeights).toEqual([20, 40, 60, 0]);
    // Issue 17: a weight step writes the Canary's status once and its route once; a step is told by no Event.
    const steps = await perStep.steps();
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step).toEqual({ 'update/canaries': 1, 'update/virtualservices': 1 });
    expect((await canaryEvents(s.client, s.ns)).filter((e) => e.reason === 'Advanced')).toEqual([]);
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
