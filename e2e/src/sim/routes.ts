import type { KubeObject } from '@tollgate/operator/api/types';
import {
  albMatcher,
  apisixMatcher,
  appMeshMatcher,
  contourMatcher,
  emissaryMatcher,
  glooMatcher,
  httpRouteMatcher,
  istioMatcher,
  nginxCanaryMatcher,
  type Matcher,
} from './istio-match.js';

type Json = Record<string, unknown>;
export type MeshObject = KubeObject & { spec?: Json };

/** One routing rule, whatever mesh object it came from: who it applies to and where the traffic goes. */
export interface Rule {
  applies: Matcher;
  backends: { service: string; weight: number }[];
  mirror?: { service: string; percent: number };
  /** The APISIX route the rule is (`<namespace>_<ApisixRoute>_<rule>`): APISIX labels its request metrics with it. */
  apisixRoute?: string;
}

/** What users reach by the apex name, in the order the mesh evaluates its rules. */
export interface RouteTable {
  namespace: string;
  apex: string;
  rules: Rule[];
  /** The Ingress users reach it through (NGINX): ingress-nginx labels its request metrics with it. */
  ingress?: string;
  /** The Ingress, host and path of the Skipper route taken: Skipper names its route metrics after them. */
  skipperRoute?: SkipperRoute;
}

export interface SkipperRoute {
  ingress: string;
  host: string;
  path: string;
}

/** "podinfo-canary.test.svc.cluster.local" and "podinfo-canary" both name the Service podinfo-canary. */
const serviceOf = (host: string): string => host.split('.')[0]!;

/** A VirtualService's http rules, then its tcp rules (a TCP port's; the stand-in sends them its requests all the same). */
export function fromVirtualService(vs: MeshObject): RouteTable {
  const rules = [...((vs.spec?.http ?? []) as Json[]), ...((vs.spec?.tcp ?? []) as Json[]).map(({ match: _port, ...r }) => r)].map(
    (r): Rule => {
      const mirror = r.mirror as { host?: string } | undefined;
      const percent = Number(((r.mirrorPercentage as Json | undefined)?.value as number | undefined) ?? 100);
      return {
        applies: istioMatcher(r.match as Json[] | undefined),
        backends: ((r.route ?? []) as Json[]).map((d) => ({
          service: serviceOf(String((d.destination as Json).host)),
          weight: Number(d.weight ?? ((r.route as Json[]).length === 1 ? 100 : 0)),
        })),
        ...(mirror?.host ? { mirror: { service: serviceOf(mirror.host), percent } } : {}),
      };
    },
  );
  return { namespace: vs.metadata.namespace!, apex: vs.metadata.name!, rules };
}

/** Kubernetes quantities as relative weights ("900m", "1", 90). */
function quantity(q: unknown): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(m?)$/.exec(String(q ?? ''));
  return m ? Number(m[1]) / (m[2] === 'm' ? 1000 : 1) : 0;
}

export function fromTrafficSplit(ts: MeshObject): RouteTable {
  const backends = ((ts.spec?.backends ?? []) as Json[]).map((b) => ({ service: String(b.service), weight: quantity(b.weight) }));
  return {
    namespace: ts.metadata.namespace!,
    apex: serviceOf(String(ts.spec?.service ?? ts.metadata.name)),
    rules: [{ applies: () => true, backends }],
  };
}

export function fromHttpRoute(route: MeshObject): RouteTable {
  const rules = ((route.spec?.rules ?? []) as Json[]).map((r): Rule => {
    const mirror = ((r.filters ?? []) as Json[]).find((f) => f.type === 'RequestMirror')?.requestMirror as Json | undefined;
    const mirrorRef = mirror?.backendRef as { name?: string } | undefined;
    return {
      applies: httpRouteMatcher(r.matches as Json[] | undefined),
      backends: ((r.backendRefs ?? []) as Json[]).map((b) => ({ service: String(b.name), weight: Number(b.weight ?? 1) })),
      ...(mirrorRef?.name ? { mirror: { service: mirrorRef.name, percent: Number(mirror?.percent ?? 100) } } : {}),
    };
  });
  return { namespace: route.metadata.namespace!, apex: route.metadata.name!, rules };
}

