import type { Canary, StringMatch } from '../../api/types.js';
import { durationOr } from '../../api/duration.js';
import { affinitySetCookies, cookieRegex } from '../../core/affinity.js';
import { routesOfWeights, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { affixRegex } from '../match.js';

type Json = Record<string, unknown>;

/** Gateway API proper, or Linkerd's policy.linkerd.io copy of HTTPRoute (fewer filters, Service parents). */
export type HttpRouteFlavour = 'gateway' | 'linkerd';

/** An Istio string match as a Gateway API {type, value}; prefix and suffix become regular expressions. */
function valueMatch(m: StringMatch): { type: string; value: string } | undefined {
  if (m.exact !== undefined) return { type: 'Exact', value: m.exact };
  if (m.regex !== undefined) return { type: 'RegularExpression', value: m.regex };
  const affix = affixRegex(m, true);
  return affix === undefined ? undefined : { type: 'RegularExpression', value: affix };
}

function pathMatch(uri: StringMatch): Json | undefined {
  if (uri.exact !== undefined) return { type: 'Exact', value: uri.exact };
  if (uri.prefix !== undefined) return { type: 'PathPrefix', value: uri.prefix };
  if (uri.regex !== undefined) return { type: 'RegularExpression', value: uri.regex };
  return undefined;
}

const named = (map: unknown): Json[] =>
  Object.entries((map ?? {}) as Record<string, StringMatch>)
    .map(([name, m]) => ({ name, ...valueMatch(m) }))
    .filter((x) => 'value' in x);

/** Converts an Istio HTTPMatchRequest (the Canary's field shape) into a Gateway API HTTPRouteMatch. */
export function toHttpRouteMatch(m: Json): Json {
  const out: Json = {};
  const path = m.uri ? pathMatch(m.uri as StringMatch) : undefined;
  out.path = path ?? { type: 'PathPrefix', value: '/' };
  const headers = named(m.headers);
  if (headers.length) out.headers = headers;
  const query = named(m.queryParams);
  if (query.length) out.queryParams = query;
  const method = (m.method as StringMatch | undefined)?.exact;
  if (method) out.method = method.toUpperCase();
  return out;
}

/** Match fields that a Gateway API route cannot express (they would be dropped): reported, never silently lost. */
export function unconvertibleMatchFields(canary: Canary, strategy: RouteStrategy): string[] {
  const all = [...((canary.spec.service?.match ?? []) as Json[]), ...(strategy.match as Json[])];
  const supported = new Set(['uri', 'headers', 'queryParams', 'method', 'name']);
  const lost = (m: Json): string[] => [
    ...Object.keys(m).filter((k) => !supported.has(k)),
    ...(m.uri && !pathMatch(m.uri as StringMatch) ? ['uri (only exact, prefix and regex)'] : []),
    ...(m.method && (m.method as StringMatch).exact === undefined ? ['method (only exact)'] : []),
    ...Object.entries((m.headers ?? {}) as Record<string, StringMatch>)
      .filter(([, v]) => !valueMatch(v))
      .map(([k]) => `headers.${k} (a presence match)`),
  ];
  return [...new Set(all.flatMap(lost))];
}

function ruleFilters(canary: Canary, flavour: HttpRouteFlavour): Json[] {
  const s = canary.spec.service!;
  const out: Json[] = [];
  const hdr = (ops: Json | undefined): Json | undefined => {
    if (!ops) return undefined;
    const list = (m: unknown): Json[] => Object.entries((m ?? {}) as Record<string, string>).map(([name, value]) => ({ name, value }));
    const r: Json = {};
    if (ops.set) r.set = list(ops.set);
    if (ops.add) r.add = list(ops.add);
    if (ops.remove) r.remove = ops.remove;
    return r;
  };
  const headers = s.headers as { request?: Json; response?: Json } | undefined;
  if (headers?.request) out.push({ type: 'RequestHeaderModifier', requestHeaderModifier: hdr(headers.request) });
  if (flavour === 'linkerd') return out;
  if (headers?.response) out.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: hdr(headers.response) });
  if (s.rewrite && (s.rewrite.uri || s.rewrite.authority)) {
    const path = s.rewrite.uri
      ? s.rewrite.type === 'ReplacePrefixMatch'
        ? { type: 'ReplacePrefixMatch', replacePrefixMatch: s.rewrite.uri }
        : { type: 'ReplaceFullPath', replaceFullPath: s.rewrite.uri }
      : undefined;
    out.push({
      type: 'URLRewrite',
      urlRewrite: { ...(s.rewrite.authority ? { hostname: s.rewrite.authority } : {}), ...(path ? { path } : {}) },
    });
  }
  if (s.corsPolicy) out.push({ type: 'CORS', cors: corsFilter(s.corsPolicy) });
  for (const m of (s.mirror ?? []) as Json[]) out.push({ type: 'RequestMirror', requestMirror: { backendRef: m.backendRef } });
  return out;
}

