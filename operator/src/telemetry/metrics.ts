import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Canary, CheckResult, Phase } from '../api/types.js';

const PHASE_VALUE: Partial<Record<Phase, number>> = { Progressing: 0, Failed: 2 };

/** The operator's own Prometheus metrics, served on /metrics. */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly info = new Gauge({ name: 'tollgate_info', help: 'Operator version and default provider', labelNames: ['version', 'mesh_provider'], registers: [this.registry] });
  readonly canaries = new Gauge({ name: 'tollgate_canary_total', help: 'Canaries known, by namespace', labelNames: ['namespace'], registers: [this.registry] });
  readonly status = new Gauge({ name: 'tollgate_canary_status', help: 'Flagger-compatible status: 0 progressing, 1 idle or succeeded, 2 failed', labelNames: ['name', 'namespace'], registers: [this.registry] });
  readonly phase = new Gauge({ name: 'tollgate_canary_phase', help: '1 for the phase each canary is in', labelNames: ['name', 'namespace', 'phase'], registers: [this.registry] });
  readonly weight = new Gauge({ name: 'tollgate_canary_weight', help: 'Traffic weight by workload (target and -primary)', labelNames: ['workload', 'namespace'], registers: [this.registry] });
  readonly failedChecks = new Gauge({ name: 'tollgate_canary_failed_checks', help: 'Failed checks in the current run', labelNames: ['name', 'namespace'], registers: [this.registry] });
  readonly analysis = new Gauge({ name: 'tollgate_canary_metric_analysis', help: 'Last measured value of each analysis metric', labelNames: ['name', 'namespace', 'metric'], registers: [this.registry] });
  readonly threshold = new Gauge({ name: 'tollgate_canary_metric_threshold', help: 'Accepted bound of each analysis metric (bound=min|max)', labelNames: ['name', 'namespace', 'metric', 'bound'], registers: [this.registry] });
  readonly checkResults = new Counter({ name: 'tollgate_canary_checks_total', help: 'Analysis checks by result', labelNames: ['name', 'namespace', 'metric', 'result'], registers: [this.registry] });
  readonly outcomes = new Counter({ name: 'tollgate_canary_releases_total', help: 'Finished runs by outcome (succeeded|failed)', labelNames: ['name', 'namespace', 'outcome'], registers: [this.registry] });
  readonly reconcileDuration = new Histogram({ name: 'tollgate_reconcile_duration_seconds', help: 'Time of one reconcile', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly reconcileErrors = new Counter({ name: 'tollgate_reconcile_errors_total', help: 'Reconciles that failed and were retried', labelNames: ['reason'], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'tollgate_workqueue_depth', help: 'Keys waiting in the work queue', registers: [this.registry] });
  readonly tickLag = new Histogram({ name: 'tollgate_analysis_tick_lag_seconds', help: 'Delay between when an analysis step was due and when it ran', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [this.registry] });
  readonly shardHeld = new Gauge({ name: 'tollgate_shard_held', help: '1 for each shard (leader election lease) this replica holds', labelNames: ['shard'], registers: [this.registry] });
  readonly kubeRequests = new Counter({ name: 'tollgate_kube_requests_total', help: 'Kubernetes API requests', labelNames: ['verb', 'resource', 'code'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_' });
  }

  observeCanary(c: Canary): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    const phase = c.status?.phase ?? '';
    this.status.set(labels, PHASE_VALUE[phase] ?? 1);
    this.phase.remove({ ...labels, phase: '' });
    for (const p of ['Initializing', 'Initialized', 'Waiting', 'Progressing', 'WaitingPromotion', 'Promoting', 'Finalising', 'Succeeded', 'Failed', 'Terminating']) {
      this.phase.set({ ...labels, phase: p }, p === phase ? 1 : 0);
    }
    const w = c.status?.canaryWeight ?? 0;
    this.weight.set({ workload: c.spec.targetRef.name, namespace: labels.namespace }, w);
    this.weight.set({ workload: `${c.spec.targetRef.name}-primary`, namespace: labels.namespace }, 100 - w);
    this.failedChecks.set(labels, c.status?.failedChecks ?? 0);
  }

  observeChecks(c: Canary, checks: CheckResult[]): void {
    const labels = { name: c.metadata.name!, namespace: c.metadata.namespace! };
    for (const r of checks) {
      if (r.value !== undefined) this.analysis.set({ ...labels, metric: r.name }, r.value);
      if (r.min !== undefined) this.threshold.set({ ...labels, metric: r.name, bound: 'min' }, r.min);
      if (r.max !== undefined) this.threshold.set({ ...labels, metric: r.name, bound: 'max' }, r.max);
      this.checkResults.inc({ ...labels, metric: r.name, result: r.ok ? 'pass' : (r.reason ?? 'fail') });
    }
  }

  forgetCanary(namespace: string, name: string, target: string): void {
    for (const g of [this.status, this.failedChecks]) g.remove({ name, namespace });
    this.weight.remove({ workload: target, namespace });
    this.weight.remove({ workload: `${target}-primary`, namespace });
  }
}