/** App Mesh: routes by priority; each weighted target is a VirtualNode, found by DNS name to its Service. */
export function fromVirtualRouter(router: MeshObject, nodeService: (name: string) => string | undefined): RouteTable {
  const routes = [...((router.spec?.routes ?? []) as Json[])].sort((a, b) => Number(a.priority ?? 1000) - Number(b.priority ?? 1000));
  const rules = routes.map((r): Rule => {
    const body = (r.httpRoute ?? r.http2Route ?? {}) as Json;
    const targets = ((body.action as Json | undefined)?.weightedTargets ?? []) as { virtualNodeRef?: { name?: string }; weight?: number }[];
    return {
      applies: appMeshMatcher(body.match as Json | undefined),
      backends: targets
        .map((t) => ({ service: nodeService(t.virtualNodeRef?.name ?? '') ?? '', weight: Number(t.weight ?? 0) }))
        .filter((b) => b.service),
    };
  });
  return { namespace: router.metadata.namespace!, apex: router.metadata.name!, rules };
}

/** The Service a VirtualNode stands for: the first label of its DNS service discovery name. */
export function serviceOfVirtualNode(node: MeshObject | undefined): string | undefined {
  const host = ((node?.spec?.serviceDiscovery as Json | undefined)?.dns as { hostname?: string } | undefined)?.hostname;
  return host ? serviceOf(host) : undefined;
}

const NGINX = 'nginx.ingress.kubernetes.io';
type IngressPath = { path?: string; backend?: { service?: { name?: string } } };
const hostPaths = (o: MeshObject): { host: string; path: string; service: string }[] =>
  ((o.spec?.rules ?? []) as { host?: string; http?: { paths?: IngressPath[] } }[]).flatMap((r) =>
    (r.http?.paths ?? []).map((p) => ({ host: r.host ?? '', path: p.path ?? '/', service: p.backend?.service?.name ?? '' })),
  );

/** An NGINX canary Ingress: one with the annotation canary "true". */
export const isNginxCanary = (o: MeshObject): boolean => o.metadata.annotations?.[`${NGINX}/canary`] === 'true';

const BACKEND_WEIGHTS = 'zalando.org/backend-weights';
/** A Skipper canary Ingress: one with backend weights. */
const isSkipperCanary = (o: MeshObject): boolean => o.metadata.annotations?.[BACKEND_WEIGHTS] !== undefined;

/**
 * The Ingress a canary Ingress shadows, as ingress-nginx pairs them (a plain Ingress with the canary's first host
 * and path), and the Service it sends that host and path to.
 */
export function mainIngressOf(canary: MeshObject, ingresses: MeshObject[]): { ingress: string; service: string } | undefined {
  const first = hostPaths(canary)[0];
  for (const o of ingresses) {
    if (isNginxCanary(o) || isSkipperCanary(o) || o.metadata.namespace !== canary.metadata.namespace) continue;
    const hit = hostPaths(o).find((hp) => hp.host === first?.host && hp.path === first.path);
    if (hit?.service) return { ingress: o.metadata.name!, service: hit.service };
  }
  return undefined;
}

/**
 * NGINX: the host and path of `main` (the user's Ingress, to `main.service`) shadowed by a canary Ingress: requests
 * its header or cookie annotations pick go to the canary's backend, the rest split by canary-weight.
 */
export function fromNginxCanary(canary: MeshObject, main: { ingress: string; service: string }): RouteTable | undefined {
  const service = hostPaths(canary)[0]?.service;
  if (!isNginxCanary(canary) || !service) return undefined;
  const a = canary.metadata.annotations ?? {};
  const weight = Math.min(100, Math.max(0, Number(a[`${NGINX}/canary-weight`] ?? 0) || 0));
  const picked = nginxCanaryMatcher(a);
  return {
    namespace: canary.metadata.namespace!,
    apex: main.service,
    ingress: main.ingress,
    rules: [
      { applies: (req) => picked(req) === 'canary', backends: [{ service, weight: 100 }] },
      { applies: (req) => picked(req) === 'main', backends: [{ service: main.service, weight: 100 }] },
      {
        applies: () => true,
        backends: [
          { service: main.service, weight: 100 - weight },
          { service, weight },
        ],
      },
    ],
  };
}