function corsFilter(p: Json): Json {
  const origins = [
    ...((p.allowOrigin ?? []) as string[]),
    ...((p.allowOrigins ?? []) as StringMatch[]).map((o) => o.exact ?? o.prefix ?? o.regex ?? ''),
  ].filter(Boolean);
  const out: Json = {};
  if (origins.length) out.allowOrigins = origins;
  for (const k of ['allowMethods', 'allowHeaders', 'exposeHeaders', 'allowCredentials']) if (p[k] !== undefined) out[k] = p[k];
  if (typeof p.maxAge === 'string') out.maxAge = Math.max(1, Math.round(durationOr(p.maxAge, 0) / 1000));
  return out;
}

function timeouts(canary: Canary): Json | undefined {
  const s = canary.spec.service!;
  if (!s.timeout && !s.backendTimeout) return undefined;
  return { ...(s.timeout ? { request: s.timeout } : {}), ...(s.backendTimeout ? { backendRequest: s.backendTimeout } : {}) };
}

/** parentRefs: service.gatewayRefs; for Linkerd's flavour without any, the apex Service itself. */
export function parentRefs(canary: Canary, flavour: HttpRouteFlavour): Json[] {
  const refs = (canary.spec.service?.gatewayRefs ?? []) as Json[];
  if (refs.length || flavour === 'gateway') return refs;
  return [{ group: 'core', kind: 'Service', name: serviceNames(canary).apex, port: canary.spec.service!.port }];
}

/**
 * The HTTPRoute spec for a split. One weighted rule for canary and blue/green (with a RequestMirror filter
 * while mirrored); A/B testing puts the matched rule first and a default rule, all to the primary, after it.
 */
export function httpRouteSpec(canary: Canary, routes: Routes, strategy: RouteStrategy, flavour: HttpRouteFlavour): Json {
  const names = serviceNames(canary);
  const port = canary.spec.service!.port;
  const ref = (name: string, weight: number): Json => ({ kind: 'Service', name, port, weight });
  const serviceMatches = ((canary.spec.service?.match ?? []) as Json[]).map(toHttpRouteMatch);
  const baseMatches = serviceMatches.length ? serviceMatches : [{ path: { type: 'PathPrefix', value: '/' } }];
  const filters = ruleFilters(canary, flavour);
  if (routes.mirrored && flavour === 'gateway') {
    filters.push({
      type: 'RequestMirror',
      requestMirror: {
        backendRef: { kind: 'Service', name: names.canary, port },
        ...(strategy.mirrorWeight !== undefined ? { percent: strategy.mirrorWeight } : {}),
      },
    });
  }
  const t = timeouts(canary);
  const rule = (matches: Json[], backendRefs: Json[]): Json => ({
    matches,
    ...(filters.length ? { filters } : {}),
    backendRefs,
    ...(t ? { timeouts: t } : {}),
  });
  const weighted = [ref(names.primary, routes.primaryWeight), ref(names.canary, routes.canaryWeight)];
  const hostnames = (canary.spec.service?.hosts ?? []).filter((h) => h !== '*');
  const head: Json = { parentRefs: parentRefs(canary, flavour), ...(hostnames.length ? { hostnames } : {}) };
  if (routes.affinity && flavour === 'gateway') {
    const sticky = stickyRules(canary, routes, baseMatches, weighted, ref);
    return { ...head, rules: [...sticky.map((r) => rule(r.matches, r.backendRefs)), rule(baseMatches, weighted)] };
  }
  if (strategy.strategy !== 'ab-testing') return { ...head, rules: [rule(baseMatches, weighted)] };
  const abMatches = (strategy.match as Json[]).map(toHttpRouteMatch);
  const merged = serviceMatches.length ? serviceMatches.flatMap((s) => abMatches.map((m) => mergeMatches(s, m))) : abMatches;
  return { ...head, rules: [rule(merged, weighted), rule(baseMatches, [ref(names.primary, 100)])] };
}

