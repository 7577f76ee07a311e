import { primaryName } from '@tollgate/contract/metadata';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DURATION } from '../api/metric-names.js';
import type { Canary, CheckResult, Phase } from '../api/types.js';
import type { Strategy } from '../core/analysis.js';

/**
 * Flagger's metric names (fluxcd/flagger pkg/metrics/recorder.go, subsystem `flagger`), exported as well as
 * Tollgate's own when FLAGGER_COMPAT_METRICS=true, so that dashboards and alert rules written for Flagger
 * keep working. Names, types, labels and values follow Flagger's recorder: `name` is the targetRef's name
 * (not the Canary's), as Flagger labels it.
 */
export const FLAGGER_METRIC_NAMES = {
  info: 'flagger_info',
  total: 'flagger_canary_total',
  status: 'flagger_canary_status',
  weight: 'flagger_canary_weight',
  analysis: 'flagger_canary_metric_analysis',
  duration: 'flagger_canary_duration_seconds',
  successes: 'flagger_canary_successes_total',
  failures: 'flagger_canary_failures_total',
} as const;

/** Flagger's status gauge: 0 running (Progressing), 2 failed, 1 every other phase. */
export function flaggerStatus(phase: Phase | undefined): 0 | 1 | 2 {
  if (phase === 'Progressing') return 0;
  if (phase === 'Failed') return 2;
  return 1;
}

/** The value Flagger records for a check: request-duration in seconds (Tollgate measures it in ms). */
function flaggerAnalysisValue(check: CheckResult): number | undefined {
  if (check.value === undefined) return undefined;
  return check.name === DURATION ? check.value / 1000 : check.value;
}

/** How a finished run is labelled on Flagger's successes and failures counters. */
export interface RunKind {
  strategy: Strategy;
  skipped: boolean;
}

/** prometheus/client_golang's DefBuckets, which Flagger's duration histogram uses. */
const GO_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RUN_LABELS = ['name', 'namespace', 'deployment_strategy', 'analysis_status'] as const;

/** Flagger's series, registered on the operator's registry; fed by OperatorMetrics. */
export class FlaggerMetrics {
  readonly info: Gauge<'version' | 'mesh_provider'>;
  readonly total: Gauge<'namespace'>;
  private readonly status: Gauge<'name' | 'namespace'>;
  private readonly weight: Gauge<'workload' | 'namespace'>;
  private readonly analysis: Gauge<'name' | 'namespace' | 'metric'>;
  private readonly duration: Histogram<'name' | 'namespace'>;
  private readonly successes: Counter<(typeof RUN_LABELS)[number]>;
  private readonly failures: Counter<(typeof RUN_LABELS)[number]>;

  constructor(registry: Registry) {
    const registers = [registry];
    const n = FLAGGER_METRIC_NAMES;
    this.info = new Gauge({
      name: n.info,
      help: 'Flagger version and mesh provider information',
      labelNames: ['version', 'mesh_provider'],
      registers,
    });
    this.total = new Gauge({ name: n.total, help: 'Total number of canary object', labelNames: ['namespace'], registers });
    this.status = new Gauge({ name: n.status, help: 'Last canary analysis result', labelNames: ['name', 'namespace'], registers });
    this.weight = new Gauge({
      name: n.weight,
      help: 'The virtual service destination weight current value',
      labelNames: ['workload', 'namespace'],
      registers,
    });
    this.analysis = new Gauge({
      name: n.analysis,
      help: 'Last canary analysis result per metric',
      labelNames: ['name', 'namespace', 'metric'],
      registers,
    });
    this.duration = new Histogram({
      name: n.duration,
      help: 'Seconds spent performing canary analysis.',
      labelNames: ['name', 'namespace'],
      buckets: GO_DEFAULT_BUCKETS,
      registers,
    });
    this.successes = new Counter({ name: n.successes, help: 'Total number of canary successes', labelNames: RUN_LABELS, registers });
    this.failures = new Counter({ name: n.failures, help: 'Total number of canary failures', labelNames: RUN_LABELS, registers });
  }

  private static labels(c: Canary): { name: string; namespace: string } {
    return { name: c.spec.targetRef.name, namespace: c.metadata.namespace! };
  }

  observeCanary(c: Canary): void {
    const labels = FlaggerMetrics.labels(c);
    this.status.set(labels, flaggerStatus(c.status?.phase));
    const w = c.status?.canaryWeight ?? 0;
    this.weight.set({ workload: labels.name, namespace: labels.namespace }, w);
    this.weight.set({ workload: primaryName(labels.name), namespace: labels.namespace }, 100 - w);
  }

  observeCheck(c: Canary, check: CheckResult): void {
    const value = flaggerAnalysisValue(check);
    if (value !== undefined) this.analysis.set({ ...FlaggerMetrics.labels(c), metric: check.name }, value);
  }

  observeTick(c: Canary, seconds: number): void {
    this.duration.observe(FlaggerMetrics.labels(c), seconds);
  }

  observeOutcome(c: Canary, outcome: 'succeeded' | 'failed', kind: RunKind): void {
    const counter = outcome === 'succeeded' ? this.successes : this.failures;
    counter.inc({
      ...FlaggerMetrics.labels(c),
      deployment_strategy: kind.strategy,
      analysis_status: kind.skipped ? 'skipped' : 'completed',
    });
  }

  /** The Canary is gone: its series go (Flagger keeps them; Tollgate's own series go too, so these follow). */
  forget(namespace: string, target: string, metrics: Iterable<string>, runs: Iterable<string>): void {
    const labels = { name: target, namespace };
    this.status.remove(labels);
    this.duration.remove(labels);
    this.weight.remove({ workload: target, namespace });
    this.weight.remove({ workload: primaryName(target), namespace });
    for (const metric of metrics) this.analysis.remove({ ...labels, metric });
    for (const run of runs) {
      const [outcome, strategy, status] = run.split('\u0000');
      const counter = outcome === 'succeeded' ? this.successes : this.failures;
      counter.remove({ ...labels, deployment_strategy: strategy!, analysis_status: status! });
    }
  }
}

/** The key OperatorMetrics keeps for a run it counted, so that forget() can remove the counter's series. */
export const runKey = (outcome: 'succeeded' | 'failed', kind: RunKind): string =>
  [outcome, kind.strategy, kind.skipped ? 'skipped' : 'completed'].join('\u0000');
