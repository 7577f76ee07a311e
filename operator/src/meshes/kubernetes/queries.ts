import { meshQueries } from '../queries.js';

/** Without a mesh the application must export http_request_duration_seconds, labelled with namespace and pod. */
export const APPLICATION_QUERIES = meshQueries({
  counter: 'http_request_duration_seconds_count',
  histogram: 'http_request_duration_seconds_bucket',
  ok: 'status!~"5.*"',
  toMs: ' * 1000',
  selector: 'namespace="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
});

/**
 * A StatefulSet released in place: its pods are <name>-<ordinal> whatever their revision, so a name pattern cannot
 * tell the revisions apart, and the application's series carry no revision label (a scrape config may add none).
 * {{ canaryPods }} is the exact, regex-escaped alternation of the names of the pods that run the canary revision
 * (their controller-revision-hash, read from the operator's Pods cache at the check), so only they are measured.
 */
export const IN_PLACE_APPLICATION_QUERIES = meshQueries({
  counter: 'http_request_duration_seconds_count',
  histogram: 'http_request_duration_seconds_bucket',
  ok: 'status!~"5.*"',
  toMs: ' * 1000',
  selector: 'namespace="{{ namespace }}", pod=~"{{ canaryPods }}"',
});
