import { DURATION, SUCCESS_RATE } from '../core/checks.js';

/** A mesh's built-in queries: success rate in percent and P99 latency in milliseconds of the canary workload. */
interface BuiltinQueries {
  [SUCCESS_RATE]: string;
  [DURATION]: string;
}

const istioSelector = 'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}"';

const ISTIO: BuiltinQueries = {
  [SUCCESS_RATE]:
    `sum(rate(istio_requests_total{${istioSelector}, response_code!~"5.*"}[{{ interval }}]))` +
    ` / sum(rate(istio_requests_total{${istioSelector}}[{{ interval }}])) * 100`,
  [DURATION]:
    `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${istioSelector}}[{{ interval }}])) by (le))`,
};

/** Without a mesh the application must export http_request_duration_seconds, labelled with namespace and pod. */
const podSelector = 'namespace="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';
const APPLICATION: BuiltinQueries = {
  [SUCCESS_RATE]:
    `sum(rate(http_request_duration_seconds_count{${podSelector}, status!~"5.*"}[{{ interval }}]))` +
    ` / sum(rate(http_request_duration_seconds_count{${podSelector}}[{{ interval }}])) * 100`,
  [DURATION]:
    `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${podSelector}}[{{ interval }}])) by (le)) * 1000`,
};

const BUILTIN: Readonly<Record<string, BuiltinQueries>> = { istio: ISTIO, kubernetes: APPLICATION };

export class NoBuiltinQueryError extends Error {
  constructor(provider: string, metric: string) {
    super(`provider ${provider} has no built-in ${metric}: use a MetricTemplate (templateRef)`);
    this.name = 'NoBuiltinQueryError';
  }
}

export const isBuiltinMetric = (name: string): name is keyof BuiltinQueries => name === SUCCESS_RATE || name === DURATION;

/** The query template of a built-in metric for a provider. */
export function builtinQuery(provider: string, metric: keyof BuiltinQueries): string {
  const q = Object.hasOwn(BUILTIN, provider) ? BUILTIN[provider] : undefined;
  if (!q) throw new NoBuiltinQueryError(provider, metric);
  return q[metric];
}
