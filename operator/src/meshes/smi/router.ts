import type { Canary } from '../../api/types.js';
import { Resources, type ResourceType } from '../../kube/resources.js';
import { ApexRouter } from '../apex-router.js';
import { routesOfWeights, type RouterDeps, type Routes } from '../router.js';
import { serviceNames } from '../services.js';

export type SmiVersion = 'v1alpha1' | 'v1alpha2' | 'v1alpha3' | 'v1alpha4';

const RESOURCE: Record<SmiVersion, ResourceType> = {
  v1alpha1: Resources.trafficSplitsV1alpha1,
  v1alpha2: Resources.trafficSplitsV1alpha2,
  v1alpha3: Resources.trafficSplitsV1alpha3,
  v1alpha4: Resources.trafficSplitsV1alpha4,
};

type Json = Record<string, unknown>;

/** v1alpha1 weights are quantities (relative: "900m" and "100m"); later versions take integers. */
const weightOf = (version: SmiVersion, percent: number): number | string => (version === 'v1alpha1' ? `${percent * 10}m` : percent);

/** Parses a weight written as an integer or a Kubernetes quantity ("500m", "1", "0.5") into a number. */
export function quantityValue(q: unknown): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(String(q ?? '').trim());
  if (!m) return 0;
  return Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
}

/** The TrafficSplit spec: the root (apex, or the first of service.hosts) split between primary and canary. */
export function trafficSplitSpec(canary: Canary, routes: Routes, version: SmiVersion): Json {
  const names = serviceNames(canary);
  return {
    service: canary.spec.service?.hosts?.[0] ?? names.apex,
    backends: [
      { service: names.primary, weight: weightOf(version, routes.primaryWeight) },
      { service: names.canary, weight: weightOf(version, routes.canaryWeight) },
    ],
  };
}

/** Reads the split back as percentages, whatever units the weights were written in. */
export function routesOfTrafficSplit(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  const backends = (spec?.backends ?? []) as Json[];
  const primary = backends.find((b) => b.service === names.primary);
  const canaryB = backends.find((b) => b.service === names.canary);
  if (!primary || !canaryB) return undefined;
  return routesOfWeights(quantityValue(primary.weight), quantityValue(canaryB.weight));
}

/** SMI: a TrafficSplit `<apex>` of split.smi-spec.io in the version the mesh serves (Linkerd's linkerd-smi, OSM, ...). */
export class SmiRouter extends ApexRouter {
  constructor(provider: string, version: SmiVersion, deps: RouterDeps) {
    super(provider, deps, {
      resource: RESOURCE[version],
      spec: (canary, routes) => trafficSplitSpec(canary, routes, version),
      routesOf: routesOfTrafficSplit,
    });
  }
}
