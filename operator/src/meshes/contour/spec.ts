import type { Canary, StringMatch } from '../../api/types.js';
import {
  notAppliedNotice,
  routingFieldsExcept,
  routesFor,
  routesOfWeights,
  type RouterValidation,
  type Routes,
  type RouteStrategy,
} from '../router.js';
import { serviceNames } from '../services.js';
import { affixRegex } from '../match.js';

type Json = Record<string, unknown>;

/*
 * Contour's HTTPProxy (projectcontour.io/v1), as Flagger's contour router writes it: a non-root proxy `<apex>` (no
 * virtualhost: the user's root HTTPProxy includes it) whose routes send traffic to `<apex>-primary` and
 * `<apex>-canary` by weight. Every route has exactly one path condition (Contour refuses a route with two), and the
 * conditions of a route are ANDed, so each Istio-style match (the Canary's field shape, ORed) becomes a route.
 */

/** Go's duration syntax, as the HTTPProxy schema checks timeoutPolicy and retryPolicy durations. */
const CONTOUR_DURATION =
  /^(((\d*(\.\d*)?h)|(\d*(\.\d*)?m)|(\d*(\.\d*)?s)|(\d*(\.\d*)?ms)|(\d*(\.\d*)?us)|(\d*(\.\d*)?µs)|(\d*(\.\d*)?ns))+|infinity|infinite)$/;

/** retryPolicy.retryOn values the HTTPProxy schema accepts (Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on). */
const RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/** Flagger's idle timeout next to a service.timeout (timeoutPolicy.idle). */
const IDLE_TIMEOUT = '5m';

/** Istio match fields an HTTPProxy condition can carry. */
const CONVERTIBLE = new Set(['uri', 'headers', 'queryParams', 'name']);

/** Service fields the HTTPProxy does not carry (Flagger's contour router ignores them too). */
const NOT_APPLIED = routingFieldsExcept('match', 'retries', 'timeout');

/** A header condition: Contour has no prefix or suffix there, and matches regular expressions against the whole value. */
function headerCondition(name: string, m: StringMatch): Json {
  if (m.exact !== undefined) return { name, exact: m.exact };
  if (m.regex !== undefined) return { name, regex: m.regex };
  const affix = affixRegex(m);
  if (affix !== undefined) return { name, regex: affix };
  return { name, present: true };
}

/** A query parameter condition: every Istio string match has its own field. */
function queryCondition(name: string, m: StringMatch): Json {
  for (const k of ['exact', 'regex', 'prefix', 'suffix'] as const) if (m[k] !== undefined) return { name, [k]: m[k] };
  return { name, present: true };
}

/** The path condition of a route: the match's uri, or every path. */
function pathCondition(uri: StringMatch | undefined): Json {
  if (uri?.exact !== undefined) return { exact: uri.exact };
  if (uri?.regex !== undefined) return { regex: uri.regex };
  if (uri?.suffix !== undefined) return { regex: affixRegex({ suffix: uri.suffix }) };
  return { prefix: uri?.prefix ?? '/' };
}

/** The conditions of one Istio-style match, ANDed as Contour applies them: one path condition, then headers and query. */
export function conditionsOf(match: Json): Json[] {
  const entries = (map: unknown): [string, StringMatch][] => Object.entries((map ?? {}) as Record<string, StringMatch>);
  return [
    pathCondition(match.uri as StringMatch | undefined),
    ...entries(match.headers).map(([name, m]) => ({ header: headerCondition(name, m) })),
    ...entries(match.queryParams).map(([name, m]) => ({ queryParameter: queryCondition(name, m) })),
  ];
}

/** A service match narrowed by an A/B match: the A/B uri if it has one, both sets of headers and query conditions. */
function narrowed(service: Json, ab: Json): Json {
  const both = (k: string): Json | undefined =>
    service[k] || ab[k] ? { ...(service[k] as Json | undefined), ...(ab[k] as Json | undefined) } : undefined;
  const out: Json = {};
  const uri = ab.uri ?? service.uri;
  if (uri) out.uri = uri;
  for (const k of ['headers', 'queryParams']) if (both(k)) out[k] = both(k);
  return out;
}

const serviceMatches = (canary: Canary): Json[] => {
  const m = (canary.spec.service?.match ?? []) as Json[];
  return m.length ? m : [{}];
};

/** Match fields no HTTPProxy condition can express: refused by validate, never silently dropped. */
export function unconvertibleMatchFields(canary: Canary, strategy: RouteStrategy): string[] {
  const all = [...((canary.spec.service?.match ?? []) as Json[]), ...(strategy.match as Json[])];
  return [...new Set(all.flatMap((m) => Object.keys(m).filter((k) => !CONVERTIBLE.has(k))))];
}

