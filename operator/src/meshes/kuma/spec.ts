import type { Canary } from '../../api/types.js';
import { notAppliedNotice, ROUTING_FIELDS, routesOfWeights, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import { unconvertibleAbFields } from './mesh-http-route.js';
import { serviceNames } from '../services.js';

type Json = Record<string, unknown>;

/*
 * Kuma's TrafficRoute (kuma.io/v1alpha1, cluster-scoped, the mesh as a top-level field), as Flagger's kuma router
 * writes it: from every service to the apex Service's tag, split by weight between the -primary and -canary tags.
 * Kuma tags a Kubernetes Service port `<service>_<namespace>_svc_<port>`.
 */

/** The Canary annotation naming the Kuma mesh (Flagger's); the mesh is `default` without it. */
export const MESH_ANNOTATION = 'kuma.io/mesh';

const SERVICE_TAG = 'kuma.io/service';

/** Service fields neither the MeshHTTPRoute nor the TrafficRoute carries. */
const NOT_APPLIED = ROUTING_FIELDS;

/**
 * The TrafficRoute's name. It is cluster-scoped, so the namespace is part of it (Flagger names it after the apex
 * alone, and two namespaces' Canaries of the same name would share one); `.` is in no Service name, so it is unambiguous.
 */
export const trafficRouteName = (canary: Canary): string => `${serviceNames(canary).apex}.${canary.metadata.namespace}`;

/** The mesh the TrafficRoute belongs to. */
export const meshOf = (canary: Canary): string => canary.metadata.annotations?.[MESH_ANNOTATION] || 'default';

/** Kuma's tag of a Service's port. */
export const serviceTag = (canary: Canary, service: string): string =>
  `${service}_${canary.metadata.namespace}_svc_${canary.spec.service!.port}`;

/** The TrafficRoute spec for a split: every source, the apex Service as destination, split between primary and canary. */
export function trafficRouteSpec(canary: Canary, routes: Routes): Json {
  const names = serviceNames(canary);
  const tag = (service: string): Json => ({ [SERVICE_TAG]: serviceTag(canary, service) });
  return {
    sources: [{ match: { [SERVICE_TAG]: '*' } }],
    destinations: [{ match: tag(names.apex) }],
    conf: {
      split: [
        { weight: routes.primaryWeight, destination: tag(names.primary) },
        { weight: routes.canaryWeight, destination: tag(names.canary) },
      ],
    },
  };
}

/** Reads the split back from conf.split: the primary's and the canary's weights, made percentages. */
export function routesOfTrafficRoute(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  const split = (((spec?.conf as Json | undefined)?.split ?? []) as { weight?: number; destination?: Json }[]).filter(Boolean);
  const of = (service: string) => split.find((s) => s.destination?.[SERVICE_TAG] === serviceTag(canary, service));
  const p = of(names.primary);
  const c = of(names.canary);
  if (!p || !c) return undefined;
  return routesOfWeights(Number(p.weight ?? 0), Number(c.weight ?? 0));
}

/**
 * Service fields neither route carries: a notice; analysis.match fields a MeshHTTPRoute cannot express: errors. That
 * a TrafficRoute cannot match or mirror at all is known only once the router has seen what the cluster serves
 * (KumaRouter refuses it then).
 */
export function validateForKuma(canary: Canary, strategy: RouteStrategy): RouterValidation {
  const names = serviceNames(canary);
  const where = `the MeshHTTPRoute ${canary.metadata.namespace}/${names.apex} (or, where it is not served, the TrafficRoute ${trafficRouteName(canary)}) only routes the apex Service's traffic`;
  const lost = strategy.strategy === 'ab-testing' ? unconvertibleAbFields(canary, strategy) : [];
  return {
    errors: lost.length ? [`analysis.match fields ${lost.join(', ')} cannot be expressed in a Kuma MeshHTTPRoute`] : [],
    notices: notAppliedNotice(canary, 'kuma', NOT_APPLIED, where),
  };
}
