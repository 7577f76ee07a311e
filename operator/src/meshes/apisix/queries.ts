import { meshQueries } from '../queries.js';

/**
 * APISIX's Prometheus plugin labels requests by route, `<namespace>_<ApisixRoute>_<rule>`: the canary clone's,
 * `<route>-<service>-canary` ({{ route }} is spec.routeRef's name, {{ service }} the apex Service), as Flagger's apisix
 * observer reads them. apisix_http_latency is in milliseconds; its `type="request"` series is the whole request.
 */
export const APISIX_QUERIES = meshQueries({
  counter: 'apisix_http_status',
  histogram: 'apisix_http_latency_bucket',
  ok: 'code!~"5.."',
  selector: 'route=~"{{ namespace }}_{{ route }}-{{ service }}-canary_.+"',
  histogramExtra: ', type="request"',
});