/** Istio's comma-separated retryOn split into Contour's conditions and status codes (e.g. "5xx,503"). */
export function retryOnOf(retryOn: string | undefined): { retryOn: string[]; codes: number[]; unknown: string[] } {
  const tokens = (retryOn ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const codes = tokens.filter((t) => /^[1-5][0-9]{2}$/.test(t)).map(Number);
  const known = tokens.filter((t) => RETRY_ON.has(t));
  const unknown = tokens.filter((t) => !RETRY_ON.has(t) && !/^[1-5][0-9]{2}$/.test(t));
  const withCodes = codes.length && !known.includes('retriable-status-codes') ? [...known, 'retriable-status-codes'] : known;
  return { retryOn: withCodes, codes, unknown };
}

/** timeoutPolicy and retryPolicy of every route, from service.timeout and service.retries. */
function policies(canary: Canary): Json {
  const s = canary.spec.service!;
  const out: Json = {};
  if (s.timeout) out.timeoutPolicy = { response: s.timeout, idle: IDLE_TIMEOUT };
  if (s.retries) {
    const r = retryOnOf(s.retries.retryOn);
    out.retryPolicy = {
      // Istio's attempts 0 turns retries off: Contour's count -1 (0 would mean Envoy's default, one retry).
      ...(s.retries.attempts !== undefined ? { count: s.retries.attempts === 0 ? -1 : s.retries.attempts } : {}),
      ...(s.retries.perTryTimeout ? { perTryTimeout: s.retries.perTryTimeout } : {}),
      ...(r.retryOn.length ? { retryOn: r.retryOn } : {}),
      ...(r.codes.length ? { retriableStatusCodes: r.codes } : {}),
    };
  }
  return out;
}

/** One backend Service; l5d-dst-override lets a Linkerd-injected Envoy reach it (as Flagger sets it). */
function backend(canary: Canary, name: string, weight: number): Json {
  const port = canary.spec.service!.port;
  return {
    name,
    port,
    weight,
    requestHeadersPolicy: { set: [{ name: 'l5d-dst-override', value: `${name}.${canary.metadata.namespace}.svc.cluster.local:${port}` }] },
  };
}

/**
 * The HTTPProxy spec for a split. Canary and blue/green: one weighted route per service match (or one for every
 * path). A/B testing: one weighted route per A/B match narrowing each service match, then the default routes, all
 * to the primary; Contour prefers the routes with more conditions, so matched requests take the weighted ones.
 */
export function httpProxySpec(canary: Canary, routes: Routes, strategy: RouteStrategy): Json {
  const names = serviceNames(canary);
  const options = policies(canary);
  const weighted = [backend(canary, names.primary, routes.primaryWeight), backend(canary, names.canary, routes.canaryWeight)];
  const route = (match: Json, services: Json[]): Json => ({ conditions: conditionsOf(match), ...options, services });
  const base = serviceMatches(canary);
  if (strategy.strategy !== 'ab-testing') return { routes: base.map((m) => route(m, weighted)) };
  const ab = base.flatMap((s) => (strategy.match as Json[]).map((m) => narrowed(s, m)));
  return {
    routes: [...ab.map((m) => route(m, weighted)), ...base.map((m) => route(m, [backend(canary, names.primary, 100)]))],
  };
}

/** Reads the split back from the first route sending traffic to both primary and canary (weights made percentages). */
export function routesOfHttpProxy(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  for (const route of (spec?.routes ?? []) as Json[]) {
    const services = (route.services ?? []) as Json[];
    const p = services.find((s) => s.name === names.primary);
    const c = services.find((s) => s.name === names.canary);
    if (p && c) return routesOfWeights(Number(p.weight ?? 0), Number(c.weight ?? 0));
  }
  return undefined;
}

/** Whether a match compares a header by prefix or suffix, which Flagger's contour router turned into "contains". */
function affixHeaderMatches(canary: Canary, strategy: RouteStrategy): boolean {
  const all = [...((canary.spec.service?.match ?? []) as Json[]), ...(strategy.match as Json[])];
  return all.some((m) =>
    Object.values((m.headers ?? {}) as Record<string, StringMatch>).some((h) => h.prefix !== undefined || h.suffix !== undefined),
  );
}

/**
 * Whether two routes of the HTTPProxy would have the same conditions (compared as a set, as they are ANDed): an A/B
 * match that adds nothing to the service match repeats the default route; an A/B match with its own uri gives the
 * same route for every service match; two matches may repeat each other. Contour cannot tell such routes apart.
 */
function repeatedRoutes(canary: Canary, strategy: RouteStrategy): boolean {
  const routes = httpProxySpec(canary, routesFor(0), strategy).routes as { conditions: Json[] }[];
  const keys = routes.map((r) => JSON.stringify(r.conditions.map((c) => JSON.stringify(c)).sort()));
  return new Set(keys).size < keys.length;
}

/** What the HTTPProxy cannot carry: refused (errors) or not applied (a notice). */
export function validateForContour(canary: Canary, strategy: RouteStrategy): RouterValidation {
  const s = canary.spec.service;
  const errors: string[] = [];
  const lost = unconvertibleMatchFields(canary, strategy);
  if (lost.length)
    errors.push(`match fields ${lost.join(', ')} cannot be expressed as HTTPProxy conditions (uri, headers, queryParams can)`);
  for (const [field, value] of [
    ['timeout', s?.timeout],
    ['retries.perTryTimeout', s?.retries?.perTryTimeout],
  ] as const) {
    if (value !== undefined && value !== '' && !CONTOUR_DURATION.test(value))
      errors.push(`service.${field} ${value} is not a Contour duration (e.g. 30s, 1m30s, 500ms, infinity)`);
  }
  if (s && repeatedRoutes(canary, strategy))
    errors.push(
      'two routes of the HTTPProxy would have the same conditions (an analysis.match entry adding nothing to a service match, or matches repeating each other): Contour cannot tell them apart',
    );
  const unknown = retryOnOf(s?.retries?.retryOn).unknown;
  if (unknown.length)
    errors.push(
      `service.retries.retryOn ${unknown.join(', ')} has no HTTPProxy retryOn condition (known: ${[...RETRY_ON].join(', ')}, or status codes)`,
    );
  const notices = notAppliedNotice(
    canary,
    'contour',
    NOT_APPLIED,
    `the HTTPProxy ${serviceNames(canary).apex} carries conditions, weights, timeout and retries; include it from your root HTTPProxy`,
  );
  if (affixHeaderMatches(canary, strategy))
    notices.push(
      'header prefix and suffix matches are matched as a prefix and a suffix of the whole value (Flagger matched them as "contains" on contour): use regex: ".*Mobile.*" for a substring',
    );
  return { errors, notices };
}
