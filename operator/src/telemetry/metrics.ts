import { primaryName } from '@tollgate/contract/metadata';
import { REPORTED_PHASES } from '@tollgate/contract/phases';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Canary, CheckResult, Phase } from '../api/types.js';

const PHASE_VALUE: Partial<Record<Phase, number>> = { Progressing: 0, Failed: 2 };

/** The per-metric label values exported for one Canary, removed with it. */
interface Exported {
  metrics: Set<string>;
  results: Set<string>;
  outcomes: Set<string>;
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
    help: 'Last measured value of each analysis metric',
    labelNames: ['name', 'namespace', 'metric'],
    registers: [this.registry],
  });
  readonly threshold = new Gauge({
    name: 'tollgate_canary_metric_threshold',
    help: 'Accepted bound of each analysis metric (bound=min|max)',
    labelNames: ['name', 'namespace', 'metric', 'bound'],
    registers: [this.registry],
  });
  readonly checkResults = new Counter({
    name: 'tollgate_canary_checks_total',
    help: 'Analysis checks by result',
    labelNames: ['name', 'namespace', 'metric', 'result'],
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
    help: "Time each Kubernetes API request waited for a token of the client's rate limit",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Series exported per Canary (namespace/name), so that deleting the Canary removes every one of them. */
  private readonly exported = new Map<string, Exported>();
  /** Canaries known per namespace, for tollgate_canary_total. */
  private readonly known = new Map<string, Set<string>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_' });
  }

  private exportedFor(namespace: string, name: string): Exported {
    const key = `${namespace}/${name}`;
    let e = this.exported.get(key);
    if (!e) this.exported.set(key, (e = { metrics: new Set(), results: new Set(), outcomes: new Set() }));
    return e;
  }

  private count(namespace: string, name: string, present: boolean): void {
    const names = this.known.get(namespace) ?? new Set<string>();
    if (present) names.add(name);
    else names.delete(name);
    if (names.size) {
      this.known.set(namespace, names);
      this.canaries.set({ namespace }, names.size);
    } else {
      this.known.delete(namespace);
      this.canaries.remove({ namespace });
    }
  }

  observeCanary(c: Canary): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    this.count(labels.namespace, labels.name, true);
    const phase = c.status?.phase ?? '';
    this.status.set(labels, PHASE_VALUE[phase] ?? 1);
    for (const p of REPORTED_PHASES) this.phase.set({ ...labels, phase: p }, p === phase ? 1 : 0);
    const w = c.status?.canaryWeight ?? 0;
    this.weight.set({ workload: c.spec.targetRef.name, namespace: labels.namespace }, w);
    this.weight.set({ workload: primaryName(c.spec.targetRef.name), namespace: labels.namespace }, 100 - w);
    this.failedChecks.set(labels, c.status?.failedChecks ?? 0);
  }

  observeChecks(c: Canary, checks: CheckResult[]): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    const e = this.exportedFor(labels.namespace, labels.name);
    for (const r of checks) {
      e.metrics.add(r.name);
      e.results.add(`${r.name}\u0000${r.ok ? 'pass' : (r.reason ?? 'fail')}`);
      if (r.value !== undefined) this.analysis.set({ ...labels, metric: r.name }, r.value);
      if (r.min !== undefined) this.threshold.set({ ...labels, metric: r.name, bound: 'min' }, r.min);
      if (r.max !== undefined) this.threshold.set({ ...labels, metric: r.name, bound: 'max' }, r.max);
      this.checkResults.inc({ ...labels, metric: r.name, result: r.ok ? 'pass' : (r.reason ?? 'fail') });
    }
  }

  /** A finished run (succeeded or failed). */
  observeOutcome(c: Canary, outcome: 'succeeded' | 'failed'): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    this.exportedFor(labels.namespace, labels.name).outcomes.add(outcome);
    this.outcomes.inc({ ...labels, outcome });
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
    if (!e) return;
    for (const metric of e.metrics) {
      this.analysis.remove({ ...labels, metric });
      for (const bound of ['min', 'max']) this.threshold.remove({ ...labels, metric, bound });
    }
    for (const r of e.results) {
      const [metric, result] = r.split('\u0000');
      this.checkResults.remove({ ...labels, metric: metric!, result: result! });
    }
    for (const outcome of e.outcomes) this.outcomes.remove({ ...labels, outcome });
  }
}
