import { meshQueries } from '../queries.js';

/**
 * Contour's Envoy (the edge proxy, not a sidecar) labels its upstream metrics by cluster, `<namespace>_<service>_<port>`:
 * Flagger's contour observer reads the `-canary` Service's cluster. {{ service }} (service.name, or the target's
 * name) names the apex Service, so a Canary whose service.name differs from its target is read right too.
 */
export const CONTOUR_QUERIES = meshQueries({
  counter: 'envoy_cluster_upstream_rq',
  histogram: 'envoy_cluster_upstream_rq_time_bucket',
  ok: 'envoy_response_code!~"5.*"',
  selector: 'envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+"',
});
