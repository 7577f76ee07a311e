import { DURATION, SUCCESS_RATE } from '../../api/metric-names.js';
import type { BuiltinQueries, NamedValues } from '../queries.js';

/**
 * Skipper's route metrics of the canary's route in the clone, as Flagger's skipper observer reads them. Skipper
 * names a route kube_<namespace>__<ingress>__<host>__<path>__<backend>, every non-word character written `_`,
 * so the placeholders' values are spelled that way for these queries (encodeVars).
 */
const route = 'route=~"kube(ew)?_{{ namespace }}__{{ ingress }}_canary__.*__{{ service }}_canary(_[0-9]+)?"';
const rate = (metric: string, extra = ''): string => `sum(rate(${metric}{${route}${extra}}[{{ interval }}]))`;
const word = (s: string): string => s.replace(/\W/g, '_');

export const SKIPPER_QUERIES: BuiltinQueries = {
  [SUCCESS_RATE]: `${rate('skipper_response_duration_seconds_bucket', ', code!~"5..", le="+Inf"')} / ${rate('skipper_response_duration_seconds_bucket', ', le="+Inf"')} * 100`,
  [DURATION]: `${rate('skipper_serve_route_duration_seconds_sum')} / ${rate('skipper_serve_route_duration_seconds_count')} * 1000`,
  encodeVars: <V extends NamedValues>(v: V): V => ({
    ...v,
    name: word(v.name),
    namespace: word(v.namespace),
    target: word(v.target),
    service: word(v.service),
    ingress: word(v.ingress),
  }),
};