/**
 * Skipper: a canary Ingress whose first host and path goes to several backends split by backend-weights; its
 * predicate Weight(100) wins over the user's Ingress (`main`), False() turns it off (the user's Ingress serves).
 */
export function fromSkipperCanary(canary: MeshObject, main: { ingress: string; service: string }): RouteTable | undefined {
  const a = canary.metadata.annotations ?? {};
  const [first, ...rest] = hostPaths(canary);
  if (!first || a[BACKEND_WEIGHTS] === undefined) return undefined;
  const services = [first, ...rest].filter((hp) => hp.host === first.host && hp.path === first.path).map((hp) => hp.service);
  const at = { host: first.host, path: first.path };
  const off = (a['zalando.org/skipper-predicate'] ?? '').split('&&').some((p) => p.trim() === 'False()');
  if (off)
    return {
      namespace: canary.metadata.namespace!,
      apex: main.service,
      skipperRoute: { ingress: main.ingress, ...at },
      rules: [
        {
          applies: () => true,
          backends: [
            { service: main.service, weight: 100 },
            { service: services[services.length - 1]!, weight: 0 },
          ],
        },
      ],
    };
  let weights: Record<string, unknown> = {};
  try {
    weights = JSON.parse(a[BACKEND_WEIGHTS]!) as Record<string, unknown>;
  } catch {
    // no weights: every backend gets 0
  }
  return {
    namespace: canary.metadata.namespace!,
    apex: main.service,
    skipperRoute: { ingress: canary.metadata.name!, ...at },
    rules: [{ applies: () => true, backends: services.map((service) => ({ service, weight: Number(weights[service] ?? 0) || 0 })) }],
  };
}

/** A canary Ingress (NGINX or Skipper) with the user's Ingress it shadows, as a route table; undefined for others. */
export function fromCanaryIngress(o: MeshObject, ingresses: MeshObject[]): RouteTable | undefined {
  if (!isNginxCanary(o) && !isSkipperCanary(o)) return undefined;
  const main = mainIngressOf(o, ingresses);
  if (!main) return undefined;
  return isNginxCanary(o) ? fromNginxCanary(o, main) : fromSkipperCanary(o, main);
}

/**
 * How specific a Contour route is, most specific first as Contour orders them: exact paths, then regular
 * expressions, then prefixes by length; on the same path, more header and query conditions first.
 */
function contourSpecificity(conditions: Json[]): number[] {
  const path = conditions.find((c) => c.prefix !== undefined || c.exact !== undefined || c.regex !== undefined) ?? { prefix: '/' };
  const kind = path.exact !== undefined ? 2 : path.regex !== undefined ? 1 : 0;
  const text = String(path.exact ?? path.regex ?? path.prefix);
  return [kind, text.length, conditions.length];
}

/**
 * Contour HTTPProxy: routes by specificity; each sends to its Services by weight (evenly when none has one), and
 * copies to a Service marked mirror.
 */
export function fromHTTPProxy(proxy: MeshObject): RouteTable {
  const routes = ((proxy.spec?.routes ?? []) as Json[]).map((r) => {
    const conditions = (r.conditions ?? []) as Json[];
    const services = (r.services ?? []) as Json[];
    const served = services.filter((svc) => svc.mirror !== true);
    const even = served.every((svc) => !Number(svc.weight ?? 0));
    const mirror = services.find((svc) => svc.mirror === true);
    const rule: Rule = {
      applies: contourMatcher(conditions),
      backends: served.map((svc) => ({ service: String(svc.name), weight: even ? 1 : Number(svc.weight ?? 0) })),
      ...(mirror ? { mirror: { service: String(mirror.name), percent: Number(mirror.weight ?? 100) } } : {}),
    };
    return { rule, key: contourSpecificity(conditions) };
  });
  // Descending by specificity; Array.prototype.sort is stable, so equal routes keep their order.
  const order = (x: number[], y: number[]): number => {
    const i = x.findIndex((v, j) => v !== y[j]);
    return i === -1 ? 0 : y[i]! - x[i]!;
  };
  const rules = [...routes].sort((a, b) => order(a.key, b.key)).map((r) => r.rule);
  return { namespace: proxy.metadata.namespace!, apex: proxy.metadata.name!, rules };
}

