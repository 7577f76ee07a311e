import { DURATION, SUCCESS_RATE } from '../api/metric-names.js';

/** A mesh's built-in queries: success rate in percent and P99 latency in milliseconds of the canary workload. */
export interface BuiltinQueries {
  [SUCCESS_RATE]: string;
  [DURATION]: string;
}

/** The two built-in queries of a mesh: share of non-failed requests, and P99 latency in milliseconds. */
export function meshQueries(o: { counter: string; selector: string; ok: string; histogram: string; toMs?: string }): BuiltinQueries {
  const rate = (metric: string, extra = ''): string => `sum(rate(${metric}{${o.selector}${extra}}[{{ interval }}]))`;
  return {
    [SUCCESS_RATE]: `${rate(o.counter, `, ${o.ok}`)} / ${rate(o.counter)} * 100`,
    [DURATION]: `histogram_quantile(0.99, ${rate(o.histogram)} by (le))${o.toMs ?? ''}`,
  };
}

export const isBuiltinMetric = (name: string): name is keyof BuiltinQueries => name === SUCCESS_RATE || name === DURATION;
