import fs from 'node:fs';
import path from 'node:path';
import type { Service } from '@tollgate/operator/api/k8s';
import type { Canary, Condition } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { KubeApiError } from '@tollgate/operator/kube/errors';
import { Resources, resourcePath } from '@tollgate/operator/kube/resources';
import { fuzzConfig, replayHint } from '../src/fuzz/config.js';
import { generateCases, type FuzzCase } from '../src/fuzz/generator.js';
import { loadCanarySpecSchema, type OracleOptions } from '../src/fuzz/schema.js';
import { checkCreate, checkReport, shareNames, type CreateResult, type Report } from '../src/fuzz/verdict.js';
import { createNamespace, metricTemplates, sampleDeployment, setEnv } from '../src/harness/fixtures.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { isSubsequence, scenario, type Scenario } from './helpers.js';

const cfg = fuzzConfig(process.env);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs fn over items, at most limit at a time. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** POSTs the case's raw JSON (it may hold duplicate keys and number literals JavaScript cannot hold). */
async function createRaw(kube: KubeClient, c: FuzzCase): Promise<CreateResult> {
  try {
    const o = await kube.request<Canary>('POST', resourcePath(Resources.canaries, c.namespace), { body: c.body, timeoutMs: 60_000 });
    return { kind: 'created', spec: o.spec, generation: o.metadata.generation ?? 0 };
  } catch (err) {
    if (err instanceof KubeApiError) return { kind: 'refused', status: err.status, reason: err.reason, message: err.message };
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Whether the API server turns an explicit "" into null and rejects it for a typed string (the local 1.20
 * build does; others keep ""): the oracle must know to predict the answers.
 */
async function emptyStringIsNull(kube: KubeClient, ns: string): Promise<boolean> {
  const probe = {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name: 'probe-empty-string', namespace: ns },
    spec: { targetRef: { kind: 'Deployment', name: 'x' }, service: { port: 80, name: '' } },
  };
  try {
    await kube.create(Resources.canaries, probe);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 422 && /spec\.service\.name/.test(err.message)) return true;
    throw err;
  }
  await kube.delete(Resources.canaries, ns, 'probe-empty-string');
  return false;
}

/** A target whose pods the simulated kubelet runs without starting a process (no container port): cheap. */
function portlessDeployment(ns: string, name: string): ReturnType<typeof sampleDeployment> {
  const d = sampleDeployment(ns, name);
  delete d.spec.template.spec.containers[0]!.ports;
  return d;
}

interface CaseResult {
  c: FuzzCase;
  create: CreateResult;
  createProblem?: string;
  report?: Report;
  /** The id of the known bug that explains this case's failure. */
  knownBug?: string;
  /** ms from the end of the create to the operator's first Ready condition. */
  reportedAfterMs?: number;
  createdAt: number;
}

const specBytes = (r: CaseResult): number => (r.create.kind === 'created' ? Buffer.byteLength(JSON.stringify(r.create.spec)) : 0);

/**
 * Operator bugs this fuzz found that are still open. A case one of them explains is listed apart (in the
 * summary's knownBugs) instead of failing the run; each bug has its own failing test below, with a minimal spec.
 */
const KNOWN_BUGS: { id: string; title: string; explains: (r: CaseResult, now: number) => boolean }[] = [];

/**
 * A Canary that takes a name an older one of its namespace already took (same target, or a Service name in
 * common) must be Stalled with reason Conflict, naming a Canary it shares names with; then it is judged done.
 */
function conflictExplained(r: CaseResult, canary: Canary | undefined, created: CaseResult[]): Report | undefined {
  const stalled = canary?.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
  if (stalled?.reason !== 'Conflict' || r.create.kind !== 'created') return undefined;
  const spec = r.create.spec;
  const others = created.filter(
    (x) =>
      x !== r && x.c.namespace === r.c.namespace && x.create.kind === 'created' && shareNames(spec, (x.create as { spec: unknown }).spec),
  );
  const named = others.some((x) => stalled.message?.startsWith(`Canary ${x.c.name} already takes `));
  if (others.length && named) return { settled: true, outcome: 'Stalled/Conflict' };
  return {
    settled: true,
    outcome: 'Stalled/Conflict',
    problem: others.length
      ? `Stalled Conflict without naming any of ${others.map((x) => x.c.name).join(', ')}: ${stalled.message}`
      : `Stalled Conflict, but no other Canary takes its names: ${stalled.message}`,
  };
}

