/**
 * What each of the operator's routers can do, as plain data: one record per provider id. The operator's mesh folders
 * (operator/src/meshes/<mesh>/index.ts) point at these records, and the registry is typed on them; the reconciler's
 * validation and analysis, the CLI's lint and the CRD generator read them here, without loading any router: the CEL
 * rules that refuse A/B testing, mirroring or session affinity on a provider that cannot do them are generated from
 * them. In the contract, so the CRD generator (api/) does not load the routers.
 */

/** One provider's capabilities. */
export interface MeshCapabilities {
  /**
   * Splits live traffic by weight between primary and canary. Without it (kubernetes: Services only) a weighted
   * release runs as blue/green, the switch being the primary's rolling update.
   */
  readonly split: boolean;
  /** Sends matched requests to the canary (A/B testing, analysis.match); the router may still refuse a given match. */
  readonly match: boolean;
  /** Mirrors primary traffic to the canary (analysis.mirror). */
  readonly mirror: boolean;
  /** Pins users to a side with a cookie (analysis.sessionAffinity). */
  readonly sessionAffinity: boolean;
  /** The mesh exports metrics the built-in request-success-rate and request-duration queries read. */
  readonly builtinMetrics: boolean;
  /**
   * The router sends each side's traffic to the generated -primary and -canary Services (not to pods, subsets or
   * workloads of its own), so their selectors decide which pods serve each side: an in-place target (a StatefulSet,
   * its Services selecting by controller-revision-hash) can then be routed by weight. Absent: false.
   */
  readonly routesByService?: boolean;
}

const SMI = { split: true, match: false, mirror: false, sessionAffinity: false, builtinMetrics: false } as const;
// HTTPRoute backendRefs are the -primary and -canary Services.
const GATEWAY_API = {
  split: true,
  match: true,
  mirror: true,
  sessionAffinity: true,
  builtinMetrics: false,
  routesByService: true,
} as const;
const APP_MESH = { split: true, match: true, mirror: false, sessionAffinity: false, builtinMetrics: true } as const;
// Header/query match and shadow Mappings; no built-in queries: Emissary's Envoy cluster names are derived (and
// shortened with a hash past a length), so MetricTemplates carry the checks.
const EMISSARY = { split: true, match: true, mirror: true, sessionAffinity: false, builtinMetrics: false } as const;

/**
 * The providers the operator has a router for, in the order messages list them. Literal types, so the operator's
 * registry can require built-in queries exactly where builtinMetrics is true.
 */
export const CAPABILITIES = {
  // Its VirtualService routes to the -primary and -canary Services as hosts.
  istio: { split: true, match: true, mirror: true, sessionAffinity: true, builtinMetrics: true, routesByService: true },
  kubernetes: { split: false, match: false, mirror: false, sessionAffinity: false, builtinMetrics: true },
  linkerd: { split: true, match: true, mirror: false, sessionAffinity: false, builtinMetrics: true },
  'smi:v1alpha1': SMI,
  'smi:v1alpha2': SMI,
  'smi:v1alpha3': SMI,
  'smi:v1alpha4': SMI,
  osm: { ...SMI, builtinMetrics: true },
  'gatewayapi:v1': GATEWAY_API,
  'gatewayapi:v1beta1': GATEWAY_API,
  appmesh: APP_MESH,
  'appmesh:v1beta2': APP_MESH,
  nginx: { split: true, match: true, mirror: false, sessionAffinity: false, builtinMetrics: true },
  skipper: { split: true, match: false, mirror: false, sessionAffinity: false, builtinMetrics: true },
  contour: { split: true, match: true, mirror: false, sessionAffinity: false, builtinMetrics: true },
  traefik: { split: true, match: false, mirror: false, sessionAffinity: false, builtinMetrics: true },
  gloo: { split: true, match: true, mirror: false, sessionAffinity: false, builtinMetrics: true },
  apisix: { split: true, match: false, mirror: false, sessionAffinity: false, builtinMetrics: true },
  // Header match and mirroring by MeshHTTPRoute; the router refuses both where the cluster serves only TrafficRoute.
  kuma: { split: true, match: true, mirror: true, sessionAffinity: false, builtinMetrics: true },
  // Header match by ALB http-header conditions; ALB's stickiness is its own cookie (AWSALBTG), not analysis.sessionAffinity's.
  alb: { split: true, match: true, mirror: false, sessionAffinity: false, builtinMetrics: false },
  emissary: EMISSARY,
  // Emissary-ingress's former name, as Argo Rollouts calls the router.
  ambassador: EMISSARY,
  // Splits between two Revisions of the target Knative Service (spec.traffic); the target must be one (CEL rules).
  knative: { split: true, match: false, mirror: false, sessionAffinity: false, builtinMetrics: true },
} as const satisfies Readonly<Record<string, MeshCapabilities>>;

export type RoutedProvider = keyof typeof CAPABILITIES;

/** Providers the operator has a router for. */
export const ROUTED_PROVIDERS = Object.keys(CAPABILITIES) as readonly RoutedProvider[];

const isRoutedProvider = (provider: string): provider is RoutedProvider => Object.hasOwn(CAPABILITIES, provider);

/** A provider's capabilities; undefined for a provider the operator has no router for. */
export const capabilitiesOf = (provider: string): MeshCapabilities | undefined =>
  isRoutedProvider(provider) ? CAPABILITIES[provider] : undefined;

/** A provider's record as MeshCapabilities (an optional capability absent from its literal reads as undefined). */
const recordOf = (p: RoutedProvider): MeshCapabilities => CAPABILITIES[p];

/** The provider routes each side through the -primary and -canary Services (MeshCapabilities.routesByService). */
export const routesByService = (provider: string): boolean => capabilitiesOf(provider)?.routesByService === true;

/** Routed providers with a capability, in ROUTED_PROVIDERS order. */
export const providersWith = (capability: keyof MeshCapabilities): RoutedProvider[] =>
  ROUTED_PROVIDERS.filter((p) => recordOf(p)[capability] === true);

/** Routed providers that lack a capability: the ones a CEL rule can refuse at apply time (others are not driven yet). */
export const providersWithout = (capability: keyof MeshCapabilities): RoutedProvider[] =>
  ROUTED_PROVIDERS.filter((p) => recordOf(p)[capability] !== true);