const setCookieFilter = (value: string): Json => ({
  type: 'ResponseHeaderModifier',
  responseHeaderModifier: { add: [{ name: 'Set-Cookie', value }] },
});

/**
 * Session affinity: rules matching the canary (and primary) cookie go first, each to its backend alone;
 * the weighted backends hand the cookies out with a ResponseHeaderModifier filter. Mutates weighted's refs.
 */
function stickyRules(
  canary: Canary,
  routes: Routes,
  base: Json[],
  weighted: Json[],
  ref: (name: string, weight: number) => Json,
): { matches: Json[]; backendRefs: Json[] }[] {
  const aff = routes.affinity!;
  const names = serviceNames(canary);
  const { canary: canaryCookie, primary: primaryCookie } = affinitySetCookies(aff);
  if (primaryCookie) weighted[0]!.filters = [setCookieFilter(primaryCookie)];
  if (canaryCookie) weighted[1]!.filters = [setCookieFilter(canaryCookie)];
  const withCookie = (cookie: string): Json[] =>
    base.map((m) => ({
      ...m,
      headers: [
        ...((m.headers ?? []) as Json[]).filter((h) => String(h.name).toLowerCase() !== 'cookie'),
        { type: 'RegularExpression', name: 'Cookie', value: cookieRegex(cookie) },
      ],
    }));
  const out: { matches: Json[]; backendRefs: Json[] }[] = [];
  if (aff.canaryCookie)
    out.push({
      matches: withCookie(aff.canaryCookie),
      backendRefs: [{ ...ref(names.canary, 1), ...(canaryCookie ? { filters: [setCookieFilter(canaryCookie)] } : {}) }],
    });
  if (aff.primaryCookie)
    out.push({
      matches: withCookie(aff.primaryCookie),
      backendRefs: [{ ...ref(names.primary, 1), filters: [setCookieFilter(primaryCookie!)] }],
    });
  return out;
}

/** A service match narrowed by an A/B match: the service's path, both sets of header and query conditions. */
function mergeMatches(service: Json, ab: Json): Json {
  // Lists are keyed by name: the A/B condition replaces a service condition on the same name, as in Istio.
  const both = (k: string): Json[] => {
    const mine = (ab[k] ?? []) as Json[];
    return [...((service[k] ?? []) as Json[]).filter((s) => !mine.some((m) => m.name === s.name)), ...mine];
  };
  const out: Json = { path: service.path };
  if (both('headers').length) out.headers = both('headers');
  if (both('queryParams').length) out.queryParams = both('queryParams');
  const method = ab.method ?? service.method;
  if (method) out.method = method;
  return out;
}

/** Reads the split back from the rule that routes to both primary and canary. */
export function routesOfHttpRoute(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  for (const rule of (spec?.rules ?? []) as Json[]) {
    const refs = (rule.backendRefs ?? []) as Json[];
    const p = refs.find((r) => r.name === names.primary);
    const c = refs.find((r) => r.name === names.canary);
    if (!p || !c) continue;
    const pw = Number(p.weight ?? 1);
    const cw = Number(c.weight ?? 1);
    const mirrored = ((rule.filters ?? []) as Json[]).some(
      (f) => f.type === 'RequestMirror' && ((f.requestMirror as Json | undefined)?.backendRef as Json | undefined)?.name === names.canary,
    );
    return routesOfWeights(pw, cw, mirrored);
  }
  return undefined;
}
