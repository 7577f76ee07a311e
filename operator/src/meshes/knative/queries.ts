import { meshQueries } from '../queries.js';

/**
 * Flagger's knative observer (pkg/metrics/observers/knative.go): the Envoy metrics of the Knative ingress (Kourier),
 * by cluster name `<namespace>/<route>` ({{ route }} is routeRef's name, else the target's: the Knative Service).
 */
export const KNATIVE_QUERIES = meshQueries({
  counter: 'envoy_cluster_upstream_rq',
  histogram: 'envoy_cluster_upstream_rq_time_bucket',
  ok: 'envoy_response_code!~"5.*"',
  selector: 'envoy_cluster_name=~"{{ namespace }}/{{ route }}"',
});
