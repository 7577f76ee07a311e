/**
 * Scale benchmark (not a test): N Deployments and Canaries on the local control plane, all released at once,
 * with a Prometheus stand-in that passes every check. Reports, per N, the analysis tick lag, API requests per
 * tick, writes per weight step, the operator's RSS and CPU, and the CPU of the API server and its neighbours.
 *
 *   npx tsc -b && node e2e/dist/bench/scale.js --n 100,500,1000,2000 --max-minutes 40
 *
 * Every N gets a fresh environment (startEnvironment with the simulator's --no-apps --no-traffic: pods are
 * only marked Ready). Results go to bench/results/scale-latest.md (rewritten after each N); logs to
 * e2e/.run/bench-scale-<time>-<pid>/. Everything started is stopped at the end and on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { parseDuration } from '@tollgate/operator/api/duration';
import type { Canary, CanaryStatus } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import { dueAt, tickSchedule } from '@tollgate/operator/core/schedule';
import { isConflict } from '@tollgate/operator/kube/errors';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { freePort } from '../cluster/processes.js';
import { startEnvironment, type Environment } from '../harness/environment.js';
import { canaryFor, createNamespace, sampleDeployment } from '../harness/fixtures.js';
import { OperatorProcess } from '../harness/operator-process.js';
import { runTool } from '../harness/tools.js';
import { OPERATOR_MAIN, ROOT } from '../harness/paths.js';
import {
  cpuCores,
  loadAvg,
  machineCpu,
  pool,
  quantile,
  readKcmPid,
  sampleAll,
  wholeNumber,
  type Pids,
  type ProcSample,
} from './measure.js';

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  ns: number[];
  maxMinutes: number;
  interval: string;
  intervalMs: number;
  stepWeight: number;
  maxWeight: number;
  concurrency: number;
  workers: string | undefined;
  /** Extra environment of the operator process (--operator-env KEY=VALUE, repeatable), e.g. NODE_OPTIONS. */
  operatorEnv: Record<string, string>;
  perNamespace: number;
  idleSeconds: number;
  scrapeSeconds: number;
  logLevel: string;
  out: string;
  /** Operator replicas; above 1 they shard the Canaries (LEADER_ELECT=true, SHARDS=replicas). */
  replicas: number;
}

const USAGE = `node e2e/dist/bench/scale.js [--n 100,500,1000,2000] [--max-minutes 40] [--interval 10s]
  [--step-weight 10] [--max-weight 50] [--concurrency 16] [--workers <operator default>] [--operator-env KEY=VALUE ...] [--per-namespace 250]
  [--idle-seconds 30] [--scrape-seconds 10] [--log-level info] [--replicas 1] [--out bench/results/scale-latest.md]`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100,500,1000,2000' },
      'max-minutes': { type: 'string', default: '40' },
      interval: { type: 'string', default: '10s' },
      'step-weight': { type: 'string', default: '10' },
      'max-weight': { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '16' },
      workers: { type: 'string' },
      'operator-env': { type: 'string', multiple: true, default: [] },
      'per-namespace': { type: 'string', default: '250' },
      'idle-seconds': { type: 'string', default: '30' },
      'scrape-seconds': { type: 'string', default: '10' },
      'log-level': { type: 'string', default: 'info' },
      replicas: { type: 'string', default: '1' },
      out: { type: 'string', default: path.join(ROOT, 'bench', 'results', 'scale-latest.md') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const ns = values.n.split(',').map((s) => wholeNumber('n', s.trim(), 1));
  const operatorEnv: Record<string, string> = {};
  for (const kv of values['operator-env']) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--operator-env must be KEY=VALUE (got ${kv})`);
    operatorEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    ns,
    maxMinutes: wholeNumber('max-minutes', values['max-minutes'], 1),
    interval: values.interval,
    intervalMs: parseDuration(values.interval),
    stepWeight: wholeNumber('step-weight', values['step-weight'], 1),
    maxWeight: wholeNumber('max-weight', values['max-weight'], 1),
    concurrency: wholeNumber('concurrency', values.concurrency, 1),
    workers: values.workers,
    operatorEnv,
    perNamespace: wholeNumber('per-namespace', values['per-namespace'], 1),
    idleSeconds: wholeNumber('idle-seconds', values['idle-seconds'], 1),
    scrapeSeconds: wholeNumber('scrape-seconds', values['scrape-seconds'], 1),
    logLevel: values['log-level'],
    out: path.resolve(values.out),
    replicas: wholeNumber('replicas', values.replicas, 1),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup: everything started registers how to stop it; Ctrl-C runs the stack.

const cleanups: { name: string; fn: () => Promise<void> }[] = [];
let interrupted = false;

function onCleanup(name: string, fn: () => Promise<void>): () => Promise<void> {
  const entry = { name, fn };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await fn();
  };
}

async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop()!;
    await c.fn().catch((err) => process.stderr.write(`cleanup ${c.name}: ${String(err)}\n`));
  }
}

class Interrupted extends Error {}

const stopIfInterrupted = (): boolean => {
  if (interrupted) throw new Interrupted();
  return false;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retries a create/patch on connection errors and 429/5xx (a loaded API server), never on conflicts. */
async function retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { status?: number }).status;
      const retriable = status === undefined || status === 429 || status >= 500;
      if (!retriable || isConflict(err) || attempt >= 8) throw new Error(`${what}: ${String(err)}`, { cause: err });
      await sleep(250 * 2 ** Math.min(attempt, 4));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Prometheus stand-in: /api/v1/query answers every query with a passing value.

interface StandIn {
  url: string;
  queries: () => number;
  close: () => Promise<void>;
}

async function startPromStandIn(): Promise<StandIn> {
  let queries = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/query') {
      res.writeHead(url.pathname === '/-/ready' ? 200 : 404).end();
      return;
    }
    const answer = (q: string): void => {
      queries++;
      const constant = /^\s*vector\(\s*([0-9.]+)\s*\)\s*$/.exec(q);
      // 100 (%) passes a success-rate minimum; 10 (ms) passes a latency maximum.
      const value = constant ? constant[1]! : q.includes('histogram_quantile') ? '10' : '100';
      const body = JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] },
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    };
    if (req.method === 'POST') {
      let text = '';
      req
        .setEncoding('utf8')
        .on('data', (c: string) => (text += c))
        .on('end', () => answer(new URLSearchParams(text).get('query') ?? ''));
    } else answer(url.searchParams.get('query') ?? '');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    queries: () => queries,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Snapshot {
  at: number;
  procs: Record<string, ProcSample | undefined>;
  machine: { busy: number; total: number };
  metrics: Map<string, number>;
  queries: number;
}

// ---------------------------------------------------------------------------------------------------------
// The API server's own latency (apiserver_request_duration_seconds, from its /metrics)

/** The API server's request latency classes: reads (GET, LIST) and writes; watches and proxies are left out. */
const LATENCY_CLASS: Record<string, 'read' | 'write'> = {
  GET: 'read',
  LIST: 'read',
  POST: 'write',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'write',
};
const APISERVER_LATENCY = (cls: 'read' | 'write'): string => `apiserver_latency_${cls}`;

/**
 * apiserver_request_duration_seconds buckets summed by class and le, as series of this file's map
 * ("apiserver_latency_read_bucket{le=\"0.05\"}"), so histogramQuantile reads them as it reads the operator's.
 */
function parseApiserverLatency(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_duration_seconds_bucket{')) continue;
    const sp = line.lastIndexOf(' ');
    const labels = labelsOf(line.slice(0, sp));
    const cls = LATENCY_CLASS[labels.verb ?? ''];
    if (!cls || labels.le === undefined) continue;
    const key = `${APISERVER_LATENCY(cls)}_bucket{le="${labels.le}"}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(sp + 1)));
  }
  return out;
}

