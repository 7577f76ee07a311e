import type { CanaryMetric, CheckResult } from '../api/types.js';

import { SUCCESS_RATE } from '../api/metric-names.js';

/** The accepted range of a metric; the deprecated threshold is a minimum for success rate, a maximum otherwise. */
export function rangeOf(m: CanaryMetric): { min?: number; max?: number } {
  if (m.thresholdRange && (m.thresholdRange.min !== undefined || m.thresholdRange.max !== undefined)) return { ...m.thresholdRange };
  if (m.threshold === undefined) return {};
  return m.name === SUCCESS_RATE ? { min: m.threshold } : { max: m.threshold };
}

/** Judges one measured value against the metric's range. */
export function evaluateMetric(m: CanaryMetric, value: number): CheckResult {
  if (!Number.isFinite(value)) return noData(m, `${m.name}: the query returned ${value}`);
  const { min, max } = rangeOf(m);
  const base = { name: m.name, value, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  if (min !== undefined && value < min) return { ...base, ok: false, reason: 'BelowMin', message: `${m.name} ${fmt(value)} < ${fmt(min)}` };
  if (max !== undefined && value > max) return { ...base, ok: false, reason: 'AboveMax', message: `${m.name} ${fmt(value)} > ${fmt(max)}` };
  return { ...base, ok: true };
}

/** A check that could not be measured: no data, a provider error or a bad template. Never a pass. */
export function unmeasured(m: CanaryMetric, reason: string, message: string): CheckResult {
  const { min, max } = rangeOf(m);
  return { name: m.name, ok: false, reason, message, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/**
 * A query that returned nothing, judged by the metric's onNoData policy (Flagger #1353): fail (default: a
 * failed check, never a pass), halt (the step waits, nothing is counted) or ignore (the metric is skipped).
 */
export function noData(m: CanaryMetric, message: string): CheckResult {
  if (m.onNoData === 'ignore') return { name: m.name, ok: true, reason: 'NoDataIgnored', message };
  const r = unmeasured(m, 'NoData', message);
  return m.onNoData === 'halt' ? { ...r, halt: true } : r;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/\.?0+$/, ''));

/** What a check means for the step: a failure counted towards the threshold, a hold, a dry-run failure, or a pass. */
export type CheckVerdict = 'pass' | 'failed' | 'held' | 'dry-run-failed';

/** A dry-run check never fails nor holds the step (Argo Rollouts' dryRun): its failure is reported, never counted. */
export function verdictOf(c: CheckResult): CheckVerdict {
  if (c.ok) return 'pass';
  if (c.dryRun) return 'dry-run-failed';
  return c.halt ? 'held' : 'failed';
}

/** The checks of a step with the given verdict, in their order. */
export const checksWith = (checks: readonly CheckResult[], verdict: CheckVerdict): CheckResult[] =>
  checks.filter((c) => verdictOf(c) === verdict);

/** The result of a dry-run metric is marked as such (status, metrics, Events); others are left as they are. */
export const markDryRun = (m: CanaryMetric, r: CheckResult): CheckResult => (m.dryRun ? { ...r, dryRun: true } : r);
