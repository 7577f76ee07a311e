import type { Canary } from '../../api/types.js';
import { affinitySetCookies, cookieRegex } from '../../core/affinity.js';
import type { Routes, RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

type Json = Record<string, unknown>;

const destination = (host: string, port: number, weight: number, setCookieValue?: string): Json => ({
  destination: { host, port: { number: port } },
  weight,
  ...(setCookieValue ? { headers: { response: { add: { 'Set-Cookie': setCookieValue } } } } : {}),
});

/** Service matches narrowed to requests whose Cookie header carries the cookie. */
function cookieMatches(serviceMatch: Json[] | undefined, cookie: string): Json[] {
  const cond = { cookie: { regex: cookieRegex(cookie) } };
  if (!serviceMatch?.length) return [{ headers: cond }];
  return serviceMatch.map((m) => ({ ...m, headers: { ...(m.headers as Json | undefined), ...cond } }));
}

/**
 * Session affinity rules, before the weighted one: requests with the canary cookie stay on the canary (and
 * with the primary cookie on the primary); the weighted rule's destinations hand the cookies out.
 */
function affinityRules(canary: Canary, routes: Routes, weighted: Json): Json[] {
  const aff = routes.affinity;
  if (!aff) return [weighted];
  const names = serviceNames(canary);
  const port = canary.spec.service!.port;
  const serviceMatch = canary.spec.service!.match as Json[] | undefined;
  const { canary: canaryCookie, primary: primaryCookie } = affinitySetCookies(aff);
  weighted.route = [
    destination(names.primary, port, routes.primaryWeight, primaryCookie),
    destination(names.canary, port, routes.canaryWeight, canaryCookie),
  ];
  const sticky: Json[] = [];
  const options = routeOptions(canary);
  if (aff.canaryCookie)
    sticky.push({
      match: cookieMatches(serviceMatch, aff.canaryCookie),
      ...options,
      route: [destination(names.canary, port, 100, canaryCookie)],
    });
  if (aff.primaryCookie)
    sticky.push({
      match: cookieMatches(serviceMatch, aff.primaryCookie),
      ...options,
      route: [destination(names.primary, port, 100, primaryCookie)],
    });
  return [...sticky, weighted];
}

/** The A/B match rules: each analysis match merged into each service match (or used alone). */
export function mergedMatches(canary: Canary, strategy: RouteStrategy): Json[] {
  const analysis = strategy.match as Json[];
  const service = (canary.spec.service?.match ?? []) as Json[];
  if (service.length === 0) return analysis;
  return service.flatMap((s) => analysis.map((m) => ({ ...s, ...m })));
}

/** Fields of an Istio HTTPRoute taken from the Canary's service settings. */
function routeOptions(canary: Canary): Json {
  const s = canary.spec.service!;
  const out: Json = {};
  if (s.rewrite && (s.rewrite.uri || s.rewrite.authority))
    out.rewrite = { ...(s.rewrite.uri ? { uri: s.rewrite.uri } : {}), ...(s.rewrite.authority ? { authority: s.rewrite.authority } : {}) };
  if (s.timeout) out.timeout = s.timeout;
  if (s.retries) out.retries = s.retries;
  if (s.headers) out.headers = s.headers;
  if (s.corsPolicy) out.corsPolicy = s.corsPolicy;
  return out;
}

function hostsAndGateways(canary: Canary): Json {
  const s = canary.spec.service!;
  if (s.delegation) return {};
  const apex = serviceNames(canary).apex;
  const hosts = [...(s.hosts ?? [])];
  if (!hosts.includes(apex) && !hosts.includes('*')) hosts.push(apex);
  return { hosts, gateways: s.gateways?.length ? s.gateways : ['mesh'] };
}

/**
 * The VirtualService spec for a split. Weighted strategies use one rule; A/B testing puts the match
 * rule first (split by the routes) and a default rule (all to the primary) after it. Mirroring copies
 * the primary's traffic to the canary at mirrorWeight percent.
 */
export function virtualServiceSpec(canary: Canary, routes: Routes, strategy: RouteStrategy): Json {
  const names = serviceNames(canary);
  const port = canary.spec.service!.port;
  const serviceMatch = canary.spec.service!.match as Json[] | undefined;
  const weighted: Json = {
    ...(serviceMatch?.length ? { match: serviceMatch } : {}),
    ...routeOptions(canary),
    route: [destination(names.primary, port, routes.primaryWeight), destination(names.canary, port, routes.canaryWeight)],
  };
  if (routes.mirrored) {
    weighted.mirror = { host: names.canary, port: { number: port } };
    if (strategy.mirrorWeight !== undefined) weighted.mirrorPercentage = { value: strategy.mirrorWeight };
  }
  if (strategy.strategy !== 'ab-testing') return { ...hostsAndGateways(canary), http: affinityRules(canary, routes, weighted) };
  const fallback: Json = {
    ...(serviceMatch?.length ? { match: serviceMatch } : {}),
    ...routeOptions(canary),
    route: [destination(names.primary, port, 100)],
  };
  return { ...hostsAndGateways(canary), http: [{ ...weighted, match: mergedMatches(canary, strategy) }, fallback] };
}

export function destinationRuleSpec(canary: Canary, host: string): Json {
  const policy = canary.spec.service?.trafficPolicy;
  return { host, ...(policy ? { trafficPolicy: policy } : {}) };
}

/** Reads the split back from a VirtualService: the rule that routes to both primary and canary. */
export function routesOfVirtualService(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  const http = (spec?.http ?? []) as Json[];
  const hostOf = (d: Json): string => String(((d.destination as Json | undefined)?.host as string | undefined) ?? '').split('.')[0]!;
  for (const rule of http) {
    const route = (rule.route ?? []) as Json[];
    const primary = route.find((d) => hostOf(d) === names.primary);
    const canaryDest = route.find((d) => hostOf(d) === names.canary);
    if (primary && canaryDest) {
      const mirror = rule.mirror as Json | undefined;
      return {
        primaryWeight: Number(primary.weight ?? 0),
        canaryWeight: Number(canaryDest.weight ?? 0),
        mirrored: String(mirror?.host ?? '').split('.')[0] === names.canary,
      };
    }
  }
  return undefined;
}
