import type { Canary } from '../../api/types.js';
import { toHttpRouteMatch, unconvertibleMatchFields } from '../gateway-api/spec.js';
import { routesOfWeights, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

type Json = Record<string, unknown>;

/*
 * Kuma's MeshHTTPRoute (kuma.io/v1alpha1, namespaced), as Kuma's docs write a traffic split on Kubernetes: in the
 * Canary's namespace, `spec.targetRef: {kind: Mesh}` (every client proxy of the mesh) and one `to[]` entry whose
 * targetRef is the apex MeshService (no namespace: the policy's own, which makes it a producer policy that Kuma
 * applies to every caller of the Service), its rules sending traffic to the -primary and -canary MeshServices by
 * weight. Kuma generates a MeshService per Kubernetes Service, named after it (Exclusive mode, the default of a
 * Mesh without a meshServices block); backendRefs name the Service port.
 */

/** The path match every request satisfies: a MeshHTTPRoute rule needs at least one match. */
const EVERY_REQUEST: Json = { path: { type: 'PathPrefix', value: '/' } };

const meshService = (name: string, port: number, weight?: number): Json => ({
  kind: 'MeshService',
  name,
  port,
  ...(weight !== undefined ? { weight } : {}),
});

/** A Gateway API match as MeshHTTPRoute takes it: the same shape, header names lower case (the CRD's pattern). */
function meshMatch(m: Json): Json {
  const out = toHttpRouteMatch(m);
  if (Array.isArray(out.headers)) out.headers = (out.headers as Json[]).map((h) => ({ ...h, name: String(h.name).toLowerCase() }));
  return out;
}

/** The request mirror to the canary while the release mirrors (analysis.mirror), with mirrorWeight as percentage. */
function mirrorFilters(canary: Canary, routes: Routes, strategy: RouteStrategy): Json[] {
  if (!routes.mirrored) return [];
  const backendRef = meshService(serviceNames(canary).canary, canary.spec.service!.port);
  const percentage = strategy.mirrorWeight !== undefined ? { percentage: strategy.mirrorWeight } : {};
  return [{ type: 'RequestMirror', requestMirror: { backendRef, ...percentage } }];
}

/**
 * The MeshHTTPRoute spec for a split: one weighted rule for every request (with a RequestMirror filter while
 * mirrored); A/B testing adds a rule matching analysis.match, weighted, and the catch-all sends all to the primary.
 * Kuma picks the most specific matching rule, as Gateway API does, so the A/B rule wins for matched requests.
 */
export function meshHttpRouteSpec(canary: Canary, routes: Routes, strategy: RouteStrategy): Json {
  const names = serviceNames(canary);
  const port = canary.spec.service!.port;
  const filters = mirrorFilters(canary, routes, strategy);
  const rule = (matches: Json[], backendRefs: Json[]): Json => ({
    matches,
    default: { ...(filters.length ? { filters } : {}), backendRefs },
  });
  const weighted = [meshService(names.primary, port, routes.primaryWeight), meshService(names.canary, port, routes.canaryWeight)];
  const rules =
    strategy.strategy === 'ab-testing'
      ? [rule((strategy.match as Json[]).map(meshMatch), weighted), rule([EVERY_REQUEST], [meshService(names.primary, port, 100)])]
      : [rule([EVERY_REQUEST], weighted)];
  return { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: names.apex }, rules }] };
}

/** Reads the split back from the rule that sends to both the -primary and the -canary MeshService. */
export function routesOfMeshHttpRoute(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  const rules = ((spec?.to ?? []) as Json[]).flatMap((t) => (t.rules ?? []) as Json[]);
  for (const rule of rules) {
    const conf = (rule.default ?? {}) as Json;
    const refs = (conf.backendRefs ?? []) as Json[];
    const p = refs.find((r) => r.name === names.primary);
    const c = refs.find((r) => r.name === names.canary);
    if (!p || !c) continue;
    const mirrored = ((conf.filters ?? []) as Json[]).some(
      (f) => f.type === 'RequestMirror' && ((f.requestMirror as Json | undefined)?.backendRef as Json | undefined)?.name === names.canary,
    );
    // weight defaults to 1 in the CRD.
    return routesOfWeights(Number(p.weight ?? 1), Number(c.weight ?? 1), mirrored);
  }
  return undefined;
}

/** analysis.match fields a MeshHTTPRoute cannot express (service.match is not carried: reported as not applied). */
export function unconvertibleAbFields(canary: Canary, strategy: RouteStrategy): string[] {
  const service = canary.spec.service ? { ...canary.spec.service, match: undefined } : undefined;
  return unconvertibleMatchFields({ ...canary, spec: { ...canary.spec, ...(service ? { service } : {}) } }, strategy);
}
