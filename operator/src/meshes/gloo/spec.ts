import type { Canary, StringMatch } from '../../api/types.js';
import { notAppliedNotice, ROUTING_FIELDS, routesOfWeights, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames, type ServiceRole } from '../services.js';
import { affixRegex } from '../match.js';

type Json = Record<string, unknown>;

/*
 * Gloo Edge, as Flagger's gloo router writes it: one Upstream (gloo.solo.io/v1, kind Kubernetes Service) per side,
 * `<namespace>-<apex>-primaryupstream-<port>` and `<namespace>-<apex>-canaryupstream-<port>`, and a RouteTable
 * (gateway.solo.io/v1) `<apex>` whose route sends to both by weight. The user's VirtualService delegates to the
 * RouteTable; its routes inherit the parent's path matchers (inheritablePathMatchers).
 */

/** Istio match fields a Gloo matcher can carry ('name' only labels the match). */
const CONVERTIBLE = new Set(['headers', 'queryParams', 'method', 'name']);

/** Service fields the RouteTable does not carry (Flagger's gloo router ignores them too). */
const NOT_APPLIED = ROUTING_FIELDS;

/** The Upstream generated for a side: Flagger's name, so the Envoy clusters (`<upstream>_<namespace>`) are the same. */
export function upstreamName(canary: Canary, role: Exclude<ServiceRole, 'apex'>): string {
  return `${canary.metadata.namespace}-${serviceNames(canary).apex}-${role}upstream-${canary.spec.service!.port}`;
}

/** Upstream spec fields that say what the Upstream is (one of them) or that Gloo writes: never copied from upstreamRef. */
const NOT_COPIED = new Set([
  'kube',
  'static',
  'pipe',
  'aws',
  'awsEc2',
  'azure',
  'consul',
  'gcp',
  'ai',
  'discoveryMetadata',
  'namespacedStatuses',
]);

/**
 * The Upstream's spec: the side's Kubernetes Service and port, plus, as Flagger copies them, the options (connection,
 * TLS, health checks, load balancing...) of the Upstream spec.upstreamRef names.
 */
export function upstreamSpec(canary: Canary, role: Exclude<ServiceRole, 'apex'>, config: Json = {}): Json {
  const options = Object.fromEntries(Object.entries(config).filter(([k]) => !NOT_COPIED.has(k)));
  return {
    ...options,
    kube: { serviceName: serviceNames(canary)[role], serviceNamespace: canary.metadata.namespace, servicePort: canary.spec.service!.port },
  };
}

/** The Upstream spec.upstreamRef names: its namespace defaults to the Canary's. */
export function upstreamRefOf(canary: Canary): { namespace: string; name: string } | undefined {
  const ref = canary.spec.upstreamRef;
  if (!ref || typeof ref.name !== 'string' || !ref.name) return undefined;
  return { namespace: typeof ref.namespace === 'string' && ref.namespace ? ref.namespace : canary.metadata.namespace!, name: ref.name };
}

/** A header or query parameter matcher: exact or regex value (Envoy's regex matches the whole value); none is presence. */
function valueMatcher(name: string, m: StringMatch): Json {
  if (m.exact !== undefined) return { name, value: m.exact };
  if (m.regex !== undefined) return { name, value: m.regex, regex: true };
  const affix = affixRegex(m);
  if (affix !== undefined) return { name, value: affix, regex: true };
  return { name };
}

/** One Gloo matcher per Istio-style match (Gloo ORs matchers and ANDs what is inside one). */
export function matcherOf(match: Json): Json {
  const entries = (map: unknown): [string, StringMatch][] => Object.entries((map ?? {}) as Record<string, StringMatch>);
  const headers = entries(match.headers).map(([name, m]) => valueMatcher(name, m));
  const query = entries(match.queryParams).map(([name, m]) => valueMatcher(name, m));
  const method = (match.method as StringMatch | undefined)?.exact;
  return {
    ...(headers.length ? { headers } : {}),
    ...(query.length ? { queryParameters: query } : {}),
    ...(method !== undefined ? { methods: [method] } : {}),
  };
}

const upstreamRef = (canary: Canary, role: 'primary' | 'canary'): Json => ({
  name: upstreamName(canary, role),
  namespace: canary.metadata.namespace,
});

/**
 * The RouteTable spec for a split. Canary and blue/green: one route to both Upstreams by weight. A/B testing: the
 * weighted route takes the matched requests, a second route sends the rest to the primary.
 */
export function routeTableSpec(canary: Canary, routes: Routes, strategy: RouteStrategy): Json {
  const destinations = [
    { destination: { upstream: upstreamRef(canary, 'primary') }, weight: routes.primaryWeight },
    { destination: { upstream: upstreamRef(canary, 'canary') }, weight: routes.canaryWeight },
  ];
  const weighted = { inheritablePathMatchers: true, routeAction: { multi: { destinations } } };
  if (strategy.strategy !== 'ab-testing') return { routes: [weighted] };
  const rest = { inheritablePathMatchers: true, routeAction: { single: { upstream: upstreamRef(canary, 'primary') } } };
  return { routes: [{ matchers: (strategy.match as Json[]).map(matcherOf), ...weighted }, rest] };
}

/** Reads the split back from the first route weighing both Upstreams (weights made percentages). */
export function routesOfRouteTable(canary: Canary, spec: Json | undefined): Routes | undefined {
  const [primary, canaryUp] = [upstreamName(canary, 'primary'), upstreamName(canary, 'canary')];
  for (const route of (spec?.routes ?? []) as Json[]) {
    const multi = ((route.routeAction as Json | undefined)?.multi ?? {}) as Json;
    const dests = (multi.destinations ?? []) as { destination?: { upstream?: Json }; weight?: number }[];
    const weightOf = (name: string) => dests.find((d) => d.destination?.upstream?.name === name);
    const p = weightOf(primary);
    const c = weightOf(canaryUp);
    if (p && c) return routesOfWeights(Number(p.weight ?? 0), Number(c.weight ?? 0));
  }
  return undefined;
}

/** Match fields a Gloo matcher cannot express, and methods compared other than exactly. */
function unconvertible(strategy: RouteStrategy): string[] {
  const all = strategy.match as Json[];
  const fields = all.flatMap((m) => Object.keys(m).filter((k) => !CONVERTIBLE.has(k)));
  const methods = all.some((m) => m.method !== undefined && (m.method as StringMatch).exact === undefined) ? ['method (not exact)'] : [];
  return [...new Set([...fields, ...methods])];
}

/** What the RouteTable and Upstreams cannot carry: refused (errors) or not applied (a notice). */
export function validateForGloo(canary: Canary, strategy: RouteStrategy): RouterValidation {
  const errors: string[] = [];
  const lost = unconvertible(strategy);
  if (lost.length)
    errors.push(`match fields ${lost.join(', ')} cannot be expressed as Gloo matchers (headers, queryParams, an exact method can)`);
  const where = `the RouteTable ${serviceNames(canary).apex} only weighs the Upstreams; set them on the VirtualService that delegates to it`;
  return { errors, notices: notAppliedNotice(canary, 'gloo', NOT_APPLIED, where) };
}
