import type { Canary, StringMatch } from '../../api/types.js';
import { notAppliedNotice, ROUTING_FIELDS, routesFor, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { affixRegex } from '../match.js';

/*
 * Emissary-ingress (formerly Ambassador; getambassador.io/v3alpha1 Mapping), as Argo Rollouts' Ambassador router
 * does it: the user's Mapping (service.mappings, or the one named like the apex Service) is only read; its clone
 * `<mapping>-canary`, owned by the Canary, points at the canary Service and carries `weight`. Emissary groups the
 * Mappings of one route (same prefix, host, headers...) and gives a weighted Mapping its share; the unweighted
 * user's Mapping takes the rest, to the apex Service (which selects the primary pods). At weight 0 the clone is
 * deleted, as Argo does. A/B testing: the clone with the match's headers and query parameters and no weight (a
 * more specific route, all of it to the canary). Mirroring: the clone with `shadow: true`, `weight` the mirrored share.
 */

type Json = Record<string, unknown>;

/** The fields of the user's Mapping a clone does not copy: its stats would merge with the user's (one stats name). */
const NOT_CLONED = ['stats_name', 'weight', 'shadow'] as const;

/** The user's Mappings: service.mappings, or the one named like the apex Service. */
export function mappingNames(canary: Canary): string[] {
  const listed = canary.spec.service?.mappings?.filter((m) => typeof m === 'string' && m !== '') ?? [];
  return listed.length ? [...new Set(listed)] : [serviceNames(canary).apex];
}

/** The clone's name, as Argo Rollouts names it (the user's name cut to 246 characters, so it stays a valid name). */
export const canaryMappingName = (mapping: string): string => `${mapping.slice(0, 246)}-canary`;

/** A Mapping's `service`, taken apart: [scheme://]name[.namespace...][:port]. */
interface ServiceRef {
  scheme: string;
  name: string;
  /** `.namespace`, `.namespace.svc.cluster.local`, or empty: as the user spelled it. */
  suffix: string;
  /** `:9898`, or empty. */
  port: string;
}

export function parseService(service: string): ServiceRef | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)((\.[-a-zA-Z0-9]+)*)(:[0-9]+)?$/.exec(service);
  if (!m) return undefined;
  return { scheme: m[1] ?? '', name: m[2]!, suffix: m[4] ?? '', port: m[6] ?? '' };
}

/** Whether a Mapping's service names the apex Service: its name, in the Canary's namespace or none. */
function namesApex(ref: ServiceRef, canary: Canary): boolean {
  const ns = ref.suffix.split('.')[1];
  return ref.name === serviceNames(canary).apex && (ns === undefined || ns === canary.metadata.namespace);
}

/** Why the user's Mapping cannot be cloned (TargetInvalid); undefined when it can. */
export function userMappingProblem(name: string, spec: Json | undefined, canary: Canary): string | undefined {
  const at = `Mapping ${canary.metadata.namespace}/${name}`;
  const ref = typeof spec?.service === 'string' ? parseService(spec.service) : undefined;
  if (!ref || !namesApex(ref, canary))
    return `${at} does not send to Service ${serviceNames(canary).apex} (spec.service ${JSON.stringify(spec?.service ?? null)}): nothing to send to the canary`;
  if (spec?.weight !== undefined)
    return `${at} sets weight: the Mapping the canary shares must be unweighted (it takes what the canary does not)`;
  if (spec?.shadow === true) return `${at} is a shadow Mapping: name the Mapping that serves the route`;
  return undefined;
}

/** The canary Service as the user's Mapping spells the apex: same scheme, namespace suffix and port. */
export function canaryService(userService: string, canary: Canary): string {
  const ref = parseService(userService)!;
  return `${ref.scheme}${serviceNames(canary).canary}${ref.suffix}${ref.port}`;
}

/** What Emissary can match a request on for the canary: exact and regex headers and query parameters, one method. */
export interface EmissaryMatch {
  headers: Record<string, string>;
  regexHeaders: Record<string, string>;
  query: Record<string, string>;
  regexQuery: Record<string, string>;
  method?: string;
}

/** A condition as Emissary takes it: exact, or an RE2 regex Envoy matches against the whole value. */
function condition(m: StringMatch): { exact?: string; regex?: string } | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.regex !== undefined) return { regex: m.regex };
  const affix = affixRegex(m);
  return affix === undefined ? undefined : { regex: affix };
}

function addConditions(at: string, kind: 'headers' | 'queryParams', entry: Json, out: EmissaryMatch, errors: string[]): void {
  const [exact, regex] = kind === 'headers' ? [out.headers, out.regexHeaders] : [out.query, out.regexQuery];
  for (const [name, m] of Object.entries((entry[kind] ?? {}) as Record<string, StringMatch>)) {
    const c = condition(m);
    if (!c) errors.push(`${at}.${kind}.${name}: emissary cannot match the mere presence: give exact, regex, prefix or suffix`);
    else if (c.exact !== undefined) exact[name] = c.exact;
    else regex[name] = c.regex!;
  }
}

