import { meshQueries } from '../queries.js';

export const ISTIO_QUERIES = meshQueries({
  counter: 'istio_requests_total',
  histogram: 'istio_request_duration_milliseconds_bucket',
  ok: 'response_code!~"5.*"',
  selector: 'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}"',
});