/** p50 and p99 of the API server's reads and writes between two snapshots (seconds; undefined without requests). */
interface ApiLatency {
  read: { p50?: HistogramQuantile; p99?: HistogramQuantile; count: number };
  write: { p50?: HistogramQuantile; p99?: HistogramQuantile; count: number };
}

function apiLatency(a: Map<string, number>, b: Map<string, number>): ApiLatency {
  const of = (cls: 'read' | 'write'): ApiLatency['read'] => {
    const name = APISERVER_LATENCY(cls);
    const count = (b.get(`${name}_bucket{le="+Inf"}`) ?? 0) - (a.get(`${name}_bucket{le="+Inf"}`) ?? 0);
    return { p50: histogramQuantile(a, b, name, 0.5), p99: histogramQuantile(a, b, name, 0.99), count };
  };
  return { read: of('read'), write: of('write') };
}

async function scrapeApiserver(kubeconfig: string): Promise<Map<string, number>> {
  const r = await runTool('kubectl', ['get', '--raw', '/metrics'], { kubeconfig, timeoutMs: 60_000 });
  return r.code === 0 ? parseApiserverLatency(r.stdout) : new Map();
}

// ---------------------------------------------------------------------------------------------------------
// The operator's /metrics

/** Series of the Prometheus text format as "name{labels}" -> value (only tollgate_ series). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('tollgate_')) continue;
    // Skip the per-canary gauges: a few tens of thousands of lines at 2,000 canaries, none needed here.
    if (line.startsWith('tollgate_canary_')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

async function scrapeOne(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(20_000) });
  return parseMetrics(await res.text());
}

/** Gauges of one process that are not summed over replicas: the largest is kept. */
const PER_PROCESS = /eventloop_lag|heap_size|resident_memory/;

/** Every replica's series, summed (counters, histograms, queue depths), the per-process gauges at their largest. */
async function scrape(urls: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of await Promise.all(urls.map(scrapeOne))) {
    for (const [k, v] of m) out.set(k, PER_PROCESS.test(k) ? Math.max(out.get(k) ?? -Infinity, v) : (out.get(k) ?? 0) + v);
  }
  return out;
}

/** The operator replicas' processes: 'operator', then 'operator-1', 'operator-2'... */
const operatorKeys = (procs: Record<string, unknown>): string[] => Object.keys(procs).filter((k) => /^operator(-\d+)?$/.test(k));

/** A figure of the replicas' processes: CPU seconds summed, memory the largest of one replica. */
function ofOperators(procs: Record<string, ProcSample | undefined>, field: 'cpuSeconds' | 'rssMb' | 'hwmMb'): number {
  const values = operatorKeys(procs).map((k) => procs[k]?.[field]);
  if (field === 'cpuSeconds') return values.reduce<number>((a, b) => a + (b ?? 0), 0);
  return Math.max(...values.map((v) => v ?? NaN));
}

function labelsOf(series: string): Record<string, string> {
  const m = /\{(.*)\}$/.exec(series);
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const part of m[1]!.matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) out[part[1]!] = part[2]!;
  return out;
}

/** Sums the deltas of a counter between two snapshots, grouped by the given labels. */
function deltaBy(a: Map<string, number>, b: Map<string, number>, name: string, by: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [series, v] of b) {
    if (!series.startsWith(`${name}{`) && series !== name) continue;
    const key = by.map((l) => labelsOf(series)[l] ?? '').join('/');
    out.set(key, (out.get(key) ?? 0) + v - (a.get(series) ?? 0));
  }
  return out;
}

const sumOf = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0);

interface HistogramQuantile {
  value: number;
  lower: number;
  upper: number;
}

