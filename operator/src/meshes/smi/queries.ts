import { meshQueries } from '../queries.js';

/**
 * OSM's own metrics. The generic SMI versions have none: the metrics depend on the mesh behind them, so those
 * Canaries name a MetricTemplate.
 */
export const OSM_QUERIES = meshQueries({
  counter: 'osm_request_total',
  histogram: 'osm_request_duration_ms_bucket',
  ok: 'response_code!~"5.*"',
  selector: 'destination_namespace="{{ namespace }}", destination_kind="Deployment", destination_name=~"{{ target }}"',
});
