import { primaryName } from '@tollgate/contract/metadata';
import { REPORTED_PHASES } from '@tollgate/contract/phases';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Canary, CheckResult, SloEvaluation } from '../api/types.js';
import { FlaggerMetrics, flaggerStatus, runKey, type RunKind } from './flagger-metrics.js';

/** The per-metric label values exported for one Canary, removed with it. */
interface Exported {
  metrics: Set<string>;
  results: Set<string>;
  outcomes: Set<string>;
  /** Flagger's successes/failures series (runKey), with FLAGGER_COMPAT_METRICS. */
  runs: Set<string>;
  /** The SLO definitions (status.lastSLO.source) the SLO gate's series named. */
  slos: Set<string>;
}

const SLO_WINDOWS = ['short', 'long', 'primary'] as const;

export interface OperatorMetricsOptions {
  /** Also export Flagger's metric names and labels (FLAGGER_COMPAT_METRICS). */
  flaggerCompat?: boolean;
}

/** The operator's own Prometheus metrics, served on /metrics. */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly info = new Gauge({
    name: 'tollgate_info',
    help: 'Operator version and default provider',
    labelNames: ['version', 'mesh_provider'],
    registers: [this.registry],
  });
  readonly canaries = new Gauge({
    name: 'tollgate_canary_total',
    help: 'Canaries known, by namespace',
    labelNames: ['namespace'],
    registers: [this.registry],
  });
  readonly status = new Gauge({
    name: 'tollgate_canary_status',
    help: 'Flagger-compatible status: 0 progressing, 1 idle or succeeded, 2 failed',
    labelNames: ['name', 'namespace'],
    registers: [this.registry],
  });
  readonly phase = new Gauge({
    name: 'tollgate_canary_phase',
    help: '1 for the phase each canary is in',
    labelNames: ['name', 'namespace', 'phase'],
    registers: [this.registry],
  });
  readonly weight = new Gauge({
    name: 'tollgate_canary_weight',
    help: 'Traffic weight by workload (target and -primary)',
    labelNames: ['workload', 'namespace'],
    registers: [this.registry],
  });
  readonly failedChecks = new Gauge({
    name: 'tollgate_canary_failed_checks',
    help: 'Failed checks in the current run',
    labelNames: ['name', 'namespace'],
    registers: [this.registry],
  });
  readonly analysis = new Gauge({
    name: 'tollgate_canary_metric_analysis',
    help: 'Last measured value of each analysis metric (dry_run=true: a dry-run metric, never counted)',
    labelNames: ['name', 'namespace', 'metric', 'dry_run'],
    registers: [this.registry],
  });
  readonly threshold = new Gauge({
    name: 'tollgate_canary_metric_threshold',
    help: 'Accepted bound of each analysis metric (bound=min|max)',
    labelNames: ['name', 'namespace', 'metric', 'bound'],
    registers: [this.registry],
  });
  readonly sloBurnRate = new Gauge({
    name: 'tollgate_canary_slo_burn_rate',
    help: "SLO gate: the canary's burn rate over the short window (the interval) and the long one (since it took traffic), and the primary's over the long one",
    labelNames: ['name', 'namespace', 'slo', 'window'],
    registers: [this.registry],
  });
  readonly sloPageBurnRate = new Gauge({
    name: 'tollgate_canary_slo_page_burn_rate',
    help: 'SLO gate: the page burn rate the canary is held to',
    labelNames: ['name', 'namespace', 'slo'],
    registers: [this.registry],
  });
  readonly sloBudgetConsumed = new Gauge({
    name: 'tollgate_canary_slo_budget_consumed_percent',
    help: "SLO gate: percent of the error budget left when the canary took traffic that the canary's bad events consumed",
    labelNames: ['name', 'namespace', 'slo'],
    registers: [this.registry],
  });
  readonly checkResults = new Counter({
    name: 'tollgate_canary_checks_total',
    help: 'Analysis checks by result (dry_run=true: checks of a dry-run metric, never counted as failed)',
    labelNames: ['name', 'namespace', 'metric', 'result', 'dry_run'],
    registers: [this.registry],
  });
  readonly outcomes = new Counter({
    name: 'tollgate_canary_releases_total',
    help: 'Finished runs by outcome (succeeded|failed)',
    labelNames: ['name', 'namespace', 'outcome'],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'tollgate_reconcile_duration_seconds',
    help: 'Time of one reconcile',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'tollgate_reconcile_errors_total',
    help: 'Reconciles that failed and were retried',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'tollgate_workqueue_depth', help: 'Keys waiting in the work queue', registers: [this.registry] });
  readonly releaseQueueLength = new Gauge({
    name: 'tollgate_release_queue_length',
    help: 'Releases waiting in the release queue (--max-concurrent-releases) for a slot, as this replica sees them',
    registers: [this.registry],
  });
  readonly tickLag = new Histogram({
    name: 'tollgate_analysis_tick_lag_seconds',
    help: "Delay between when an analysis step was due on its Canary's own schedule (its tick) and when it ran (the first step of a run, which waits for the canary pods, is not counted)",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly shardHeld = new Gauge({
    name: 'tollgate_shard_held',
    help: '1 for each shard (leader election lease) this replica holds',
    labelNames: ['shard'],
    registers: [this.registry],
  });
  readonly watchEvents = new Counter({
    name: 'tollgate_watch_events_total',
    help: "Watch events by resource and origin (own: the echo of this replica's own write, which starts no reconcile)",
    labelNames: ['resource', 'origin'],
    registers: [this.registry],
  });
  readonly kubeRequests = new Counter({
    name: 'tollgate_kube_requests_total',
    help: 'Kubernetes API requests',
    labelNames: ['verb', 'resource', 'code'],
    registers: [this.registry],
  });
  readonly kubeThrottled = new Counter({
    name: 'tollgate_kube_throttled_total',
    help: 'Kubernetes API answers 429 Too Many Requests (the request is sent again after its Retry-After)',
    labelNames: ['verb', 'resource'],
    registers: [this.registry],
  });
  readonly kubeRateLimitWaiting = new Gauge({
    name: 'tollgate_kube_rate_limit_waiting',
    help: "Kubernetes API requests waiting for a token of the client's rate limit (--kube-api-qps, --kube-api-burst)",
    registers: [this.registry],
  });
  readonly kubeRateLimitWait = new Histogram({
    name: 'tollgate_kube_rate_limit_wait_seconds',
    help: "Time each Kubernetes API request waited for a token of the client's rate limit, by priority (due: an analysis step or a Lease renewal that was due; event: the rest)",
    labelNames: ['priority'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Series exported per Canary (namespace/name), so that deleting the Canary removes every one of them. */
  private readonly exported = new Map<string, Exported>();
  /** Canaries known per namespace, for tollgate_canary_total. */
  private readonly known = new Map<string, Set<string>>();

  /** Flagger's series, when the operator exports them too. */
  readonly flagger: FlaggerMetrics | undefined;

  constructor(opts: OperatorMetricsOptions = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_' });
    this.flagger = opts.flaggerCompat ? new FlaggerMetrics(this.registry) : undefined;
  }

  /** The operator's version and default provider (tollgate_info, and flagger_info with the compat metrics). */
  setInfo(version: string, meshProvider: string): void {
    this.info.set({ version, mesh_provider: meshProvider }, 1);
    this.flagger?.info.set({ version, mesh_provider: meshProvider }, 1);
  }

  private exportedFor(namespace: string, name: string): Exported {
    const key = `${namespace}/${name}`;
    let e = this.exported.get(key);
    if (!e) this.exported.set(key, (e = { metrics: new Set(), results: new Set(), outcomes: new Set(), runs: new Set(), slos: new Set() }));
    return e;
  }

  private count(namespace: string, name: string, present: boolean): void {
    const names = this.known.get(namespace) ?? new Set<string>();
    if (present) names.add(name);
    else names.delete(name);
    if (names.size) {
      this.known.set(namespace, names);
      this.canaries.set({ namespace }, names.size);
      this.flagger?.total.set({ namespace }, names.size);
    } else {
      this.known.delete(namespace);
      this.canaries.remove({ namespace });
      this.flagger?.total.remove({ namespace });
    }
  }

  observeCanary(c: Canary): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    this.count(labels.namespace, labels.name, true);
    const phase = c.status?.phase ?? '';
    this.status.set(labels, flaggerStatus(c.status?.phase));
    for (const p of REPORTED_PHASES) this.phase.set({ ...labels, phase: p }, p === phase ? 1 : 0);
    const w = c.status?.canaryWeight ?? 0;
    this.weight.set({ workload: c.spec.targetRef.name, namespace: labels.namespace }, w);
    this.weight.set({ workload: primaryName(c.spec.targetRef.name), namespace: labels.namespace }, 100 - w);
    this.failedChecks.set(labels, c.status?.failedChecks ?? 0);
    this.flagger?.observeCanary(c);
  }

  observeChecks(c: Canary, checks: CheckResult[]): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    const e = this.exportedFor(labels.namespace, labels.name);
    for (const r of checks) {
      const dry = r.dryRun ? 'true' : 'false';
      const result = r.ok ? 'pass' : (r.reason ?? 'fail');
      e.metrics.add(`${r.name}\u0000${dry}`);
      e.results.add(`${r.name}\u0000${result}\u0000${dry}`);
      if (r.value !== undefined) this.analysis.set({ ...labels, metric: r.name, dry_run: dry }, r.value);
      if (r.min !== undefined) this.threshold.set({ ...labels, metric: r.name, bound: 'min' }, r.min);
      if (r.max !== undefined) this.threshold.set({ ...labels, metric: r.name, bound: 'max' }, r.max);
      this.checkResults.inc({ ...labels, metric: r.name, result, dry_run: dry });
      this.flagger?.observeCheck(c, r);
    }
  }

  /** The SLO gate's evaluation: burn rate per window, the page threshold and the budget consumed, labelled by the SLO. */
  observeSlo(c: Canary, e: SloEvaluation): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace!, slo: e.source };
    this.exportedFor(labels.namespace, labels.name).slos.add(e.source);
    const rates = { short: e.short.burnRate, long: e.long.burnRate, primary: e.primaryBurnRate };
    for (const window of SLO_WINDOWS) {
      const v = rates[window];
      if (v === undefined) this.sloBurnRate.remove({ ...labels, window });
      else this.sloBurnRate.set({ ...labels, window }, v);
    }
    this.sloPageBurnRate.set(labels, e.pageBurnRate);
    if (e.budgetConsumedPercent !== undefined) this.sloBudgetConsumed.set(labels, e.budgetConsumedPercent);
    else this.sloBudgetConsumed.remove(labels);
  }

  /** The time of one analysis step (flagger_canary_duration_seconds, with the compat metrics). */
  observeAnalysisStep(c: Canary, seconds: number): void {
    this.flagger?.observeTick(c, seconds);
  }

  /** A finished run (succeeded or failed). */
  observeOutcome(c: Canary, outcome: 'succeeded' | 'failed', kind: RunKind): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    const e = this.exportedFor(labels.namespace, labels.name);
    e.outcomes.add(outcome);
    this.outcomes.inc({ ...labels, outcome });
    if (!this.flagger) return;
    e.runs.add(runKey(outcome, kind));
    this.flagger.observeOutcome(c, outcome, kind);
  }

  /** The Canary is gone: every series it exported is removed. */
  forgetCanary(namespace: string, name: string, target: string): void {
    const labels = { name, namespace };
    this.count(namespace, name, false);
    for (const g of [this.status, this.failedChecks]) g.remove(labels);
    for (const p of REPORTED_PHASES) this.phase.remove({ ...labels, phase: p });
    this.weight.remove({ workload: target, namespace });
    this.weight.remove({ workload: primaryName(target), namespace });
    const e = this.exported.get(`${namespace}/${name}`);
    this.exported.delete(`${namespace}/${name}`);
    this.flagger?.forget(
      namespace,
      target,
      [...(e?.metrics ?? [])].map((m) => m.split('\u0000')[0]!),
      e?.runs ?? [],
    );
    if (!e) return;
    for (const m of e.metrics) {
      const [metric, dry] = m.split('\u0000') as [string, string];
      this.analysis.remove({ ...labels, metric, dry_run: dry });
      for (const bound of ['min', 'max']) this.threshold.remove({ ...labels, metric, bound });
    }
    for (const r of e.results) {
      const [metric, result, dry] = r.split('\u0000') as [string, string, string];
      this.checkResults.remove({ ...labels, metric, result, dry_run: dry });
    }
    for (const outcome of e.outcomes) this.outcomes.remove({ ...labels, outcome });
    for (const slo of e.slos) {
      for (const window of SLO_WINDOWS) this.sloBurnRate.remove({ ...labels, slo, window });
      this.sloPageBurnRate.remove({ ...labels, slo });
      this.sloBudgetConsumed.remove({ ...labels, slo });
    }
  }
}
