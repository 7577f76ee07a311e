import { meshQueries } from '../queries.js';

export const ISTIO_QUERIES = meshQueries({
  counter: 'istio_requests_total',
  histogram: 'istio_request_duration_milliseconds_bucket',
  ok: 'response_code!~"5.*"',
  selector: 'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}"',
});

/**
 * A StatefulSet released in place and routed by Istio: both revisions' pods are one workload (destination_workload
 * is the StatefulSet's name), but the canary's share reaches them through the `-canary` Service, which Istio reports
 * as destination_service_name. So the canary side is what the mesh sent to `<service>-canary`.
 */
export const IN_PLACE_ISTIO_QUERIES = meshQueries({
  counter: 'istio_requests_total',
  histogram: 'istio_request_duration_milliseconds_bucket',
  ok: 'response_code!~"5.*"',
  selector:
    'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}", destination_service_name="{{ service }}-canary"',
});