const knownBugOf = (r: CaseResult, now: number): string | undefined => KNOWN_BUGS.find((b) => b.explains(r, now))?.id;

interface LogFindings {
  fatal: string[];
  uncaught: string[];
  warnings: string[];
  reconcileFailed: number;
  reconcileErrors: [string, number][];
}

/** Reads the operator's log for crashes, uncaught errors, process warnings and reconcile failures. */
function scanLog(file: string | undefined): LogFindings {
  const text = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = text.split('\n');
  const errors = new Map<string, number>();
  let reconcileFailed = 0;
  for (const line of lines) {
    if (!line.includes('"reconcile failed"')) continue;
    reconcileFailed++;
    const err = /"err":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? '?';
    const key = err.replace(/fz-\d{4}|fzt-\d{4}|absent-\d+|fuzz-[ab]-[0-9a-z]+/g, '…').slice(0, 200);
    errors.set(key, (errors.get(key) ?? 0) + 1);
  }
  return {
    fatal: lines.filter((l) => /"level":"fatal"|FATAL ERROR|heap out of memory/.test(l)).slice(0, 5),
    uncaught: lines
      .filter((l) =>
        /Uncaught|UnhandledPromiseRejection|unhandledRejection|uncaughtException|^\s+at .*\(node:internal|^[A-Za-z]*Error: /.test(l),
      )
      .slice(0, 5),
    warnings: lines.filter((l) => /^\(node:\d+\) \w*Warning/.test(l)).slice(0, 5),
    reconcileFailed,
    reconcileErrors: [...errors].sort((a, b) => b[1] - a[1]).slice(0, 10),
  };
}

const tally = (items: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k of items) out[k] = (out[k] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
};

const percentile = (xs: number[], p: number): number | undefined => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : undefined;
};

