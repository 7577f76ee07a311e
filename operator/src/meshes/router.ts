import type { Canary, CanaryService, OwnerReference } from '../api/types.js';
import type { AffinityRoutes } from '../core/affinity.js';
import type { ResolvedAnalysis } from '../core/analysis.js';
import type { KubeClient } from '../kube/client.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import type { TargetInfo } from '../targets/target.js';
import type { Logger } from '../util/log.js';

/** The split of live traffic between primary and canary; mirrored sends a copy of primary traffic to the canary. */
export interface Routes {
  primaryWeight: number;
  canaryWeight: number;
  mirrored: boolean;
  /** Session affinity cookies to match and set (Istio, Gateway API). */
  affinity?: AffinityRoutes;
}

export const routesFor = (canaryWeight: number, mirrored = false, affinity?: AffinityRoutes): Routes => ({
  primaryWeight: 100 - canaryWeight,
  canaryWeight,
  mirrored,
  ...(affinity ? { affinity } : {}),
});

/** The split from the primary's and the canary's weights in any unit, made percentages; no weight at all: all on the primary. */
export const routesOfWeights = (primary: number, canary: number, mirrored = false): Routes =>
  routesFor(primary + canary > 0 ? Math.round((100 * canary) / (primary + canary)) : 0, mirrored);

/**
 * What the release asks of the routes besides the split, from the resolved analysis (core/analysis.ts): a router
 * writes the A/B match rule, the mirror percentage and the strategy's rule layout from it, never from spec.analysis.
 * mirror and sessionAffinity (whether the release mirrors or pins users at all) are for validate; unset is false.
 */
export type RouteStrategy = Pick<ResolvedAnalysis, 'strategy' | 'match' | 'mirrorWeight'> &
  Partial<Pick<ResolvedAnalysis, 'mirror' | 'sessionAffinity'>>;

/** What a router finds wrong (errors: nothing is done) or not applied (notices) in a Canary. */
export interface RouterValidation {
  errors: string[];
  notices: string[];
}

/** The service fields that shape routing; each router carries some of them and reports the others when set. */
export const ROUTING_FIELDS = [
  'hosts',
  'gateways',
  'gatewayRefs',
  'match',
  'rewrite',
  'headers',
  'corsPolicy',
  'retries',
  'timeout',
  'trafficPolicy',
  'mirror',
  'backendTimeout',
] as const satisfies readonly (keyof CanaryService)[];

/** The routing fields a router does not carry, given those it does. */
export const routingFieldsExcept = (...carried: (typeof ROUTING_FIELDS)[number][]): readonly (keyof CanaryService)[] =>
  ROUTING_FIELDS.filter((f) => !carried.includes(f));

/**
 * The notice of the service fields a router's objects do not carry, naming those the Canary sets (an empty list is
 * unset), then where: what carries the routing instead. None when none is set.
 */
export function notAppliedNotice(canary: Canary, provider: string, fields: readonly (keyof CanaryService)[], where: string): string[] {
  const s = canary.spec.service;
  const set = fields.filter((k) => s?.[k] !== undefined && !(Array.isArray(s[k]) && s[k].length === 0));
  return set.length ? [`service.${set.join(', service.')} not applied by ${provider}: ${where}`] : [];
}

/** Translates a traffic split into one mesh's own objects. One implementation per mesh. */
export interface Router {
  readonly provider: string;
  /** The mesh objects must exist before the primary's pods start (App Mesh: sidecar injection). */
  readonly meshObjectsFirst?: boolean;
  /** Mesh-specific checks of a Canary, beyond the CRD schema. */
  validate?(canary: Canary, strategy: RouteStrategy): RouterValidation;
  /** Creates the mesh objects (all traffic to the primary) or corrects them, keeping the live weights. */
  reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void>;
  /** Writes the split; writes nothing when the objects already carry it. */
  setRoutes(canary: Canary, target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void>;
  /** Reads the live split back from the mesh objects; undefined when they do not exist yet. */
  getRoutes(canary: Canary): Promise<Routes | undefined>;
  /**
   * Hands routing back to plain Kubernetes when a Canary with revertOnDeletion is deleted: owned mesh objects
   * are deleted (the mesh then routes by the apex Service), adopted ones get their original spec back.
   */
  finalize(canary: Canary, signal: AbortSignal): Promise<void>;
}

export interface RouterDeps {
  client: KubeClient;
  informers: InformerRegistry;
  ownerRef: (canary: Canary) => OwnerReference;
  logger: Logger;
}
