import { DURATION, SUCCESS_RATE } from '../../api/metric-names.js';
import type { BuiltinQueries } from '../queries.js';

/**
 * ingress-nginx's controller metrics of the Ingress spec.ingressRef names, as Flagger's nginx observer reads
 * them: the non-5xx share of its requests in percent, and the mean response time in milliseconds (the
 * response duration's sum over its count). ingress-nginx labels the requests it sends to the canary with the
 * same ingress, so both read the whole Ingress's traffic, primary and canary together.
 */
const selector = 'namespace="{{ namespace }}", ingress="{{ ingress }}"';
const rate = (metric: string, extra = ''): string => `sum(rate(${metric}{${selector}${extra}}[{{ interval }}]))`;

export const NGINX_QUERIES: BuiltinQueries = {
  [SUCCESS_RATE]: `${rate('nginx_ingress_controller_requests', ', status!~"5.*"')} / ${rate('nginx_ingress_controller_requests')} * 100`,
  [DURATION]: `${rate('nginx_ingress_controller_response_duration_seconds_sum')} / ${rate('nginx_ingress_controller_response_duration_seconds_count')} * 1000`,
};
