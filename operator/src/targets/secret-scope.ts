import type { ResourceOverride } from '../kube/informer-registry.js';
import { CONFIG_TRACKING_OPT_OUT } from './config-tracker.js';

/** Every watched namespace (the --secret-tracking-namespaces default), or these. */
export type SecretTrackingSetting = '*' | readonly string[];

/** Where config tracking copies Secrets, and so where the operator lists, watches and writes them. */
export interface SecretScope {
  tracks(namespace: string): boolean;
  /** The namespaces whose Secrets are watched (metadata only); [] is every namespace; undefined is none. */
  watch: string[] | undefined;
}

/**
 * The Secret scope of a setting: "*" tracks Secrets wherever Canaries are watched; a list, only in those of its
 * namespaces that are watched (all of them when every namespace is), and none at all when that leaves none.
 */
export function secretScope(watched: readonly string[], setting: SecretTrackingSetting): SecretScope {
  if (setting === '*') return { tracks: () => true, watch: [...watched] };
  const scope = watched.length ? setting.filter((ns) => watched.includes(ns)) : [...setting];
  if (scope.length === 0) return { tracks: () => false, watch: undefined };
  const set = new Set(scope);
  return { tracks: (ns) => set.has(ns), watch: scope };
}

/**
 * How the Secrets informer watches a scope: metadata alone, of the annotations only those config tracking reads,
 * in the scope's namespaces, and nowhere at all when the scope is none (never the whole cluster).
 */
export function secretsInformer(scope: SecretScope): ResourceOverride {
  const where = scope.watch ? { namespaces: scope.watch } : { unwatched: true };
  return { metadataOnly: true, keepAnnotations: CONFIG_TRACKING_OPT_OUT, ...where };
}

/** Parses --secret-tracking-namespaces: "*", "none", or a comma-separated list of namespaces. */
export function parseSecretTracking(value: string): SecretTrackingSetting {
  const v = value.trim();
  if (v === '*') return '*';
  if (v === 'none') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
