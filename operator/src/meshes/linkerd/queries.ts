import { meshQueries } from '../queries.js';

export const LINKERD_QUERIES = meshQueries({
  counter: 'response_total',
  histogram: 'response_latency_ms_bucket',
  ok: 'classification!="failure"',
  selector: 'namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"',
});
