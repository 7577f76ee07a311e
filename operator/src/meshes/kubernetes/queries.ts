import { meshQueries } from '../queries.js';

/** Without a mesh the application must export http_request_duration_seconds, labelled with namespace and pod. */
export const APPLICATION_QUERIES = meshQueries({
  counter: 'http_request_duration_seconds_count',
  histogram: 'http_request_duration_seconds_bucket',
  ok: 'status!~"5.*"',
  toMs: ' * 1000',
  selector: 'namespace="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
});
