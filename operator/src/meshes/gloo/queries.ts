import { meshQueries } from '../queries.js';

/**
 * Gloo's Envoy names the cluster of an Upstream `<upstream>_<upstream namespace>`: the canary's is the Upstream the
 * router writes, `<namespace>-<service>-canaryupstream-<port>` in the Canary's namespace. ({{ service }} names the
 * apex Service, so a Canary whose service.name differs from its target is read right too.)
 */
export const GLOO_QUERIES = meshQueries({
  counter: 'envoy_cluster_upstream_rq',
  histogram: 'envoy_cluster_upstream_rq_time_bucket',
  ok: 'envoy_response_code!~"5.*"',
  selector: 'envoy_cluster_name=~"{{ namespace }}-{{ service }}-canaryupstream-[0-9]+_{{ namespace }}"',
});
