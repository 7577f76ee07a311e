import { DURATION, SUCCESS_RATE } from '../core/checks.js';

/** A mesh's built-in queries: success rate in percent and P99 latency in milliseconds of the canary workload. */
interface BuiltinQueries {
  [SUCCESS_RATE]: string;
  [DURATION]: string;
}

/** The two built-in queries of a mesh: share of non-failed requests, and P99 latency in milliseconds. */
function meshQueries(o: { counter: string; selector: string; ok: string; histogram: string; toMs?: string }): BuiltinQueries {
  const rate = (metric: string, extra = ''): string => `sum(rate(${metric}{${o.selector}${extra}}[{{ interval }}]))`;
  return {
    [SUCCESS_RATE]: `${rate(o.counter, `, ${o.ok}`)} / ${rate(o.counter)} * 100`,
    [DURATION]: `histogram_quantile(0.99, ${rate(o.histogram)} by (le))${o.toMs ?? ''}`,
  };
}

const ISTIO = meshQueries({
  counter: 'istio_requests_total',
  histogram: 'istio_request_duration_milliseconds_bucket',
  ok: 'response_code!~"5.*"',
  selector: 'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}"',
});

/** Without a mesh the application must export http_request_duration_seconds, labelled with namespace and pod. */
const APPLICATION = meshQueries({
  counter: 'http_request_duration_seconds_count',
  histogram: 'http_request_duration_seconds_bucket',
  ok: 'status!~"5.*"',
  toMs: ' * 1000',
  selector: 'namespace="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
});

const LINKERD = meshQueries({
  counter: 'response_total',
  histogram: 'response_latency_ms_bucket',
  ok: 'classification!="failure"',
  selector: 'namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"',
});

/** Envoy sidecars of App Mesh, labelled by the pod they run in. */
const ENVOY = meshQueries({
  counter: 'envoy_cluster_upstream_rq',
  histogram: 'envoy_cluster_upstream_rq_time_bucket',
  ok: 'envoy_response_code!~"5.*"',
  selector: 'kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
});

const OSM = meshQueries({
  counter: 'osm_request_total',
  histogram: 'osm_request_duration_ms_bucket',
  ok: 'response_code!~"5.*"',
  selector: 'destination_namespace="{{ namespace }}", destination_kind="Deployment", destination_name=~"{{ target }}"',
});

/**
 * Providers with built-in queries. Gateway API and the generic SMI versions have none: the metrics depend
 * on the implementation behind them, so those Canaries name a MetricTemplate.
 */
const BUILTIN: Readonly<Record<string, BuiltinQueries>> = {
  istio: ISTIO,
  kubernetes: APPLICATION,
  linkerd: LINKERD,
  appmesh: ENVOY,
  'appmesh:v1beta2': ENVOY,
  osm: OSM,
};

export const builtinMetricProviders = (): ReadonlySet<string> => new Set(Object.keys(BUILTIN));

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
