import { meshQueries } from '../queries.js';

/**
 * Traefik's service metrics, labelled by its name for a Kubernetes Service behind a TraefikService,
 * `<namespace>-<service>-<port>@kubernetescrd`: the `-canary` Service's. Flagger's traefik observer reads the same
 * series (success rate from the histogram's +Inf bucket, the same count as traefik_service_requests_total); its
 * P99 stays in seconds there and is read as milliseconds, here it is converted.
 */
export const TRAEFIK_QUERIES = meshQueries({
  counter: 'traefik_service_requests_total',
  histogram: 'traefik_service_request_duration_seconds_bucket',
  ok: 'code!~"5.."',
  selector: 'service=~"{{ namespace }}-{{ service }}-canary-[0-9a-zA-Z-]+@kubernetescrd"',
  toMs: ' * 1000',
});
