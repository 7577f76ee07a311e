import { meshQueries } from '../queries.js';

/**
 * Kuma's Envoy metrics, labelled by the Kuma service tag of the canary, `<service>-canary_<namespace>_svc_<port>`, as
 * Flagger's kuma observer reads them ({{ service }} is the apex Service: a Canary whose service.name differs from its
 * target is read right too).
 */
export const KUMA_QUERIES = meshQueries({
  counter: 'envoy_cluster_upstream_rq',
  histogram: 'envoy_cluster_upstream_rq_time_bucket',
  ok: 'envoy_response_code!~"5.*"',
  selector: 'service=~"{{ service }}-canary_{{ namespace }}_svc_[0-9]+"',
});
