/**
 * What each of the operator's routers can do, as plain data: read by the router factory and the reconciler, and by
 * the CRD generator, which turns it into the CEL rules that refuse A/B testing, mirroring or session affinity on a
 * provider whose router cannot do them. In the contract, so the CRD generator (api/) does not load the routers.
 */

/** Providers the operator has a router for (the keys of the router factory's table). */
export const ROUTED_PROVIDERS = [
  'istio',
  'kubernetes',
  'linkerd',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'smi:v1alpha4',
  'osm',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'appmesh',
  'appmesh:v1beta2',
] as const;

export type RoutedProvider = (typeof ROUTED_PROVIDERS)[number];

/** Providers whose router splits matched requests (A/B testing); a router may still refuse a given Canary. */
export const MATCH_PROVIDERS: ReadonlySet<RoutedProvider> = new Set<RoutedProvider>([
  'istio',
  'linkerd',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'appmesh',
  'appmesh:v1beta2',
]);
/** Providers whose router can pin users to a side with a cookie (session affinity). */
export const AFFINITY_PROVIDERS: ReadonlySet<RoutedProvider> = new Set<RoutedProvider>(['istio', 'gatewayapi:v1', 'gatewayapi:v1beta1']);
/** Providers whose router can mirror traffic to the canary. */
export const MIRROR_PROVIDERS: ReadonlySet<RoutedProvider> = new Set<RoutedProvider>(['istio', 'gatewayapi:v1', 'gatewayapi:v1beta1']);

/** Routed providers that lack a capability: the ones a CEL rule can refuse at apply time (others are not driven yet). */
export const routedWithout = (capable: ReadonlySet<RoutedProvider>): RoutedProvider[] => ROUTED_PROVIDERS.filter((p) => !capable.has(p));
