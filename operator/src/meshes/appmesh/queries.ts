import { meshQueries } from '../queries.js';

/** Envoy sidecars of App Mesh, labelled by the pod they run in. */
export const ENVOY_QUERIES = meshQueries({
  counter: 'envoy_cluster_upstream_rq',
  histogram: 'envoy_cluster_upstream_rq_time_bucket',
  ok: 'envoy_response_code!~"5.*"',
  selector: 'kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
});