/** The q-quantile of a histogram's bucket deltas, interpolated within the bucket as histogram_quantile does. */
function histogramQuantile(a: Map<string, number>, b: Map<string, number>, name: string, q: number): HistogramQuantile | undefined {
  const buckets = [...deltaBy(a, b, `${name}_bucket`, ['le'])]
    .map(([le, count]) => ({ le: le === '+Inf' ? Infinity : Number(le), count }))
    .sort((x, y) => x.le - y.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (!total) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return { value: prevLe, lower: prevLe, upper: Infinity };
      const inBucket = bucket.count - prevCount;
      const value = prevLe + (bucket.le - prevLe) * (inBucket > 0 ? (rank - prevCount) / inBucket : 1);
      return { value, lower: prevLe, upper: bucket.le };
    }
    prevLe = bucket.le;
    prevCount = bucket.count;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Canary tracker: a watch of the Canaries, for phases and exact tick times (status.lastAnalysisTime).

class CanaryTracker {
  readonly informer: Informer<Canary>;
  /**
   * Lag of each analysis tick seen, in ms, from the Canary's own schedule (core/schedule.ts): the tick's
   * lastAnalysisTime minus the tick the step was due at after the previous one (the operator's tick-lag histogram
   * measures the same).
   */
  lags: { first: number[]; later: number[] } = { first: [], later: [] };
  weightSteps = 0;
  /**
   * The Canary status writes seen, by what they changed: the canary weight raised (a weight step), else the phase, else
   * anything else (a wait's progress, a hold, a check's message).
   */
  statusWrites = { step: 0, phase: 0, other: 0 };

  constructor(
    client: KubeClient,
    private readonly intervalMs: number,
  ) {
    this.informer = new Informer<Canary>({ client, resource: Resources.canaries, logger: createLogger('warn', 'bench') });
    this.informer.on('update', (c, old) => {
      this.countWrite(c.status ?? {}, old?.status ?? {});
      this.onUpdate(`${c.metadata.namespace}/${c.metadata.name}`, c.status ?? {}, old?.status ?? {});
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  reset(): void {
    this.lags = { first: [], later: [] };
    this.weightSteps = 0;
    this.statusWrites = { step: 0, phase: 0, other: 0 };
  }

  private countWrite(s: CanaryStatus, old: CanaryStatus): void {
    if (isDeepStrictEqual(s, old)) return;
    if ((s.canaryWeight ?? 0) > (old.canaryWeight ?? 0)) this.statusWrites.step++;
    else if (s.phase !== old.phase) this.statusWrites.phase++;
    else this.statusWrites.other++;
  }

  phases(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.informer.list()) {
      const p = c.status?.phase || 'none';
      out[p] = (out[p] ?? 0) + 1;
    }
    return out;
  }

  private onUpdate(key: string, s: CanaryStatus, old: CanaryStatus): void {
    if (old.phase !== 'Progressing' && old.phase !== 'WaitingPromotion') return;
    if (s.lastAppliedSpec !== old.lastAppliedSpec) return;
    if (s.lastAnalysisTime && old.lastAnalysisTime && s.lastAnalysisTime !== old.lastAnalysisTime) {
      const due = dueAt(tickSchedule(key, this.intervalMs), old.lastAnalysisTime) ?? NaN;
      const lag = Date.parse(s.lastAnalysisTime) - due;
      (old.iterations ? this.lags.later : this.lags.first).push(lag);
    }
    if ((s.canaryWeight ?? 0) > (old.canaryWeight ?? 0)) this.weightSteps++;
  }
}

// ---------------------------------------------------------------------------------------------------------
// One N

interface Result {
  n: number;
  complete: boolean;
  note: string;
  setupSeconds: number;
  initSeconds: number;
  triggerSeconds: number;
  releaseSeconds: number;
  outcome: Record<string, number>;
  ticks: number;
  tickLagHist: { p50?: HistogramQuantile; p99?: HistogramQuantile; buckets: [string, number][] };
  tickLagWatch: {
    count: number;
    p50?: number;
    p99?: number;
    max?: number;
    laterCount: number;
    laterP50?: number;
    laterP99?: number;
    firstP50?: number;
    firstP99?: number;
  };
  perTickByVerb: Record<string, number>;
  perReleaseByResource: [string, number][];
  weightSteps: number;
  writesPerStep: number;
  reconcilesPerTick: number;
  /** Watch events the operator received per tick, by origin/resource (own: echoes of its own writes, not reconciled). */
  watchEventsPerTick: [string, number][];
  queriesPerTick: number;
  idle: {
    seconds: number;
    byVerb: Record<string, number>;
    byVerbResource: [string, number][];
    reconciles: number;
    operatorCpu: number;
    apiLatency: ApiLatency;
  };
  /** The API server's own request latency over the release window. */
  apiLatency: ApiLatency;
  sentPerSecond: number;
  writesPerSecond: number;
  statusWrites: CanaryTracker['statusWrites'];
  cpu: Record<string, number>;
  machineBusyCores: number;
  operatorRssEndMb: number;
  operatorRssPeakMb: number;
  apiserverRssPeakMb: number;
  maxQueueDepth: number;
  maxEventLoopLagP99: number;
  loadBefore: string;
  loadAfter: string;
  errors: number;
  errorsByKind: [string, number][];
  heapUsedMb: number;
  operatorRssReadyMb: number;
  operatorRssIdleMb: number;
  reconcile: { meanMs: number; p50?: HistogramQuantile; p99?: HistogramQuantile };
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

/** What one N runs against: the environment, the operator and the watch, and how to read their state. */
interface Session {
  o: Options;
  n: number;
  started: number;
  client: KubeClient;
  tracker: CanaryTracker;
  opUrls: string[];
  kubeconfig: string;
  pids: Pids;
  operatorRssReadyMb: number;
  /** Queries the Prometheus stand-in has answered so far. */
  queries: () => number;
  peaks: { queueDepth: number; loopLag: number };
  check: (what: string) => void;
  left: () => number;
  close: () => Promise<void>;
}

/** The operator's replicas, each ready; above one they shard the Canaries over as many Leases. */
async function startOperators(
  o: Options,
  at: { n: number; dir: string; kubeconfig: string; prometheusUrl: string },
  stops: Array<() => Promise<void>>,
  check: (what: string) => void,
): Promise<{ pid: number | undefined; url: string }[]> {
  const { n, dir, kubeconfig, prometheusUrl } = at;
  const shard = (i: number): Record<string, string> =>
    o.replicas > 1
      ? { LEADER_ELECT: 'true', SHARDS: String(o.replicas), LEADER_ELECTION_NAMESPACE: 'default', POD_NAME: `scale-${i}` }
      : {};
  const out: { pid: number | undefined; url: string }[] = [];
  for (let i = 0; i < o.replicas; i++) {
    const port = await freePort();
    const operator = new OperatorProcess({
      kubeconfig,
      prometheusUrl,
      namespaces: [],
      logDir: dir,
      label: o.replicas > 1 ? `scale-${n}-${i}` : `scale-${n}`,
      extraEnv: {
        PORT: String(port),
        LOG_LEVEL: o.logLevel,
        ...(o.workers ? { WORKERS: o.workers } : {}),
        ...shard(i),
        ...o.operatorEnv,
      },
    });
    stops.push(onCleanup(`operator ${i}`, () => operator.stop()));
    operator.start();
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(`operator ${i} /readyz`, async () => (await fetch(`${url}/readyz`)).ok, 60_000, check);
    out.push({ pid: operator.pid, url });
  }
  return out;
}

async function openSession(o: Options, n: number, dir: string, deadline: number): Promise<Session> {
  const started = Date.now();
  const left = (): number => deadline - Date.now();
  const check = (what: string): void => {
    if (interrupted) throw new Interrupted();
    if (left() <= 0) throw new Error(`time budget spent while ${what}`);
  };
  const stops: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    progressDone();
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const env: Environment = await startEnvironment(path.join(dir, 'environment'), [], { simArgs: ['--no-apps', '--no-traffic'] });
    stops.push(onCleanup('environment', () => env.stop()));
    const standIn = await startPromStandIn();
    stops.push(onCleanup('prometheus stand-in', () => standIn.close()));
    const client = await clientFromKubeConfig({ kubeconfig: env.kubeconfig, userAgent: 'tollgate-bench' });
    stops.push(onCleanup('bench client', async () => client.close()));
    const operators = await startOperators(o, { n, dir, kubeconfig: env.kubeconfig, prometheusUrl: standIn.url }, stops, check);
    const tracker = new CanaryTracker(client, o.intervalMs);
    stops.push(onCleanup('canary watch', async () => tracker.stop()));
    const pids: Pids = {
      ...Object.fromEntries(operators.map((op, i) => [i === 0 ? 'operator' : `operator-${i}`, op.pid])),
      apiserver: env.pids.apiserver,
      etcd: env.pids.etcd,
      'controller-manager': readKcmPid(env.dir),
      simulator: env.pids.simulator,
      prometheus: env.pids.prometheus,
      bench: process.pid,
    };
    await tracker.start();
    return {
      o,
      n,
      started,
      client,
      tracker,
      opUrls: operators.map((op) => op.url),
      kubeconfig: env.kubeconfig,
      pids,
      operatorRssReadyMb: ofOperators(sampleAll(pids), 'rssMb'),
      queries: standIn.queries,
      peaks: { queueDepth: 0, loopLag: 0 },
      check,
      left,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function snapshot(s: Session): Promise<Snapshot> {
  const [metrics, apiserver] = await Promise.all([scrape(s.opUrls), scrapeApiserver(s.kubeconfig)]);
  observePeaks(s, metrics);
  for (const [k, v] of apiserver) metrics.set(k, v);
  return {
    at: Date.now(),
    metrics,
    queries: s.queries(),
    machine: machineCpu(),
    procs: sampleAll(s.pids),
  };
}

function observePeaks(s: Session, m: Map<string, number>): void {
  s.peaks.queueDepth = Math.max(s.peaks.queueDepth, m.get('tollgate_workqueue_depth') ?? 0);
  s.peaks.loopLag = Math.max(s.peaks.loopLag, m.get('tollgate_nodejs_eventloop_lag_p99_seconds') ?? 0);
}

type Item = { ns: string; name: string };

/** Namespaces, then a Deployment and its Canary per index, with bounded concurrency; until all are Initialized. */
async function createObjects(s: Session): Promise<{ items: Item[]; initSeconds: number }> {
  const { o, n, client } = s;
  const t0 = Date.now();
  const namespaces = Array.from({ length: Math.ceil(n / o.perNamespace) }, (_, i) => `scale-${i}`);
  for (const ns of namespaces) await retrying(`namespace ${ns}`, () => createNamespace(client, ns));
  const items = Array.from({ length: n }, (_, i) => ({
    ns: namespaces[Math.floor(i / o.perNamespace)]!,
    name: `app-${String(i).padStart(4, '0')}`,
  }));
  await pool(
    items,
    o.concurrency,
    async ({ ns, name }) => {
      await retrying(`deployment ${ns}/${name}`, () => client.create(Resources.deployments, sampleDeployment(ns, name)));
      const canary = canaryFor(
        'istio',
        ns,
        name,
        { interval: o.interval, stepWeight: o.stepWeight, maxWeight: o.maxWeight, threshold: 5 },
        { progressDeadlineSeconds: 900 },
      );
      await retrying(`canary ${ns}/${name}`, () => client.create(Resources.canaries, canary));
    },
    stopIfInterrupted,
  );
  log(`n=${n}: ${n} Deployments and Canaries created in ${((Date.now() - t0) / 1000).toFixed(0)}s; waiting for Initialized`);
  await waitUntil(
    `${n} Canaries Initialized`,
    async () => {
      const p = s.tracker.phases();
      progress(`n=${n} initializing: ${fmtPhases(p)}`);
      return (p.Initialized ?? 0) === n;
    },
    s.left(),
    s.check,
    2000,
  );
  progressDone();
  return { items, initSeconds: (Date.now() - t0) / 1000 };
}

/** Until nothing is queued and no write happened for 5 s (the controller-manager finishes the primaries' rollouts). */
async function settle(s: Session): Promise<void> {
  let quietSince = Date.now();
  let last = await scrape(s.opUrls);
  const settleDeadline = Date.now() + 90_000;
  while (Date.now() < settleDeadline && Date.now() - quietSince < 5000) {
    s.check('settling');
    await sleep(1000);
    const m = await scrape(s.opUrls);
    const writes = sumOf(new Map([...deltaBy(last, m, 'tollgate_kube_requests_total', ['verb'])].filter(([v]) => WRITE_VERBS.has(v))));
    if (writes > 0 || (m.get('tollgate_workqueue_depth') ?? 0) > 0) quietSince = Date.now();
    last = m;
  }
}

/** Every Canary Initialized and nothing changing: what the operator asks of the API server and costs. */
async function measureIdle(s: Session): Promise<{ idle: Result['idle']; end: Snapshot }> {
  log(`n=${s.n}: idle for ${s.o.idleSeconds}s`);
  const i0 = await snapshot(s);
  await sleepChecked(s.o.idleSeconds * 1000, s.check);
  const i1 = await snapshot(s);
  const seconds = (i1.at - i0.at) / 1000;
  const count = (m: Map<string, number>): number => m.get('tollgate_reconcile_duration_seconds_count') ?? 0;
  return {
    end: i1,
    idle: {
      seconds,
      byVerb: Object.fromEntries(deltaBy(i0.metrics, i1.metrics, 'tollgate_kube_requests_total', ['verb'])),
      byVerbResource: [...deltaBy(i0.metrics, i1.metrics, 'tollgate_kube_requests_total', ['verb', 'resource'])].filter(([, v]) => v > 0),
      reconciles: count(i1.metrics) - count(i0.metrics),
      operatorCpu: (ofOperators(i1.procs, 'cpuSeconds') - ofOperators(i0.procs, 'cpuSeconds')) / seconds,
      apiLatency: apiLatency(i0.metrics, i1.metrics),
    },
  };
}

interface Release {
  p0: Snapshot;
  p1: Snapshot;
  triggerSeconds: number;
  complete: boolean;
  note: string;
}

/** A new revision of every Deployment, as fast as the concurrency allows; until every Canary has finished. */
async function release(s: Session, items: Item[]): Promise<Release> {
  const { o, n } = s;
  s.tracker.reset();
  const p0 = await snapshot(s);
  const t1 = Date.now();
  await pool(
    items,
    o.concurrency,
    async ({ ns, name }) => {
      await retrying(`release ${ns}/${name}`, () =>
        s.client.patch(Resources.deployments, ns, name, {
          spec: { template: { metadata: { annotations: { 'bench.tollgate.dev/revision': '2' } } } },
        }),
      );
    },
    stopIfInterrupted,
  );
  const triggerSeconds = (Date.now() - t1) / 1000;
  log(`n=${n}: ${n} releases triggered in ${triggerSeconds.toFixed(1)}s`);
  let complete = true;
  let note = '';
  let lastScrape = Date.now();
  try {
    await waitUntil(
      `${n} releases finished`,
      async () => {
        const p = s.tracker.phases();
        progress(`n=${n} releasing: ${fmtPhases(p)}`);
        if (Date.now() - lastScrape >= o.scrapeSeconds * 1000) {
          lastScrape = Date.now();
          observePeaks(s, await scrape(s.opUrls));
        }
        return (p.Succeeded ?? 0) + (p.Failed ?? 0) === n;
      },
      s.left(),
      s.check,
      1000,
    );
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    complete = false;
    note = (err as Error).message;
  }
  progressDone();
  return { p0, p1: await snapshot(s), triggerSeconds, complete, note };
}

async function runOne(o: Options, n: number, runDir: string, deadline: number): Promise<Result> {
  const loadBefore = loadAvg();
  const s = await openSession(o, n, path.join(runDir, `n${n}`), deadline);
  try {
    const setupSeconds = (Date.now() - s.started) / 1000;
    const { items, initSeconds } = await createObjects(s);
    await settle(s);
    const { idle, end: idleEnd } = await measureIdle(s);
    const r = await release(s, items);
    return { ...summarize(s, r), setupSeconds, initSeconds, idle, loadBefore, operatorRssIdleMb: ofOperators(idleEnd.procs, 'rssMb') };
  } finally {
    await s.close();
  }
}

type Measured = Omit<Result, 'setupSeconds' | 'initSeconds' | 'idle' | 'loadBefore' | 'operatorRssIdleMb'>;

/** The release window's figures: ticks, lag, requests, writes, CPU and memory. */
function summarize(s: Session, r: Release): Measured {
  const { p0, p1 } = r;
  const delta = (name: string, by: string[]): Map<string, number> => deltaBy(p0.metrics, p1.metrics, name, by);
  const diff = (name: string): number => (p1.metrics.get(name) ?? 0) - (p0.metrics.get(name) ?? 0);
  const window = (p1.at - p0.at) / 1000;
  const outcome = s.tracker.phases();
  const ticks = diff('tollgate_analysis_tick_lag_seconds_count');
  const byVerb = delta('tollgate_kube_requests_total', ['verb']);
  const writes = sumOf(new Map([...byVerb].filter(([v]) => WRITE_VERBS.has(v))));
  const reconciles = diff('tollgate_reconcile_duration_seconds_count');
  const cpu = cpuCores(p0.procs, p1.procs, window);
  const releases = (outcome.Succeeded ?? 0) + (outcome.Failed ?? 0) || s.n;
  const hist = 'tollgate_analysis_tick_lag_seconds';
  const quantileOf = (name: string, q: number): HistogramQuantile | undefined => histogramQuantile(p0.metrics, p1.metrics, name, q);
  return {
    n: s.n,
    complete: r.complete,
    note: r.note,
    triggerSeconds: r.triggerSeconds,
    releaseSeconds: window,
    outcome,
    ticks,
    tickLagHist: {
      p50: quantileOf(hist, 0.5),
      p99: quantileOf(hist, 0.99),
      buckets: [...delta(`${hist}_bucket`, ['le'])].sort(
        (x, y) => (x[0] === '+Inf' ? Infinity : Number(x[0])) - (y[0] === '+Inf' ? Infinity : Number(y[0])),
      ),
    },
    tickLagWatch: watchLags(s.tracker),
    perTickByVerb: Object.fromEntries([...byVerb].map(([v, c]) => [v, ticks ? c / ticks : NaN])),
    perReleaseByResource: [...delta('tollgate_kube_requests_total', ['verb', 'resource'])]
      .filter(([, c]) => c > 0)
      .map(([k, c]) => [k, c / releases] as [string, number])
      .sort((a, b) => b[1] - a[1]),
    weightSteps: s.tracker.weightSteps,
    statusWrites: { ...s.tracker.statusWrites },
    writesPerStep: s.tracker.weightSteps ? writes / s.tracker.weightSteps : NaN,
    reconcilesPerTick: ticks ? reconciles / ticks : NaN,
    watchEventsPerTick: [...delta('tollgate_watch_events_total', ['origin', 'resource'])]
      .filter(([, c]) => c > 0)
      .map(([k, c]) => [k, ticks ? c / ticks : NaN] as [string, number])
      .sort((a, b) => b[1] - a[1]),
    queriesPerTick: ticks ? (p1.queries - p0.queries) / ticks : NaN,
    cpu,
    machineBusyCores: (p1.machine.busy - p0.machine.busy) / window,
    operatorRssEndMb: ofOperators(p1.procs, 'rssMb'),
    operatorRssPeakMb: ofOperators(p1.procs, 'hwmMb'),
    apiserverRssPeakMb: p1.procs.apiserver?.hwmMb ?? NaN,
    maxQueueDepth: s.peaks.queueDepth,
    maxEventLoopLagP99: s.peaks.loopLag,
    loadAfter: loadAvg(),
    ...apiErrors(delta),
    reconcile: {
      meanMs: (diff('tollgate_reconcile_duration_seconds_sum') / reconciles) * 1000,
      p50: quantileOf('tollgate_reconcile_duration_seconds', 0.5),
      p99: quantileOf('tollgate_reconcile_duration_seconds', 0.99),
    },
    operatorRssReadyMb: s.operatorRssReadyMb,
    apiLatency: apiLatency(p0.metrics, p1.metrics),
    sentPerSecond: sumOf(byVerb) / window,
    writesPerSecond: writes / window,
    heapUsedMb: (p1.metrics.get('tollgate_nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
  };
}

function watchLags(tracker: CanaryTracker): Result['tickLagWatch'] {
  const all = [...tracker.lags.first, ...tracker.lags.later];
  return {
    count: all.length,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    max: quantile(all, 1),
    laterCount: tracker.lags.later.length,
    laterP50: quantile(tracker.lags.later, 0.5),
    laterP99: quantile(tracker.lags.later, 0.99),
    firstP50: quantile(tracker.lags.first, 0.5),
    firstP99: quantile(tracker.lags.first, 0.99),
  };
}

/** API answers other than 2xx over the window, in all and by code/verb/resource. */
function apiErrors(delta: (name: string, by: string[]) => Map<string, number>): { errors: number; errorsByKind: [string, number][] } {
  const errors = sumOf(new Map([...delta('tollgate_kube_requests_total', ['code'])].filter(([c]) => !/^2/.test(c))));
  const errorsByKind = [...delta('tollgate_kube_requests_total', ['code', 'verb', 'resource'])]
    .filter(([k, c]) => c > 0 && !/^2/.test(k))
    .sort((a, b) => b[1] - a[1]);
  return { errors, errorsByKind };
}

async function waitUntil(
  what: string,
  ok: () => Promise<boolean>,
  timeoutMs: number,
  check: (what: string) => void,
  everyMs = 500,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < end) {
    check(what);
    try {
      if (await ok()) return;
    } catch (err) {
      lastErr = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}

async function sleepChecked(ms: number, check: (what: string) => void): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    check('waiting');
    await sleep(Math.min(500, end - Date.now()));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Output

const log = (s: string): void => {
  progressDone();
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
};
let progressShown = false;
function progress(s: string): void {
  if (!process.stdout.isTTY) return;
  process.stdout.write(`\r\x1b[K${s}`);
  progressShown = true;
}
function progressDone(): void {
  if (progressShown) process.stdout.write('\r\x1b[K');
  progressShown = false;
}
const fmtPhases = (p: Record<string, number>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const f = (v: number | undefined, digits = 2): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const ms = (v: number | undefined): string => (v === undefined ? '-' : `${(v / 1000).toFixed(3)}`);
const hq = (h: HistogramQuantile | undefined): string =>
  !h ? '-' : h.upper === Infinity ? `> ${h.lower}` : `${h.value.toFixed(3)} (${h.lower}–${h.upper}]`;

const SUMMARY_HEADER = [
  'N',
  'done',
  'init s',
  'release s',
  'ticks',
  'lag p50 s (hist)',
  'lag p99 s (hist)',
  'lag p50 / p99 s, all ticks (watch)',
  'lag p50 / p99 s, ticks after the first (watch)',
  'get/tick',
  'list/tick',
  'watch/tick',
  'update/tick',
  'patch/tick',
  'create/tick',
  'writes/step',
  'idle GETs',
  'op RSS peak MB',
  'op CPU %',
  'apiserver CPU %',
  'API write p99 s, idle / release',
  'etcd CPU %',
  'machine busy %',
];

function summaryRow(r: Result): string[] {
  const v = (verb: string): string => f(r.perTickByVerb[verb] ?? 0);
  return [
    String(r.n),
    r.complete ? `${r.outcome.Succeeded ?? 0}/${r.n}` : `partial (${r.outcome.Succeeded ?? 0}/${r.n})`,
    f(r.initSeconds, 0),
    f(r.releaseSeconds, 0),
    String(r.ticks),
    hq(r.tickLagHist.p50),
    hq(r.tickLagHist.p99),
    `${ms(r.tickLagWatch.p50)} / ${ms(r.tickLagWatch.p99)}`,
    `${ms(r.tickLagWatch.laterP50)} / ${ms(r.tickLagWatch.laterP99)}`,
    v('get'),
    v('list'),
    v('watch'),
    v('update'),
    v('patch'),
    v('create'),
    f(r.writesPerStep),
    String(r.idle.byVerb.get ?? 0),
    f(r.operatorRssPeakMb, 0),
    f(operatorKeys(r.cpu).reduce((a, k) => a + r.cpu[k]!, 0) * 100, 0),
    f(r.cpu.apiserver! * 100, 0),
    `${f(r.idle.apiLatency.write.p99?.value, 3)} / ${f(r.apiLatency.write.p99?.value, 3)}`,
    f(r.cpu.etcd! * 100, 0),
    f(r.machineBusyCores * 100, 0),
  ];
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function detail(r: Result, o: Options): string {
  const lines: string[] = [];
  lines.push(`### N = ${r.n}${r.complete ? '' : ` (incomplete: ${r.note})`}`, '');
  lines.push(
    `- environment up ${f(r.setupSeconds, 0)} s; objects created and all Canaries Initialized in ${f(r.initSeconds, 0)} s; ${r.n} new revisions written in ${f(r.triggerSeconds, 1)} s; release window (first revision written to every Canary Succeeded or Failed) ${f(r.releaseSeconds, 0)} s (the analysis alone takes ${((o.maxWeight / o.stepWeight + 1) * o.intervalMs) / 1000} s); phases at the end: ${fmtPhases(r.outcome)}`,
  );
  lines.push(
    `- load average before / after: ${r.loadBefore} / ${r.loadAfter}; machine busy ${f(r.machineBusyCores, 2)} cores of ${os.cpus().length} over the window`,
  );
  lines.push(
    `- analysis ticks (histogram count): ${r.ticks} (${f(r.ticks / r.n, 1)} per Canary); reconciles per tick ${f(r.reconcilesPerTick, 2)} (duration mean ${f(r.reconcile?.meanMs, 0)} ms, p50 ${hq(r.reconcile?.p50)} s, p99 ${hq(r.reconcile?.p99)} s); watch events per tick by origin/resource ${r.watchEventsPerTick?.map(([k, v]) => `${k} ${f(v, 2)}`).join(', ') || 'none'}; Prometheus stand-in queries per tick ${f(r.queriesPerTick, 2)}; API answers other than 2xx: ${r.errors}${r.errorsByKind.length ? ` (code/verb/resource: ${r.errorsByKind.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
  );
  lines.push(
    `- tick lag from the histogram: p50 ${hq(r.tickLagHist.p50)}, p99 ${hq(r.tickLagHist.p99)}; bucket deltas (le: cumulative count) ${r.tickLagHist.buckets.map(([le, c]) => `${le}: ${c}`).join(', ')}`,
  );
  const w = r.tickLagWatch;
  lines.push(
    `- tick lag from status.lastAnalysisTime (watch, ms precision, ${w.count} ticks): p50 ${ms(w.p50)} s, p99 ${ms(w.p99)} s, max ${ms(w.max)} s; first tick of a run (includes waiting for the canary Deployment) p50 ${ms(w.firstP50)} / p99 ${ms(w.firstP99)} s; later ticks (${w.laterCount}) p50 ${ms(w.laterP50)} / p99 ${ms(w.laterP99)} s`,
  );
  lines.push(`- weight steps seen: ${r.weightSteps}; writes (create+update+patch+delete) per weight step: ${f(r.writesPerStep)}`);
  const sw = r.statusWrites;
  const perRelease = (v: number): string => f(v / ((r.outcome.Succeeded ?? 0) + (r.outcome.Failed ?? 0) || r.n), 2);
  lines.push(
    `- Canary status writes seen by the watch, per release: ${perRelease(sw.step + sw.phase + sw.other)}, of which the canary weight rose ${perRelease(sw.step)}, else the phase ${perRelease(sw.phase)}, else only the message or another field ${perRelease(sw.other)} (a wait's progress, a hold)`,
  );
  lines.push(
    `- requests the operator sent over the release window: ${f(r.sentPerSecond, 0)}/s, of them writes ${f(r.writesPerSecond, 0)}/s`,
  );
  const lat = (l: ApiLatency): string =>
    (['read', 'write'] as const).map((c) => `${c}s (${l[c].count}) p50 ${hq(l[c].p50)} / p99 ${hq(l[c].p99)}`).join(', ');
  lines.push(
    `- the API server's own latency (apiserver_request_duration_seconds, every client; watches left out), s: idle ${lat(r.idle.apiLatency)}; release window ${lat(r.apiLatency)}`,
  );
  lines.push(
    `- requests per tick by verb: ${Object.entries(r.perTickByVerb)
      .sort()
      .map(([k, v]) => `${k} ${f(v, 3)}`)
      .join(', ')}`,
  );
  lines.push(
    `- requests per release (per Canary run) by verb/resource: ${r.perReleaseByResource.map(([k, v]) => `${k} ${f(v, 2)}`).join(', ')}`,
  );
  lines.push(
    `- idle (${f(r.idle.seconds, 0)} s, every Canary Initialized): ${r.idle.byVerbResource.length ? r.idle.byVerbResource.map(([k, v]) => `${k} ${v}`).join(', ') : 'no requests'}; reconciles ${r.idle.reconciles}; operator CPU ${f(r.idle.operatorCpu * 100, 1)}%`,
  );
  lines.push(
    `- CPU over the release window (% of one core): ${Object.entries(r.cpu)
      .map(([k, v]) => `${k} ${f(v * 100, 0)}`)
      .join(', ')}; others on the machine ${f((r.machineBusyCores - Object.values(r.cpu).reduce((a, b) => a + b, 0)) * 100, 0)}`,
  );
  lines.push(
    `- operator RSS with no Canary (at /readyz) ${f(r.operatorRssReadyMb, 0)} MB, idle with every Canary Initialized ${f(r.operatorRssIdleMb, 0)} MB, at the end ${f(r.operatorRssEndMb, 0)} MB, peak (VmHWM) ${f(r.operatorRssPeakMb, 0)} MB, JS heap used at the end ${f(r.heapUsedMb, 0)} MB; API server peak RSS ${f(r.apiserverRssPeakMb, 0)} MB; max work-queue depth seen ${r.maxQueueDepth}; max event-loop lag p99 ${f(r.maxEventLoopLagP99, 3)} s (sampled every ${o.scrapeSeconds} s)`,
  );
  return lines.join('\n');
}

function gitState(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'operator/src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return `${commit}${dirty ? ' (operator/src has uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

function writeReport(
  o: Options,
  results: Result[],
  skipped: string[],
  header: { started: Date; git: string; loadAtStart: string; operatorBuilt: string },
): void {
  const md = [
    '# Scale benchmark: latest results',
    '',
    `Written by \`node e2e/dist/bench/scale.js\` (see [../README.md](../README.md#scale)). Started ${header.started.toISOString()}; ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; load average at start ${header.loadAtStart}; ` +
      `Node ${process.version}; commit ${header.git}; operator build ${header.operatorBuilt}.`,
    '',
    `Settings: \`--n ${o.ns.join(',')} --interval ${o.interval} --step-weight ${o.stepWeight} --max-weight ${o.maxWeight} --concurrency ${o.concurrency} ` +
      `--per-namespace ${o.perNamespace} --idle-seconds ${o.idleSeconds} --max-minutes ${o.maxMinutes}${o.replicas > 1 ? ` --replicas ${o.replicas}` : ''}\`; operator WORKERS ${o.workers ?? 'default (16)'}, LOG_LEVEL ${o.logLevel}` +
      `${
        Object.keys(o.operatorEnv).length
          ? `, env ${Object.entries(o.operatorEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }, ` +
      `${o.replicas > 1 ? `${o.replicas} replicas sharding the Canaries (LEADER_ELECT=true, SHARDS=${o.replicas}; requests, CPU and queue depths summed over them, memory the largest replica's), each` : 'one replica'} ` +
      'started as `npm start` does (operator/bin/tollgate-operator: 2 MB semi-space, MALLOC_ARENA_MAX=2, JS heap at most half the memory the process may use), watching all namespaces; Istio provider with the built-in metrics answered by the stand-in.',
    '',
    table(SUMMARY_HEADER, results.map(summaryRow)),
    '',
    ...(skipped.length ? [`Not run: ${skipped.join('; ')}.`, ''] : []),
    'Columns: *init s* creating the objects until every Canary is Initialized; *release s* from the first new revision to every Canary ' +
      'Succeeded; *lag (hist)* quantiles of `tollgate_analysis_tick_lag_seconds` bucket deltas, interpolated as `histogram_quantile` does, ' +
      'with the bucket they fall in; *lag (watch)* exact quantiles from `status.lastAnalysisTime` of every tick seen by a watch; ' +
      '*verb/tick* `tollgate_kube_requests_total` deltas over the release window divided by the analysis ticks (histogram count); ' +
      '*writes/step* create+update+patch+delete over the window divided by the weight increases seen; *idle GETs* single-object GETs in the idle window; ' +
      '*CPU %* of one core over the release window (200% is the whole machine).',
    '',
    '## Details',
    '',
    ...results.map((r) => `${detail(r, o)}\n`),
  ].join('\n');
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, md);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = options();
  const startedAt = new Date();
  const deadline = startedAt.getTime() + o.maxMinutes * 60_000;
  const runDir = path.join(ROOT, 'e2e', '.run', `bench-scale-${startedAt.toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  fs.mkdirSync(runDir, { recursive: true });
  const header = {
    started: startedAt,
    git: gitState(),
    loadAtStart: loadAvg(),
    operatorBuilt: fs.existsSync(OPERATOR_MAIN) ? fs.statSync(OPERATOR_MAIN).mtime.toISOString() : 'missing (run npx tsc -b)',
  };
  if (!fs.existsSync(OPERATOR_MAIN)) throw new Error(`${OPERATOR_MAIN} is missing: run npx tsc -b first`);
  log(
    `scale benchmark: N = ${o.ns.join(', ')}; budget ${o.maxMinutes} min; logs in ${path.relative(ROOT, runDir)}; load average ${header.loadAtStart}`,
  );
  const results: Result[] = [];
  const skipped: string[] = [];
  let perCanarySeconds: number | undefined;
  let overhead: number | undefined;
  for (const n of o.ns) {
    if (interrupted) break;
    const remaining = (deadline - Date.now()) / 1000;
    const estimate = perCanarySeconds !== undefined ? overhead! + perCanarySeconds * n : 0;
    if (remaining <= 0 || estimate > remaining) {
      skipped.push(`N = ${n} (estimated ${Math.round(estimate / 60)} min, ${Math.max(0, Math.round(remaining / 60))} min left)`);
      log(`n=${n}: skipped, estimated ${Math.round(estimate)} s but ${Math.round(remaining)} s left`);
      continue;
    }
    const t = Date.now();
    log(`n=${n}: starting a fresh environment`);
    let r: Result;
    try {
      r = await runOne(o, n, runDir, deadline);
    } catch (err) {
      if (err instanceof Interrupted) break;
      log(`n=${n}: failed: ${err instanceof Error ? err.message : String(err)}`);
      skipped.push(`N = ${n} (failed: ${err instanceof Error ? err.message : String(err)})`);
      writeReport(o, results, skipped, header);
      continue;
    }
    const took = (Date.now() - t) / 1000;
    // Fixed cost (environment, analysis duration, idle window) plus a part that grows with N.
    overhead = r.setupSeconds + o.idleSeconds + ((o.maxWeight / o.stepWeight + 1) * o.intervalMs) / 1000 + 20;
    perCanarySeconds = Math.max(0, took - overhead) / n;
    results.push(r);
    writeReport(o, results, skipped, header);
    log(`n=${n}: done in ${took.toFixed(0)} s`);
    process.stdout.write(`\n${table(SUMMARY_HEADER, results.map(summaryRow))}\n\n`);
  }
  writeReport(o, results, skipped, header);
  log(`results written to ${path.relative(process.cwd(), o.out)}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping everything started\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main()
  .catch((err) => {
    process.stderr.write(`scale benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() =>
    cleanupAll().then(() => {
      if (interrupted) process.exit(130);
    }),
  );
