import type { Canary } from '../../api/types.js';
import { notAppliedNotice, ROUTING_FIELDS, routesOfWeights, type RouterValidation, type Routes } from '../router.js';
import { serviceNames } from '../services.js';

type Json = Record<string, unknown>;

/*
 * Traefik's TraefikService (traefik.io/v1alpha1), as Flagger's traefik router writes it: `<apex>`, a weighted round
 * robin over `<apex>-primary` and `<apex>-canary`. The user's IngressRoute routes to it (kind: TraefikService): the
 * host, path and middlewares live there, so the Canary's routing fields have nothing to act on here.
 */

/** Service fields a TraefikService does not carry (Flagger's traefik router ignores them too). */
const NOT_APPLIED = ROUTING_FIELDS;

const entry = (canary: Canary, name: string, weight: number): Json => ({
  name,
  namespace: canary.metadata.namespace,
  port: canary.spec.service!.port,
  weight,
});

/** The weighted services: the primary always, the canary only with a weight (as Flagger omits it at 0). */
export function traefikServiceSpec(canary: Canary, routes: Routes): Json {
  const names = serviceNames(canary);
  const services = [entry(canary, names.primary, routes.primaryWeight)];
  if (routes.canaryWeight > 0) services.push(entry(canary, names.canary, routes.canaryWeight));
  return { weighted: { services } };
}

/** Reads the split back: the primary's and the canary's weights (the canary absent: 0), made percentages. */
export function routesOfTraefikService(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  const services = ((spec?.weighted as Json | undefined)?.services ?? []) as Json[];
  const p = services.find((s) => s.name === names.primary);
  if (!p) return undefined;
  // Traefik's default weight is 1; an absent canary entry gets nothing.
  const c = services.find((s) => s.name === names.canary);
  return routesOfWeights(Number(p.weight ?? 1), c ? Number(c.weight ?? 1) : 0);
}

/** What the TraefikService does not carry: one notice naming the service fields set. */
export function validateForTraefik(canary: Canary): RouterValidation {
  const where = `the TraefikService ${serviceNames(canary).apex} only weighs the Services; set them on the IngressRoute that routes to it`;
  return { errors: [], notices: notAppliedNotice(canary, 'traefik', NOT_APPLIED, where) };
}
