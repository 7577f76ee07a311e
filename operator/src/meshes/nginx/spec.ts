import type { Canary, OwnerReference, StringMatch } from '../../api/types.js';
import { LAST_APPLIED } from '@tollgate/contract/metadata';
import { cloneOf, ingressBackends, type CloneProvider, type Ingress } from '../ingress.js';
import { routesFor, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { escapeRegex } from '../../util/regex.js';

/*
 * NGINX Ingress canaries (as Flagger's nginx router): the user's Ingress (spec.ingressRef) is cloned as
 * `<ingress>-canary`, its backends that name the apex Service renamed to `<apex>-canary`, and the clone carries
 * ingress-nginx's canary annotations. The user's Ingress is never changed: it keeps sending its share to the apex
 * Service, which selects the primary pods.
 */

type Json = Record<string, unknown>;

const PREFIX = 'nginx.ingress.kubernetes.io';
/** ingress-nginx's canary annotations (docs/user-guide/nginx-configuration/annotations.md, "Canary"). */
export const NGINX_ANNOTATIONS = {
  canary: `${PREFIX}/canary`,
  weight: `${PREFIX}/canary-weight`,
  header: `${PREFIX}/canary-by-header`,
  headerValue: `${PREFIX}/canary-by-header-value`,
  headerPattern: `${PREFIX}/canary-by-header-pattern`,
  cookie: `${PREFIX}/canary-by-cookie`,
} as const;

/** What nginx can route to the canary by: one request header (a value or a pattern) and/or one cookie. */
export interface NginxMatch {
  header?: { name: string; value?: string; pattern?: string };
  /** The cookie's name: its value "always" sends the request to the canary, "never" keeps it off. */
  cookie?: string;
}

function headerCondition(name: string, m: StringMatch): NginxMatch['header'] | undefined {
  if (m.exact !== undefined) return { name, value: m.exact };
  if (m.regex !== undefined) return { name, pattern: m.regex };
  if (m.prefix !== undefined) return { name, pattern: `^${escapeRegex(m.prefix)}` };
  if (m.suffix !== undefined) return { name, pattern: `${escapeRegex(m.suffix)}$` };
  return undefined;
}

const sameHeader = (a: NginxMatch['header'], b: NginxMatch['header']): boolean =>
  a?.name === b?.name && a?.value === b?.value && a?.pattern === b?.pattern;

/**
 * The A/B conditions (analysis.match, Istio's HTTPMatchRequest shape) as nginx annotations. Match entries are
 * alternatives, as nginx's header and cookie are: one entry with a header, another with a cookie is fine; one
 * entry with both (both must hold), two different headers, uri, query or method conditions are errors.
 */
export function nginxMatch(match: readonly Json[]): { match: NginxMatch; errors: string[] } {
  const out: NginxMatch = {};
  const errors: string[] = [];
  match.forEach((entry, i) => {
    const at = `analysis.match[${i}]`;
    for (const key of Object.keys(entry).filter((k) => k !== 'headers' && k !== 'name'))
      errors.push(`${at}.${key}: nginx routes to the canary by one request header or one cookie only`);
    const headers = Object.entries((entry.headers ?? {}) as Record<string, StringMatch>);
    if (headers.length === 0) errors.push(`${at}: needs a header or cookie condition for nginx`);
    if (headers.length > 1) errors.push(`${at}: nginx cannot require several conditions at once (${headers.map(([k]) => k).join(', ')})`);
    for (const [name, m] of headers) {
      if (name.toLowerCase() === 'cookie') {
        if (m.exact === undefined)
          errors.push(`${at}.headers.cookie: give the cookie's name as exact (nginx routes on its value "always")`);
        else if (out.cookie !== undefined && out.cookie !== m.exact) errors.push(`${at}: nginx routes by one cookie only`);
        else out.cookie = m.exact;
        continue;
      }
      const h = headerCondition(name, m);
      if (!h) errors.push(`${at}.headers.${name}: nginx cannot match the presence of a header: give exact, regex, prefix or suffix`);
      else if (out.header && !sameHeader(out.header, h))
        errors.push(`${at}: nginx routes by one header only (${out.header.name} and ${name})`);
      else out.header = h;
    }
  });
  return { match: out, errors };
}

function matchAnnotations(m: NginxMatch): Record<string, string> {
  const out: Record<string, string> = {};
  if (m.header) out[NGINX_ANNOTATIONS.header] = m.header.name;
  if (m.header?.value !== undefined) out[NGINX_ANNOTATIONS.headerValue] = m.header.value;
  if (m.header?.pattern !== undefined) out[NGINX_ANNOTATIONS.headerPattern] = m.header.pattern;
  if (m.cookie !== undefined) out[NGINX_ANNOTATIONS.cookie] = m.cookie;
  return out;
}

/**
 * The clone's annotations: the user's, without ingress-nginx canary ones (a user's canary-by-header would route
 * behind the operator's back) and kubectl's last-applied record, then canary "true" and the weight. A/B testing
 * while the canary is on: the match annotations and weight 0, so only matched requests reach the canary.
 */
export function canaryAnnotations(
  user: Record<string, string> | undefined,
  routes: Routes,
  strategy: RouteStrategy,
): Record<string, string> {
  const kept = Object.entries(user ?? {}).filter(([k]) => !k.startsWith(NGINX_ANNOTATIONS.canary) && k !== LAST_APPLIED);
  const matching = strategy.strategy === 'ab-testing' && routes.canaryWeight > 0;
  return {
    ...Object.fromEntries(kept),
    [NGINX_ANNOTATIONS.canary]: 'true',
    [NGINX_ANNOTATIONS.weight]: String(matching ? 0 : routes.canaryWeight),
    ...(matching ? matchAnnotations(nginxMatch(strategy.match).match) : {}),
  };
}

/**
 * The clone's spec: the user's Ingress spec (hosts, paths, TLS, class) with every backend that names the apex
 * Service sent to the canary Service. Undefined when no backend names the apex: the clone would route nothing.
 */
export function canaryIngressSpec(user: Json | undefined, apex: string, canaryService: string): Json | undefined {
  const spec = JSON.parse(JSON.stringify(user ?? {})) as Json;
  const renamed = ingressBackends(spec).filter((b) => b.service?.name === apex);
  for (const b of renamed) b.service!.name = canaryService;
  return renamed.length ? spec : undefined;
}

/** The clone as it must be: undefined when the user's Ingress has no backend naming the apex Service. */
export function canaryIngress(
  user: Ingress,
  canary: Canary,
  routes: Routes,
  strategy: RouteStrategy,
  owner: OwnerReference,
): Ingress | undefined {
  const names = serviceNames(canary);
  const spec = canaryIngressSpec(user.spec, names.apex, names.canary);
  return spec && cloneOf(user, canary, spec, canaryAnnotations(user.metadata.annotations, routes, strategy), owner);
}

/**
 * The split the clone carries, read back: a match annotation means matched requests go to the canary (100, as
 * Flagger reads it); otherwise canary-weight, 0 when absent, not a whole number from 0 to 100 (nginx ignores it
 * then), or when the clone is not marked canary "true".
 */
export function routesOfCanaryIngress(live: Ingress | undefined): Routes | undefined {
  if (!live) return undefined;
  const a = live.metadata.annotations ?? {};
  if (a[NGINX_ANNOTATIONS.canary] !== 'true') return routesFor(0);
  if (a[NGINX_ANNOTATIONS.header] !== undefined || a[NGINX_ANNOTATIONS.cookie] !== undefined) return routesFor(100);
  const text = a[NGINX_ANNOTATIONS.weight] ?? '';
  const weight = /^[0-9]{1,3}$/.test(text) ? Number(text) : 0;
  return routesFor(weight <= 100 ? weight : 0);
}

/** The nginx clone for IngressCloneRouter. */
export const NGINX_CLONE: CloneProvider = {
  desired: canaryIngress,
  routesOf: (_canary, live) => routesOfCanaryIngress(live),
  matchErrors: (match) => nginxMatch(match).errors,
};