/**
 * The A/B conditions (analysis.match, Istio's HTTPMatchRequest shape) as one Mapping's: all of a Mapping's conditions
 * must hold, so one match entry only (Istio's entries are alternatives); headers, queryParams and an exact method.
 */
export function emissaryMatch(match: readonly Json[]): { match: EmissaryMatch; errors: string[] } {
  const out: EmissaryMatch = { headers: {}, regexHeaders: {}, query: {}, regexQuery: {} };
  const errors: string[] = [];
  if (match.length > 1)
    errors.push(`analysis.match: emissary takes one entry (all of a Mapping's conditions hold at once), not ${match.length}`);
  const entry = match[0] ?? {};
  for (const key of Object.keys(entry).filter((k) => !['headers', 'queryParams', 'method', 'name'].includes(k)))
    errors.push(`analysis.match[0].${key}: emissary routes to the canary by headers, queryParams and method only`);
  addConditions('analysis.match[0]', 'headers', entry, out, errors);
  addConditions('analysis.match[0]', 'queryParams', entry, out, errors);
  const method = entry.method as StringMatch | undefined;
  if (method !== undefined && method.exact === undefined) errors.push('analysis.match[0].method: emissary matches an exact method only');
  else if (method?.exact !== undefined) out.method = method.exact;
  const conditions = Object.keys({ ...out.headers, ...out.regexHeaders, ...out.query, ...out.regexQuery }).length;
  if (!errors.length && conditions === 0 && out.method === undefined)
    errors.push('analysis.match[0]: needs a header, query parameter or method condition for emissary');
  return { match: out, errors };
}

const nonEmpty = (key: string, m: Record<string, string>, user: unknown): Json =>
  Object.keys(m).length ? { [key]: { ...(user as Record<string, string> | undefined), ...m } } : {};

/** The user's conditions with the A/B match's over them. */
function matchFields(user: Json, m: EmissaryMatch): Json {
  return {
    ...nonEmpty('headers', m.headers, user.headers),
    ...nonEmpty('regex_headers', m.regexHeaders, user.regex_headers),
    ...nonEmpty('query_parameters', m.query, user.query_parameters),
    ...nonEmpty('regex_query_parameters', m.regexQuery, user.regex_query_parameters),
    ...(m.method !== undefined ? { method: m.method } : {}),
  };
}

/**
 * The clone's spec for a split; undefined when there must be none (weight 0, not mirrored: the user's Mapping alone
 * serves the route). A/B testing (canary on): the match and no weight. Mirroring (canary at 0): shadow, weight the
 * mirrored share (all when unset). Otherwise the canary's weight.
 */
export function canaryMappingSpec(user: Json, canary: Canary, routes: Routes, strategy: RouteStrategy): Json | undefined {
  const base: Json = Object.fromEntries(Object.entries(user).filter(([k]) => !(NOT_CLONED as readonly string[]).includes(k)));
  base.service = canaryService(String(user.service), canary);
  if (routes.canaryWeight > 0 && strategy.strategy === 'ab-testing')
    return { ...base, ...matchFields(user, emissaryMatch(strategy.match).match) };
  if (routes.canaryWeight > 0) return { ...base, weight: routes.canaryWeight };
  if (!routes.mirrored) return undefined;
  return { ...base, shadow: true, ...(strategy.mirrorWeight !== undefined ? { weight: strategy.mirrorWeight } : {}) };
}

/**
 * The split a live clone carries: none (deleted) is 0; a shadow clone mirrors with the canary at 0; a weighted one
 * carries its weight (Emissary caps a group at 100); an unweighted one is the A/B clone: matched requests all go
 * to the canary (100, as Flagger reads a match rule).
 */
export function routesOfCanaryMapping(spec: Json | undefined): Routes {
  if (!spec) return routesFor(0);
  if (spec.shadow === true) return routesFor(0, true);
  if (spec.weight === undefined) return routesFor(100);
  const w = Number(spec.weight);
  return routesFor(Number.isInteger(w) ? Math.min(100, Math.max(0, w)) : 0);
}

/** Service fields the clone has no place for: the user's Mapping carries the routing. */
const NOT_APPLIED = ROUTING_FIELDS;

/** A/B matches Emissary cannot carry are errors; service fields the Mapping does not take are a notice. */
export function validateForEmissary(canary: Canary, strategy: RouteStrategy, provider: string): RouterValidation {
  const errors = strategy.strategy === 'ab-testing' ? emissaryMatch(strategy.match).errors : [];
  const notices = notAppliedNotice(canary, provider, NOT_APPLIED, "the user's Mapping (service.mappings) carries the routing");
  return { errors, notices };
}