describe(`fuzzing the Canary API: ${cfg.count} generated specs (${replayHint(cfg)})`, () => {
  let release: Scenario;
  let kube: KubeClient;
  let operator: OperatorProcess;
  let fuzzNs: string[];
  let cases: FuzzCase[];
  let oracle: OracleOptions;

  beforeAll(async () => {
    process.stdout.write(
      `fuzz: seed ${cfg.seed}${cfg.seedGiven ? ' (FUZZ_SEED)' : ''}, ${cfg.count} cases; replay with ${replayHint(cfg)}\n`,
    );
    // The valid canary: set up (and initialized) by its own operator, which then hands over to the shared one.
    release = await scenario({ prefix: 'fuzz-release' });
    await release.operator.stop();
    kube = await client();
    fuzzNs = [uniqueNs('fuzz-a'), uniqueNs('fuzz-b')];
    for (const ns of fuzzNs) {
      await createNamespace(kube, ns);
      for (const t of metricTemplates(ns)) await kube.create(Resources.metricTemplates, t);
    }
    oracle = { emptyStringIsNull: await emptyStringIsNull(kube, fuzzNs[0]!), cel: envInfo().minor >= 25 };
    const all = generateCases({ seed: cfg.seed, count: cfg.count, namespaces: fuzzNs, schema: loadCanarySpecSchema(), oracle });
    cases = cfg.only ? all.filter((c) => cfg.only!.has(c.index)) : all;
    const logDir = path.join(RUN_DIR, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [...fuzzNs, release.ns],
      logDir,
      label: 'fuzz',
    });
    operator.start();
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await release?.stop();
    // Pods and Deployments go with the namespaces; Canaries the operator finalized stay until the run's end.
    for (const ns of fuzzNs ?? []) await kube?.delete(Resources.namespaces, undefined, ns).catch(() => undefined);
    kube?.close();
  });

  it('each spec is rejected with a 422 naming the field, or accepted and reported in a condition; the operator never crashes and a release elsewhere succeeds meanwhile', async () => {
    const t0 = Date.now();

    const runRelease = async (): Promise<{ weights: number[]; phases: string[]; startedAt: number; succeededAt: number }> => {
      const from = release.timeline.phases.length;
      release.timeline.routeWeights.length = 0;
      const startedAt = Date.now();
      await setEnv(release.client, release.ns, 'podinfo', { VERSION: 'v2' });
      await release.timeline.waitForPhase('Succeeded', 180_000, from);
      const succeededAt = Date.now();
      await sleep(500);
      return { weights: [...release.timeline.routeWeights], phases: release.timeline.phaseSequence(), startedAt, succeededAt };
    };

    const results = new Map<number, CaseResult>();
    const timing = { createStart: 0, createEnd: 0, reportEnd: 0 };

    const runFuzz = async (): Promise<void> => {
      timing.createStart = Date.now();
      await mapLimit(cases, cfg.concurrency, async (c) => {
        if (c.target) await kube.create(Resources.deployments, portlessDeployment(c.namespace, c.target));
        const create = await createRaw(kube, c);
        const createProblem = checkCreate(c, create);
        results.set(c.index, { c, create, createdAt: Date.now(), ...(createProblem ? { createProblem } : {}) });
      });
      timing.createEnd = Date.now();
      // Every Canary the server took must be reported by the operator; poll the lists, one per namespace.
      const created = [...results.values()].filter((r) => r.create.kind === 'created');
      const hardDeadline = Date.now() + 120_000;
      let signature = '';
      let lastChange = Date.now();
      for (;;) {
        const live = new Map<string, Canary>();
        for (const ns of fuzzNs)
          for (const cn of (await kube.list<Canary>(Resources.canaries, ns)).items) live.set(`${ns}/${cn.metadata.name}`, cn);
        for (const r of created) {
          // A spec the server took against the prediction is still owed a report.
          const c: FuzzCase =
            r.c.expect.kind === 'accept' ? r.c : { ...r.c, expect: { kind: 'accept', stored: undefined, outcome: { kind: 'report' } } };
          const canary = live.get(`${r.c.namespace}/${r.c.name}`);
          const report = conflictExplained(r, canary, created) ?? checkReport(c, canary);
          if (r.reportedAfterMs === undefined && report.outcome !== 'unreported' && report.outcome !== 'stale')
            r.reportedAfterMs = Date.now() - r.createdAt;
          r.report = report;
          const bug = report.problem ? knownBugOf(r, Date.now()) : undefined;
          if (bug) r.knownBug = bug;
          else delete r.knownBug;
        }
        const pending = created.filter((r) => (!r.report!.settled || r.report!.problem) && !r.knownBug);
        if (pending.length === 0) break;
        const now = pending.map((r) => `${r.c.index}:${r.report!.outcome}:${r.report!.problem ?? ''}`).join('|');
        if (now !== signature) {
          signature = now;
          lastChange = Date.now();
        }
        if (Date.now() > hardDeadline || Date.now() - lastChange > 30_000) break;
        await sleep(1000);
      }
      // An Initialized Canary must own its traffic: its apex Service selects its own primary pods.
      for (const ns of fuzzNs) {
        const services = new Map((await kube.list<Service>(Resources.services, ns)).items.map((x) => [x.metadata.name!, x]));
        type Named = { targetRef?: { name?: string }; service?: { name?: string } };
        const apexOf = (r: CaseResult): string | undefined => {
          const spec = (r.create as { spec?: Named }).spec;
          return spec?.service?.name || spec?.targetRef?.name;
        };
        const inNs = created.filter((x) => x.c.namespace === ns && x.c.target);
        for (const r of inNs.filter((x) => x.report?.outcome === 'Initialized')) {
          const target = (r.create as { spec: Named }).spec.targetRef!.name!;
          const apex = apexOf(r)!;
          const selector = Object.values(services.get(apex)?.spec?.selector ?? {});
          if (!selector.includes(`${target}-primary`)) {
            const sharing = inNs.filter((x) => apexOf(x) === apex).length;
            r.report = {
              ...r.report!,
              problem: `apex Service ${apex} (named by ${sharing} Canaries) selects ${JSON.stringify(services.get(apex)?.spec?.selector ?? 'nothing')}, not ${target}-primary, yet the Canary is Initialized`,
            };
            const bug = knownBugOf(r, Date.now());
            if (bug) r.knownBug = bug;
          }
        }
      }
      timing.reportEnd = Date.now();
    };

    const [rel] = await Promise.all([runRelease(), runFuzz()]);
    const all = [...results.values()].sort((a, b) => a.c.index - b.c.index);
    const log = scanLog(operator.logFile);
    const alive = operator.alive;

    // Summary: counts in the test output and a JSON file in the run directory.
    const rejected = all.filter((r) => r.create.kind === 'refused');
    const accepted = all.filter((r) => r.create.kind === 'created');
    const failures = all.flatMap((r) => [
      ...(r.createProblem ? [{ r, problem: r.createProblem }] : []),
      ...(r.report?.problem && !r.knownBug ? [{ r, problem: `operator: ${r.report.problem}` }] : []),
    ]);
    const known = all.filter((r) => r.knownBug);
    const latencies = accepted.map((r) => r.reportedAfterMs).filter((x): x is number => x !== undefined);
    const summary = {
      seed: cfg.seed,
      count: cfg.count,
      cases: cases.length,
      replay: replayHint(cfg),
      emptyStringIsNull: oracle.emptyStringIsNull,
      cel: oracle.cel,
      namespaces: { fuzz: fuzzNs, release: release.ns },
      durationMs: { total: Date.now() - t0, create: timing.createEnd - timing.createStart, report: timing.reportEnd - timing.createEnd },
      counts: {
        byFamily: tally(cases.map((c) => c.family)),
        rejectedBySchema: rejected.length,
        rejectedFields: Object.fromEntries(
          Object.entries(tally(rejected.flatMap((r) => (r.c.expect.kind === 'reject' ? r.c.expect.paths.map((p) => p.path) : [])))).slice(
            0,
            15,
          ),
        ),
        accepted: accepted.length,
        acceptedOutcomes: tally(accepted.map((r) => r.report?.outcome ?? 'unpolled')),
        initialized: accepted.filter((r) => r.report?.outcome === 'Initialized').length,
        failures: failures.length,
        knownBugs: known.length,
      },
      knownBugs: KNOWN_BUGS.map((b) => ({
        ...b,
        explains: undefined,
        cases: known
          .filter((r) => r.knownBug === b.id)
          .map((r) => `${r.c.id} ${r.c.namespace}/${r.c.name}: ${r.c.mutations.join(' | ').slice(0, 200)}`),
      })),
      reportLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: percentile(latencies, 100) },
      release: {
        weights: rel.weights,
        phases: rel.phases,
        ms: rel.succeededAt - rel.startedAt,
        overlappedFuzz: timing.createStart < rel.succeededAt && rel.startedAt < timing.reportEnd,
      },
      operator: { alive, logFile: operator.logFile, ...log },
      failures: failures.slice(0, 200).map(({ r, problem }) => ({
        id: r.c.id,
        index: r.c.index,
        family: r.c.family,
        name: `${r.c.namespace}/${r.c.name}`,
        mutations: r.c.mutations,
        problem,
      })),
    };
    fs.writeFileSync(path.join(RUN_DIR, 'fuzz-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    fs.writeFileSync(
      path.join(RUN_DIR, 'fuzz-cases.jsonl'),
      all
        .map((r) =>
          JSON.stringify({
            id: r.c.id,
            family: r.c.family,
            name: `${r.c.namespace}/${r.c.name}`,
            mutations: r.c.mutations,
            expect: r.c.expect.kind === 'reject' ? { reject: r.c.expect.paths.map((p) => p.path) } : { accept: r.c.expect.outcome.kind },
            answer:
              r.create.kind === 'created'
                ? 'created'
                : r.create.kind === 'refused'
                  ? `${r.create.status} ${r.create.message.slice(0, 300)}`
                  : r.create.message,
            outcome: r.report?.outcome,
            message: r.report?.message,
            problem: r.createProblem ?? r.report?.problem,
            body: r.c.body.length > 2000 ? `${r.c.body.slice(0, 2000)}…` : r.c.body,
          }),
        )
        .join('\n'),
    );
    process.stdout.write(
      `fuzz summary (${path.join(RUN_DIR, 'fuzz-summary.json')}):\n${JSON.stringify({ ...summary, failures: summary.failures.slice(0, 10) }, null, 2)}\n`,
    );

    // The release in the other namespace went through every step while the fuzz ran.
    expect(rel.weights).toEqual([20, 40, 60, 0]);
    expect(isSubsequence(['Progressing', 'Promoting', 'Finalising', 'Succeeded'], rel.phases)).toBe(true);
    expect(summary.release.overlappedFuzz).toBe(true);
    // The operator never crashed, restarted or threw past its handlers.
    expect({ alive, fatal: log.fatal, uncaught: log.uncaught }).toEqual({ alive: true, fatal: [], uncaught: [] });
    // Every case is as predicted: a 422 naming each bad field, or accepted, stored as predicted and reported.
    expect(cases.length).toBeGreaterThanOrEqual(Math.min(cfg.count, cfg.only?.size ?? cfg.count));
    const listing = failures
      .slice(0, 25)
      .map(
        ({ r, problem }) =>
          `${r.c.id} ${r.c.family} ${r.c.namespace}/${r.c.name} [${r.c.mutations.join(' | ').slice(0, 300)}]\n    ${problem.slice(0, 500)}`,
      );
    const replay = replayHint(cfg, [...new Set(failures.map((f) => f.r.c.index))]);
    expect(failures.length === 0 ? 'none' : `${failures.length} failures (replay: ${replay}):\n${listing.join('\n')}`).toBe('none');
  }, 300_000);

  /** Polls a Canary until a condition of the type (and passing the test) appears, or the time is up. */
  async function conditionOf(
    ns: string,
    name: string,
    type: string,
    timeoutMs: number,
    test: (c: Condition) => boolean = () => true,
  ): Promise<Condition | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await kube.get<Canary>(Resources.canaries, ns, name).catch(() => undefined);
      const hit = c?.status?.conditions?.find((x) => x.type === type && (type !== 'Stalled' || x.status === 'True') && test(x));
      if (hit || Date.now() > deadline) return hit;
      await sleep(500);
    }
  }

  // Found by this fuzz (fixed): the API server takes this Canary (its name is legal at any length); the
  // operator quoted the name in full in Ready and Stalled, the status no longer fit in etcd ("request is too
  // large") and the reconcile was retried forever. Condition messages are now cut to 2048 characters.
  it('a Canary whose targetRef.name is 600,000 characters long is reported (TargetNotFound, message cut)', async () => {
    const ns = fuzzNs[0]!;
    await kube.create(Resources.canaries, {
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: { name: 'bug-huge-target', namespace: ns },
      // A name of its own: the fuzz cases may hold 600,000 x's already (then this one would be Stalled Conflict).
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `bug-huge-${'y'.repeat(600_000)}` },
        service: { port: 80, name: 'bug-huge-target' },
        analysis: { interval: '10s', stepWeight: 10 },
      },
    } as Canary);
    const ready = await conditionOf(ns, 'bug-huge-target', 'Ready', 15_000);
    expect(ready).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
    expect(ready?.message?.length).toBeLessThanOrEqual(2048);
    expect(ready?.message).toMatch(/more characters\)/);
  }, 60_000);

  // Found by this fuzz (fixed): the Canary schema took an Istio string match with two of exact/prefix/regex,
  // Istio's does not; the VirtualService was refused after the primary and Services were made, with a message
  // about a field the user never wrote. The schema now allows one key per string match (maxProperties 1).
  it('a service.match string match with both exact and prefix is refused before anything is created', async () => {
    const ns = fuzzNs[1]!;
    await kube.create(Resources.deployments, portlessDeployment(ns, 'bug-match'));
    const spec = {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'bug-match' },
      service: { port: 80, match: [{ uri: { exact: '/a', prefix: '/a' } }] },
      analysis: { interval: '10s', stepWeight: 10 },
    };
    const created = await createRaw(kube, {
      namespace: ns,
      body: JSON.stringify({ apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', metadata: { name: 'bug-match', namespace: ns }, spec }),
    } as FuzzCase);
    if (created.kind === 'refused') {
      expect(created.message).toMatch(/spec\.service\.match/);
      return;
    }
    // The target may not be in the operator's cache yet: TargetNotFound until it is.
    const stalled = await conditionOf(ns, 'bug-match', 'Stalled', 45_000, (x) => x.reason !== 'TargetNotFound');
    expect(stalled).toMatchObject({ reason: 'InvalidSpec', message: expect.stringMatching(/spec\.service\.match\[0\]\.uri/) });
    await expect(kube.get(Resources.deployments, ns, 'bug-match-primary')).rejects.toMatchObject({ status: 404 });
  }, 60_000);

  // Found by this fuzz (fixed): analysis.interval above 2^31-1 ms (about 596h; here 1000000h) asked Node for
  // setTimeout(3.6e12), which it turns into 1 ms: a hot reconcile loop. The work queue now waits at most an hour.
  it('a run with analysis.interval 1000000h does not make the operator reconcile in a loop', async () => {
    const ns = fuzzNs[0]!;
    await kube.create(Resources.deployments, portlessDeployment(ns, 'bug-interval'));
    await kube.create(Resources.canaries, {
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: { name: 'bug-interval', namespace: ns },
      spec: {
        provider: 'kubernetes',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'bug-interval' },
        service: { port: 80 },
        analysis: { interval: '1000000h', iterations: 3 },
      },
    } as Canary);
    const ready = await conditionOf(ns, 'bug-interval', 'Ready', 60_000, (x) => x.status === 'True');
    expect(ready?.reason).toBe('Initialized');
    const overflows = (): number => (fs.readFileSync(operator.logFile!, 'utf8').match(/TimeoutOverflowWarning/g) ?? []).length;
    const before = overflows();
    await setEnv(kube, ns, 'bug-interval', { VERSION: 'v2' });
    await sleep(5000);
    expect(overflows() - before).toBe(0);
  }, 90_000);

  // Found by this fuzz (fixed): two Canaries, two Deployments, one service.name. Both were Initialized while every
  // object routed to the first one's pods. The newer one is now Stalled Conflict, naming the older.
  it('of two Canaries sharing a service.name, the one that does not own the Services is Stalled Conflict', async () => {
    const ns = fuzzNs[1]!;
    for (const n of ['bug-share-1', 'bug-share-2']) {
      await kube.create(Resources.deployments, portlessDeployment(ns, n));
      await kube.create(Resources.canaries, {
        apiVersion: 'tollgate.dev/v1beta1',
        kind: 'Canary',
        metadata: { name: n, namespace: ns },
        spec: {
          provider: 'istio',
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: n },
          service: { port: 80, name: 'bug-shared' },
          analysis: { interval: '10s', stepWeight: 10 },
        },
      } as Canary);
    }
    const settled = (x: Condition): boolean => x.status === 'True' || !['TargetNotFound', 'Initializing', ''].includes(x.reason ?? '');
    const ready = await Promise.all(['bug-share-1', 'bug-share-2'].map((n) => conditionOf(ns, n, 'Ready', 45_000, settled)));
    const apex = await kube.get<Service>(Resources.services, ns, 'bug-shared');
    const owner = Object.values(apex.spec?.selector ?? {}).includes('bug-share-1-primary') ? 1 : 2;
    expect(ready[owner - 1]?.status).toBe('True');
    expect(ready[2 - owner]).toMatchObject({ status: 'False', message: expect.stringContaining(`bug-share-${owner}`) });
  }, 90_000);
});