/** Traefik TraefikService: a weighted round robin over Services (every request; the IngressRoute chose it already). */
export function fromTraefikService(ts: MeshObject): RouteTable {
  const services = (((ts.spec?.weighted as Json | undefined)?.services ?? []) as Json[]).filter(
    (svc) => (svc.kind ?? 'Service') === 'Service',
  );
  // Traefik's default weight is 1. The canary is left out while it takes nothing (as Flagger writes it): it is
  // listed at weight 0, so a reader finds the split.
  const backends = services.map((svc) => ({ service: String(svc.name), weight: Number(svc.weight ?? 1) }));
  const canary = `${ts.metadata.name!}-canary`;
  if (!backends.some((b) => b.service === canary)) backends.push({ service: canary, weight: 0 });
  return { namespace: ts.metadata.namespace!, apex: ts.metadata.name!, rules: [{ applies: () => true, backends }] };
}

/** The Kubernetes Service a Gloo Upstream stands for (spec.kube.serviceName); none for other kinds of Upstream. */
export function serviceOfUpstream(upstream: MeshObject | undefined): string | undefined {
  const kube = upstream?.spec?.kube as { serviceName?: string } | undefined;
  return kube?.serviceName;
}

/**
 * Gloo RouteTable: routes in order, the first whose matchers hold; a route sends to its single Upstream, or to its
 * multi destinations by weight. `upstream` resolves an Upstream reference to the Service it stands for.
 */
export function fromRouteTable(table: MeshObject, upstream: (namespace: string, name: string) => string | undefined): RouteTable {
  const ns = table.metadata.namespace!;
  const serviceOfRef = (ref: Json | undefined): string => (ref ? (upstream(String(ref.namespace ?? ns), String(ref.name)) ?? '') : '');
  const rules = ((table.spec?.routes ?? []) as Json[]).map((r): Rule => {
    const action = (r.routeAction ?? {}) as Json;
    const single = (action.single as Json | undefined)?.upstream as Json | undefined;
    const multi = (((action.multi as Json | undefined)?.destinations ?? []) as Json[]).map((d) => ({
      service: serviceOfRef((d.destination as Json | undefined)?.upstream as Json | undefined),
      weight: Number(d.weight ?? 0),
    }));
    const backends = single ? [{ service: serviceOfRef(single), weight: 100 }] : multi;
    return { applies: glooMatcher(r.matchers as Json[] | undefined), backends: backends.filter((b) => b.service) };
  });
  return { namespace: ns, apex: table.metadata.name!, rules };
}

/**
 * An ApisixRoute that splits between `<apex>-primary` and `<apex>-canary` (the apisix router's clone; the user's
 * route alone, to the apex Service, is not driven: the clone's higher priority takes its paths). Rules by priority.
 */
export function fromApisixRoute(route: MeshObject): RouteTable | undefined {
  const ns = route.metadata.namespace!;
  const rules = [...((route.spec?.http ?? []) as Json[])].sort((a, b) => Number(b.priority ?? 0) - Number(a.priority ?? 0));
  const backendsOf = (r: Json): Json[] => (r.backends ?? []) as Json[];
  const primary = rules.flatMap(backendsOf).find((b) => String(b.serviceName).endsWith('-primary'));
  if (!primary) return undefined;
  return {
    namespace: ns,
    apex: String(primary.serviceName).slice(0, -'-primary'.length),
    rules: rules.map((r) => ({
      applies: apisixMatcher(r.match as Json | undefined),
      backends: backendsOf(r).map((b) => ({ service: String(b.serviceName), weight: Number(b.weight ?? 100) })),
      apisixRoute: `${ns}_${route.metadata.name!}_${String(r.name)}`,
    })),
  };
}

