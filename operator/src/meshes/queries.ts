import { DURATION, SUCCESS_RATE } from '../api/metric-names.js';

/** A mesh's built-in queries: success rate in percent and P99 latency in milliseconds of the canary workload. */
export interface BuiltinQueries {
  [SUCCESS_RATE]: string;
  [DURATION]: string;
  /** The placeholders' values as this mesh's metrics spell them (Skipper's route names), for these queries only. */
  encodeVars?: <V extends NamedValues>(vars: V) => V;
}

/** The placeholder values naming objects (metrics/render.ts QueryVars has them; meshes/ does not import metrics/). */
export interface NamedValues {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
}

/** The two built-in queries of a mesh: share of non-failed requests, and P99 latency in milliseconds. */
export function meshQueries(o: {
  counter: string;
  selector: string;
  ok: string;
  histogram: string;
  /** More label matchers of the histogram only (APISIX: its type="request" series). */
  histogramExtra?: string;
  toMs?: string;
}): BuiltinQueries {
  const rate = (metric: string, extra = ''): string => `sum(rate(${metric}{${o.selector}${extra}}[{{ interval }}]))`;
  return {
    [SUCCESS_RATE]: `${rate(o.counter, `, ${o.ok}`)} / ${rate(o.counter)} * 100`,
    [DURATION]: `histogram_quantile(0.99, ${rate(o.histogram, o.histogramExtra)} by (le))${o.toMs ?? ''}`,
  };
}

export const isBuiltinMetric = (name: string): name is typeof SUCCESS_RATE | typeof DURATION => name === SUCCESS_RATE || name === DURATION;
