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

/** Port name prefixes and appProtocols Istio routes as opaque TCP (its protocol selection; tls has tls routes). */
const OPAQUE_TCP = new Set(['tcp', 'mongo', 'mysql', 'redis']);

/**
 * The protocol Istio selects for the Canary's port: appProtocol when set, else the port name's `<protocol>[-<suffix>]`
 * prefix (the generated Services' port name, http by default). Lower case.
 */
export function istioProtocol(canary: Canary): string {
  const s = canary.spec.service;
  if (s?.appProtocol) return s.appProtocol.toLowerCase();
  return (s?.portName || 'http').toLowerCase().split('-')[0]!;
}

/** Whether Istio routes the Canary's port as opaque TCP: the VirtualService then needs tcp routes, not http. */
export const isTcpPort = (canary: Canary): boolean => OPAQUE_TCP.has(istioProtocol(canary));

/**
 * The tcp routes of a TCP port: one rule weighing primary and canary. On the mesh alone it matches the Service's
 * port; behind a gateway the port a connection arrives on is the gateway's, so there it matches nothing.
 */
function tcpRoutes(canary: Canary, routes: Routes): Json[] {
  const names = serviceNames(canary);
  const port = canary.spec.service!.port;
  const meshOnly = !canary.spec.service!.gateways?.some((g) => g !== 'mesh');
  return [
    {
      ...(meshOnly ? { match: [{ port }] } : {}),
      route: [destination(names.primary, port, routes.primaryWeight), destination(names.canary, port, routes.canaryWeight)],
    },
  ];
}

/**
 * The VirtualService spec for a split. A TCP port (isTcpPort) gets one weighted tcp rule (the router refuses what
 * needs HTTP). Weighted strategies use one rule; A/B testing puts the match
 * rule first (split by the routes) and a default rule (all to the primary) after it. Mirroring copies
 * the primary's traffic to the canary at mirrorWeight percent.
 */
export function virtualServiceSpec(canary: Canary, routes: Routes, strategy: RouteStrategy): Json {
  if (isTcpPort(canary)) return { ...hostsAndGateways(canary), tcp: tcpRoutes(canary, routes) };
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

/** Reads the split back from a VirtualService: the http (or tcp) rule that routes to both primary and canary. */
export function routesOfVirtualService(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  const http = [...((spec?.http ?? []) as Json[]), ...((spec?.tcp ?? []) as Json[])];
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

/** service fields that only an http route carries. */
const HTTP_ONLY_SERVICE_FIELDS = ['match', 'rewrite', 'headers', 'corsPolicy', 'retries', 'timeout', 'delegation'] as const;

/**
 * What a Canary on a TCP port (isTcpPort) sets that needs HTTP: each an error naming the field, since a tcp route has
 * no place for it. None for an HTTP (or gRPC) port.
 */
export function tcpPortErrors(canary: Canary, strategy: RouteStrategy): string[] {
  if (!isTcpPort(canary)) return [];
  const s = canary.spec.service!;
  const why = `service port ${s.port} is TCP to Istio (${s.appProtocol ? `appProtocol ${s.appProtocol}` : `port name ${s.portName}`}): tcp routes have no`;
  const set = HTTP_ONLY_SERVICE_FIELDS.filter((k) => s[k] !== undefined && s[k] !== false && !(Array.isArray(s[k]) && s[k].length === 0));
  const errors = set.map((k) => `${why} service.${k}`);
  if (strategy.strategy === 'ab-testing') errors.push(`${why} header match: analysis.match needs an HTTP port`);
  if (strategy.mirror) errors.push(`${why} mirroring: analysis.mirror needs an HTTP port`);
  if (strategy.sessionAffinity) errors.push(`${why} cookies: analysis.sessionAffinity needs an HTTP port`);
  return errors;
}
