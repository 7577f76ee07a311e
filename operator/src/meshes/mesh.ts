import type { CAPABILITIES, RoutedProvider } from '@tollgate/contract/capabilities';
import type { BuiltinQueries } from './queries.js';
import type { Router, RouterDeps } from './router.js';

/** The contract's capability record of a provider id (@tollgate/contract/capabilities). */
type CapabilityRecord<P extends RoutedProvider> = (typeof CAPABILITIES)[P];

/** What a mesh brings for one provider id it serves. */
export interface MeshProvider<P extends RoutedProvider> {
  /** CAPABILITIES[P]: the record validation, analysis, the CLI and the CRD's CEL rules read without loading routers. */
  readonly capabilities: CapabilityRecord<P>;
  /** Builds the router; one per call (routers hold no state shared between providers). */
  readonly router: (deps: RouterDeps) => Router;
  /** The built-in queries: required exactly when the capability record says builtinMetrics, undefined otherwise. */
  readonly queries: CapabilityRecord<P>['builtinMetrics'] extends true ? BuiltinQueries : undefined;
  /**
   * The built-in queries for a target released in place (StatefulSet: one workload, both revisions), scoped to the
   * canary revision's pods; without them the provider's `queries` serve such a target too.
   */
  readonly inPlaceQueries?: BuiltinQueries;
}

/**
 * One mesh folder (meshes/<mesh>/index.ts): the provider ids it serves, each with its capability record, router
 * factory and built-in queries. A provider id the contract does not list has no capability record: a compile error.
 */
export interface Mesh<P extends RoutedProvider> {
  /** The folder's name. */
  readonly name: string;
  readonly providers: { readonly [K in P]: MeshProvider<K> };
}