/** A Kuma service tag, `<service>_<namespace>_svc_<port>`, as its Service and namespace. */
function ofKumaTag(tag: unknown): { service: string; namespace: string } | undefined {
  const m = /^(.+)_([^_]+)_svc_[0-9]+$/.exec(String(tag ?? ''));
  return m ? { service: m[1]!, namespace: m[2]! } : undefined;
}

/** Kuma TrafficRoute (cluster-scoped): traffic to its destination's service tag, split by conf.split's tags and weights. */
export function fromTrafficRoute(route: MeshObject): RouteTable | undefined {
  const spec = route.spec ?? {};
  const dest = ofKumaTag((((spec.destinations ?? []) as Json[])[0]?.match as Json | undefined)?.['kuma.io/service']);
  if (!dest) return undefined;
  const split = (((spec.conf as Json | undefined)?.split ?? []) as Json[]).map((s) => ({
    tag: ofKumaTag((s.destination as Json | undefined)?.['kuma.io/service']),
    weight: Number(s.weight ?? 0),
  }));
  const backends = split.filter((s) => s.tag?.namespace === dest.namespace).map((s) => ({ service: s.tag!.service, weight: s.weight }));
  return { namespace: dest.namespace, apex: dest.service, rules: [{ applies: () => true, backends }] };
}

/**
 * Kuma MeshHTTPRoute: traffic to its first to[] entry's MeshService (a Kubernetes Service of the route's namespace),
 * each rule's matches (Gateway API's shape) and default.backendRefs (weight 1 when unset, as the CRD defaults it),
 * mirrored by a RequestMirror filter (percentage, all when unset). Rules are taken in order: Kuma picks the most
 * specific match, which for the operator's routes (an A/B header rule before the catch-all) is the same.
 */
export function fromMeshHttpRoute(route: MeshObject): RouteTable | undefined {
  const to = ((route.spec?.to ?? []) as Json[])[0];
  const target = to?.targetRef as { kind?: string; name?: string } | undefined;
  if (target?.kind !== 'MeshService' || !target.name) return undefined;
  const rules = ((to!.rules ?? []) as Json[]).map((r): Rule => {
    const conf = (r.default ?? {}) as Json;
    const mirror = ((conf.filters ?? []) as Json[]).find((f) => f.type === 'RequestMirror')?.requestMirror as Json | undefined;
    const mirrorRef = mirror?.backendRef as { name?: string } | undefined;
    return {
      applies: httpRouteMatcher(r.matches as Json[] | undefined),
      backends: ((conf.backendRefs ?? []) as Json[]).map((b) => ({ service: String(b.name), weight: Number(b.weight ?? 1) })),
      ...(mirrorRef?.name ? { mirror: { service: mirrorRef.name, percent: Number(mirror?.percentage ?? 100) } } : {}),
    };
  });
  return { namespace: route.metadata.namespace!, apex: target.name, rules };
}

const ALB = 'alb.ingress.kubernetes.io';
type AlbPath = { backend?: { service?: { name?: string; port?: { name?: string } } } };

const parseJson = (text: string | undefined): unknown => {
  try {
    return JSON.parse(text ?? '') as unknown;
  } catch {
    return undefined;
  }
};

/**
 * An Ingress of the AWS Load Balancer Controller: each path to port `use-annotation`, in order, is a rule whose
 * forward action (annotation actions.<service name>) weighs its target groups, under the http-header conditions of
 * conditions.<service name>. Users reach it by the action of the first path without conditions (the apex Service).
 * Undefined for an Ingress with no such path.
 */
