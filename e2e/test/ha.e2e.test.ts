import fs from 'node:fs';
import path from 'node:path';
import type { Canary, CanarySpec, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { waitFor } from '../src/cluster/processes.js';
import { canaryFor, createNamespace, sampleDeployment, setEnv } from '../src/harness/fixtures.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { chartOperatorCredentials } from '../src/harness/service-account.js';
import { client, envInfo, itOnMainPass, RUN_DIR, uniqueNs } from './env.js';
import { scenario, type Scenario } from './helpers.js';

type Lease = KubeObject & { spec: { holderIdentity?: string } };

const LEADER_ENV = { LEADER_ELECT: 'true', LEASE_DURATION: '6s', RENEW_DEADLINE: '4s', RETRY_PERIOD: '1s' };

/**
 * The operator's credentials as the chart grants them for `replicas` replicas watching ns (leader election on,
 * its Leases in ns): the chart's ServiceAccount, Roles and RoleBindings applied, and a token of that account.
 */
const chartCredentials = (ns: string, kube: KubeClient, shards = 1): Promise<string> =>
  chartOperatorCredentials(kube, envInfo().kubeconfig, {
    release: ns,
    namespace: ns,
    dir: path.join(RUN_DIR, 'ha', ns),
    values: ['operator.replicas=2', `operator.leaderElection.shards=${shards}`, `operator.watchNamespaces={${ns}}`],
  });

/**
 * No request of the operator's was refused: a refused request fails a reconcile, a list/watch or a Lease round,
 * and each of those logs the KubeApiError, whose message reads "<verb> <path>: 403 Forbidden: ...".
 */
const expectNothingRefused = (ops: { logFile: string | undefined }[]): void => {
  for (const op of ops) {
    const refused = fs
      .readFileSync(op.logFile!, 'utf8')
      .split('\n')
      .filter((l) => /: 40[13] (Unauthorized|Forbidden)\b/.test(l));
    expect(refused.slice(0, 3)).toEqual([]);
  }
};

/** Pauses a process (SIGSTOP) for ms, then resumes it: the API server or Prometheus stops answering, then comes back. */
async function pause(pid: number | undefined, ms: number): Promise<void> {
  if (!pid) throw new Error('no pid to pause: is the environment external?');
  process.kill(pid, 'SIGSTOP');
  try {
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function holder(kube: KubeClient, ns: string, shard = 0): Promise<string | undefined> {
  const l = await kube.get<Lease>(Resources.leases, ns, `tollgate-shard-${shard}`).catch(() => undefined);
  return l?.spec.holderIdentity || undefined;
}

/** The shard's holder once it has stayed the same for a few retry periods (replicas hand shards over as they join). */
async function settledHolder(kube: KubeClient, ns: string): Promise<string | undefined> {
  let last: string | undefined;
  let since = Date.now();
  await waitFor(
    'a settled shard holder',
    async () => {
      const now = await holder(kube, ns);
      if (now !== last) [last, since] = [now, Date.now()];
      return last !== undefined && Date.now() - since >= 3_000;
    },
    30_000,
  );
  return last;
}

/**
 * The analysis of the releases these tests make, which are about leadership and faults, not about the gate: the
 * success rate only (the data-plane stand-in's latency is real time, which a loaded machine stretches past any
 * fixed bound), and a threshold of 5, as a step's first check often finds no data yet (the canary's traffic begins
 * with the step, and rate() needs two scrapes) and two such checks in a row (the fixtures' threshold) would roll
 * the release back.
 */
const patient = (a: { stepWeight: number; maxWeight: number }): Partial<NonNullable<CanarySpec['analysis']>> => ({
  interval: '2s',
  threshold: 5,
  metrics: [{ name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } }],
  ...a,
});

/** Waits for the route to carry canary weight w; a timeout says how far the release got. */
const untilWeight = async (s: Scenario, w: number): Promise<void> =>
  waitFor(`canary weight ${w}`, async () => s.timeline.routeWeights.includes(w), 60_000, 50).catch((err: Error) => {
    const status = s.timeline.canary?.status;
    throw new Error(
      `${err.message}; weights: ${s.timeline.routeWeights.join(',')}; phases: ${s.timeline.phaseSequence().join(' > ')}; last checks: ${s.timeline.phases.at(-1)?.checks ?? ''}; Ready: ${status?.conditions?.find((c) => c.type === 'Ready')?.message ?? ''}`,
    );
  });

/** Weights written in a run: strictly increasing steps, then 0 at the end; none repeated. */
const expectCleanRun = (weights: number[], steps: number[]): void => expect(weights).toEqual([...steps, 0]);

describe('high availability and faults', () => {
  let s: Scenario | undefined;

  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('two replicas with leader election: only the leader acts; when it is killed mid-release the follower finishes the run within the lease duration', async () => {
    const ns = uniqueNs('leader');
    s = await scenario({
      prefix: 'leader',
      ns,
      replicas: 2,
      operatorEnv: { ...LEADER_ENV, LEADER_ELECTION_NAMESPACE: ns },
      analysis: patient({ stepWeight: 10, maxWeight: 40 }),
      operatorKubeconfig: (n, kube) => chartCredentials(n, kube),
    });
    const leader = await settledHolder(s.client, s.ns);
    expect(['replica-0', 'replica-1']).toContain(leader);
    s.timeline.routeWeights.length = 0;
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await untilWeight(s, 20);
    const killedAt = Date.now();
    await s.operators[leader === 'replica-0' ? 0 : 1]!.kill();
    const next = await waitFor('the follower to take over', async () => s!.timeline.routeWeights.includes(30), 30_000, 50).then(() =>
      Date.now(),
    );
    expect(next - killedAt).toBeLessThan(6_000 + 2_000 + 4_000);
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expectCleanRun(s.timeline.routeWeights, [10, 20, 30, 40]);
    expect(await holder(s.client, s.ns)).not.toBe(leader);
    expectNothingRefused(s.operators);
  });

  it('sharding: two replicas share four shards; when one dies its Canaries move to the other and every release completes', async () => {
    const env = envInfo();
    const kube = await client();
    const ns = uniqueNs('shards');
    await createNamespace(kube, ns);
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    for (const n of names) {
      await kube.create(Resources.deployments, sampleDeployment(ns, n));
      await kube.create(Resources.canaries, canaryFor('istio', ns, n, patient({ stepWeight: 50, maxWeight: 50 })));
    }
    const kubeconfig = await chartCredentials(ns, kube, 4);
    const replicas = [0, 1].map(
      (i) =>
        new OperatorProcess({
          kubeconfig,
          prometheusUrl: env.prometheusUrl,
          namespaces: [ns],
          logDir: path.join(RUN_DIR, 'logs'),
          label: `${ns}-${i}`,
          extraEnv: { ...LEADER_ENV, SHARDS: '4', LEADER_ELECTION_NAMESPACE: ns, POD_NAME: `replica-${i}` },
        }),
    );
    const phases = async (): Promise<string[]> => (await kube.list<Canary>(Resources.canaries, ns)).items.map((c) => c.status?.phase ?? '');
    try {
      for (const r of replicas) r.start();
      await waitFor('every Canary initialized', async () => (await phases()).every((p) => p === 'Initialized'), 60_000);
      // Both replicas hold shards (a shard may change hands while the second replica joins: wait for that).
      const bothHold = async (): Promise<boolean> => {
        const holders = await Promise.all([0, 1, 2, 3].map((i) => holder(kube, ns, i)));
        return holders.every(Boolean) && new Set(holders).size === 2;
      };
      await waitFor('both replicas holding shards', bothHold, 15_000);
      await replicas[0]!.kill();
      for (const n of names) await setEnv(kube, ns, n, { VERSION: 'v2' });
      await waitFor('every release promoted', async () => (await phases()).every((p) => p === 'Succeeded'), 90_000);
      expect(new Set(await Promise.all([0, 1, 2, 3].map((i) => holder(kube, ns, i))))).toEqual(new Set(['replica-1']));
      // The killed replica's member Lease is collected by the survivor (after ten lease durations: 60 s here),
      // and the survivor deletes its own when it stops: no Lease is left per process that ever ran.
      const members = async (): Promise<string[]> =>
        (await kube.list<Lease>(Resources.leases, ns, { labelSelector: 'tollgate.dev/member=true' })).items.map((l) => l.metadata.name!);
      await waitFor(
        "the dead replica's member Lease collected",
        async () => !(await members()).includes('tollgate-member-replica-0'),
        90_000,
        1000,
      );
      await replicas[1]!.stop();
      expect(await members()).toEqual([]);
      expectNothingRefused(replicas);
    } finally {
      for (const r of replicas) await r.stop();
      kube.close();
    }
  });

  it('the API server stops answering for 30 s mid-release: the operator waits, reconnects its watches and finishes, without a crash or a repeated step', async () => {
    s = await scenario({ prefix: 'apiserver', analysis: patient({ stepWeight: 10, maxWeight: 40 }) });
    s.timeline.routeWeights.length = 0;
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await untilWeight(s, 20);
    await pause(envInfo().pids.apiserver, 30_000);
    await s.timeline.waitForPhase('Succeeded', 120_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.operator.alive).toBe(true);
    expectCleanRun(s.timeline.routeWeights, [10, 20, 30, 40]);
  });

  // Prometheus' fault and the restarts below make no request of the API server that the tests above do not make.
  itOnMainPass(
    'Prometheus stops answering mid-release: the checks fail as provider errors and the release is rolled back, never promoted',
    async () => {
      s = await scenario({ prefix: 'prometheus', analysis: { interval: '2s', threshold: 2, stepWeight: 10, maxWeight: 40 } });
      const from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
      await untilWeight(s, 10);
      const prometheus = envInfo().pids.prometheus;
      process.kill(prometheus!, 'SIGSTOP');
      try {
        const failed = await s.timeline.waitForPhase('Failed', 60_000, from);
        expect(failed.checks).toMatch(/ProviderError/);
      } finally {
        process.kill(prometheus!, 'SIGCONT');
      }
      expect(s.timeline.phases.slice(from).some((p) => p.phase === 'Promoting' || p.phase === 'Succeeded')).toBe(false);
    },
  );

  itOnMainPass.each(['Initializing', 'Promoting', 'Finalising'])(
    'the operator SIGKILLed in %s is restarted and the release ends as an uninterrupted one',
    async (phase) => {
      const killIn = async (scn: Scenario, from: number): Promise<void> => {
        await scn.timeline.waitForPhase(phase, 60_000, from);
        await scn.operator.kill();
        scn.operator.start();
      };
      if (phase === 'Initializing') {
        // The kill happens while the Canary is first set up, before scenario() returns; it must still initialize.
        s = await scenario({ prefix: 'kill-init', analysis: patient({ stepWeight: 25, maxWeight: 50 }) });
        await s.operator.kill();
        s.operator.start();
      } else {
        s = await scenario({ prefix: `kill-${phase.toLowerCase()}`, analysis: patient({ stepWeight: 25, maxWeight: 50 }) });
      }
      s.timeline.routeWeights.length = 0;
      const from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
      if (phase !== 'Initializing') await killIn(s, from);
      await s.timeline.waitForPhase('Succeeded', 90_000, from);
      await new Promise((r) => setTimeout(r, 500));
      expectCleanRun(s.timeline.routeWeights, [25, 50]);
      const weights = s.timeline.phases
        .slice(from)
        .filter((p) => p.phase === 'Progressing')
        .map((p) => p.weight);
      expect(weights).toEqual([...weights].sort((a, b) => a - b));
    },
  );
});