export function fromAlbIngress(o: MeshObject): RouteTable | undefined {
  const a = o.metadata.annotations ?? {};
  const paths = ((o.spec?.rules ?? []) as { http?: { paths?: AlbPath[] } }[]).flatMap((r) => r.http?.paths ?? []);
  const actions = paths
    .map((p) => p.backend?.service)
    .filter((s) => s?.port?.name === 'use-annotation' && a[`${ALB}/actions.${s.name}`] !== undefined)
    .map((s) => String(s!.name));
  const apex = actions.find((name) => a[`${ALB}/conditions.${name}`] === undefined);
  if (!apex) return undefined;
  const rules = actions.map((name): Rule => {
    const action = parseJson(a[`${ALB}/actions.${name}`]) as { forwardConfig?: { targetGroups?: Json[] } } | undefined;
    const conditions = parseJson(a[`${ALB}/conditions.${name}`]);
    return {
      applies: albMatcher(Array.isArray(conditions) ? (conditions as Json[]) : undefined),
      backends: (action?.forwardConfig?.targetGroups ?? []).map((g) => ({ service: String(g.serviceName), weight: Number(g.weight ?? 0) })),
    };
  });
  return { namespace: o.metadata.namespace!, apex, rules };
}

/** The Service a Mapping's `service` names: [scheme://]name[.namespace...][:port]. */
export const mappingService = (service: unknown): string =>
  String(service ?? '')
    .replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '')
    .split(/[.:]/)[0]!;

const MAPPING_CONDITIONS = ['method', 'headers', 'regex_headers', 'query_parameters', 'regex_query_parameters'] as const;
const sortedEntries = (v: unknown): [string, unknown][] =>
  v && typeof v === 'object' ? Object.entries(v).sort(([a], [b]) => a.localeCompare(b)) : [];
/** How many conditions a Mapping adds to its host and prefix: Emissary tries the more specific routes first. */
const conditionCount = (s: Json): number =>
  MAPPING_CONDITIONS.reduce((n, k) => n + (k === 'method' ? Number(s.method !== undefined) : sortedEntries(s[k]).length), 0);
/** The route a Mapping is part of (host and prefix), and its group on that route (the same conditions). */
const routeKey = (s: Json): string => JSON.stringify([s.hostname ?? s.host ?? '*', s.prefix ?? '/']);
const groupKey = (s: Json): string =>
  JSON.stringify(MAPPING_CONDITIONS.map((k) => (k === 'method' ? (s.method ?? null) : sortedEntries(s[k]))));

/**
 * One group of Mappings (same host, prefix and conditions) as Emissary balances it: a weighted Mapping gets its
 * weight, the unweighted ones share what is left of 100; a shadow Mapping gets a copy of `weight` percent (all by default).
 */
function mappingGroupRule(group: Json[]): Rule {
  const served = group.filter((s) => s.shadow !== true);
  const weighted = served.filter((s) => s.weight !== undefined);
  const unweighted = served.filter((s) => s.weight === undefined);
  const rest = Math.max(0, 100 - weighted.reduce((n, s) => n + Number(s.weight), 0));
  const shadow = group.find((s) => s.shadow === true);
  return {
    applies: emissaryMatcher(group[0]!),
    backends: [
      ...weighted.map((s) => ({ service: mappingService(s.service), weight: Number(s.weight) })),
      ...unweighted.map((s) => ({ service: mappingService(s.service), weight: rest / unweighted.length })),
    ],
    ...(shadow ? { mirror: { service: mappingService(shadow.service), percent: Number(shadow.weight ?? 100) } } : {}),
  };
}

/**
 * The Emissary route a Mapping is on, from all the namespace's Mappings of the same host and prefix: their groups,
 * more conditions first. Undefined when no unweighted Mapping without conditions serves the route (the user's),
 * whose Service is the apex.
 */
export function fromMappings(mapping: MeshObject, all: MeshObject[]): RouteTable | undefined {
  const key = routeKey(mapping.spec ?? {});
  const specs = all.map((m) => m.spec ?? {}).filter((s) => routeKey(s) === key);
  const base = specs.find((s) => conditionCount(s) === 0 && s.shadow !== true && s.weight === undefined);
  if (!base) return undefined;
  const groups = new Map<string, Json[]>();
  for (const s of specs) groups.set(groupKey(s), [...(groups.get(groupKey(s)) ?? []), s]);
  const rules = [...groups.values()].sort((a, b) => conditionCount(b[0]!) - conditionCount(a[0]!)).map(mappingGroupRule);
  return { namespace: mapping.metadata.namespace!, apex: mappingService(base.service), rules };
}
