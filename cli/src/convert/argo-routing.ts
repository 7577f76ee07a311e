/**
 * An Argo Rollouts canary's traffic router (strategy.canary.trafficRouting) as a Tollgate Canary's provider and the
 * references it needs. Argo points at routes the user wrote; Tollgate writes its own (named after the apex Service),
 * so the names of Argo's routes are dropped. Without a router Argo approximates weights with replica counts, which
 * Tollgate does not: such a Rollout becomes a blue/green Canary (provider kubernetes). Pure.
 */
import { isObject, type Findings } from './report.js';

export interface Routing {
  provider: string;
  /** The apex Service, when the router names it (SMI rootService). */
  apex?: string;
  ingressRef?: Record<string, unknown>;
  routeRef?: Record<string, unknown>;
  /** Gateway API parentRefs of the Canary's HTTPRoute. */
  gatewayRefs?: Record<string, unknown>[];
  /** Emissary: the user's Mappings the router clones as <mapping>-canary (Argo's ambassador.mappings). */
  mappings?: string[];
  /** Istio hosts and gateways of the Canary's VirtualService (those of the user's). */
  hosts?: string[];
  gateways?: string[];
}

/** Objects of the same input the routing may read (the HTTPRoute a Gateway API plugin names). */
export interface RoutingInputs {
  httpRoute(name: string): Record<string, unknown> | undefined;
  virtualService(name: string): Record<string, unknown> | undefined;
}

const BASE = 'spec.strategy.canary.trafficRouting';

const OWN_ROUTE = (what: string): string => `Tollgate writes its own ${what} for the apex Service`;

type RouterFn = (cfg: Record<string, unknown>, f: Findings, inputs: RoutingInputs) => Routing;

const dropAll = (cfg: Record<string, unknown>, path: string, f: Findings, reason: string, keep: string[] = []): void => {
  for (const k of Object.keys(cfg)) if (!keep.includes(k)) f.drop(`${path}.${k}`, reason);
};

const ROUTERS: Record<string, RouterFn> = {
  istio: (cfg, f, inputs) => {
    dropAll(cfg, `${BASE}.istio`, f, OWN_ROUTE('VirtualService and DestinationRule'));
    return { provider: 'istio', ...istioHosts(cfg, f, inputs) };
  },
  nginx: (cfg, f) => {
    const ingresses = [cfg.stableIngress, ...(Array.isArray(cfg.stableIngresses) ? cfg.stableIngresses : [])].filter(
      (n): n is string => typeof n === 'string',
    );
    dropAll(cfg, `${BASE}.nginx`, f, 'no Tollgate equivalent (Tollgate writes the canary Ingress itself)', [
      'stableIngress',
      'stableIngresses',
    ]);
    if (ingresses.length > 1) f.drop(`${BASE}.nginx.stableIngresses`, `a Canary has one ingressRef: ${ingresses[0]} is kept`);
    return {
      provider: 'nginx',
      ...(ingresses[0] ? { ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: ingresses[0] } } : {}),
    };
  },
  smi: (cfg, f) => {
    dropAll(cfg, `${BASE}.smi`, f, OWN_ROUTE('TrafficSplit'), ['rootService']);
    return { provider: 'smi:v1alpha1', ...(typeof cfg.rootService === 'string' ? { apex: cfg.rootService } : {}) };
  },
  traefik: (cfg, f) => {
    dropAll(cfg, `${BASE}.traefik`, f, OWN_ROUTE('TraefikService'));
    return { provider: 'traefik' };
  },
  apisix: (cfg, f) => {
    const route = isObject(cfg.route) ? cfg.route : {};
    if (route.rules !== undefined)
      f.drop(`${BASE}.apisix.route.rules`, 'a Canary names the whole ApisixRoute (routeRef); rules cannot be chosen');
    dropAll(cfg, `${BASE}.apisix`, f, 'no Tollgate equivalent', ['route']);
    return {
      provider: 'apisix',
      ...(typeof route.name === 'string'
        ? { routeRef: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: route.name } }
        : {}),
    };
  },
  appMesh: (cfg, f) => {
    dropAll(cfg, `${BASE}.appMesh`, f, OWN_ROUTE('App Mesh virtual service, router and nodes'));
    return { provider: 'appmesh:v1beta2' };
  },
  ambassador: (cfg, f) => {
    // Argo clones each Mapping as <mapping>-canary with the weight, as the emissary router does.
    const mappings = strings(cfg.mappings);
    dropAll(cfg, `${BASE}.ambassador`, f, 'no Tollgate equivalent', ['mappings']);
    return { provider: 'emissary', ...(mappings ? { mappings } : {}) };
  },
  alb: (cfg, f) => alb(cfg, f),
  plugins: (cfg, f, inputs) => gatewayApi(cfg, f, inputs),
};

/**
 * Argo's ALB router and Tollgate's write the same forward action on the user's Ingress, whose path sends the root
 * Service (the apex) to port use-annotation; Tollgate's target groups use the Canary's service port.
 */
function alb(cfg: Record<string, unknown>, f: Findings): Routing {
  const path = `${BASE}.alb`;
  const ingresses = [cfg.ingress, ...(Array.isArray(cfg.ingresses) ? cfg.ingresses : [])].filter((n): n is string => typeof n === 'string');
  if (ingresses.length > 1) f.drop(`${path}.ingresses`, `a Canary has one ingressRef: ${ingresses[0]} is kept`);
  if (cfg.annotationPrefix !== undefined && cfg.annotationPrefix !== 'alb.ingress.kubernetes.io')
    f.drop(`${path}.annotationPrefix`, 'Tollgate writes the alb.ingress.kubernetes.io annotations');
  if (cfg.stickinessConfig !== undefined) f.drop(`${path}.stickinessConfig`, 'Tollgate writes no target group stickiness');
  if (cfg.servicePort !== undefined)
    f.note(`${path}.servicePort: the target groups use spec.service.port; check it is ${String(cfg.servicePort)}`);
  dropAll(cfg, path, f, 'no Tollgate equivalent', [
    'ingress',
    'ingresses',
    'annotationPrefix',
    'stickinessConfig',
    'servicePort',
    'rootService',
  ]);
  return {
    provider: 'alb',
    ...(typeof cfg.rootService === 'string' ? { apex: cfg.rootService } : {}),
    ...(ingresses[0] ? { ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: ingresses[0] } } : {}),
  };
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.length && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** The hosts and gateways of the user's VirtualService (of the input), for Tollgate's own. */
function istioHosts(cfg: Record<string, unknown>, f: Findings, inputs: RoutingInputs): Pick<Routing, 'hosts' | 'gateways'> {
  const refs = [cfg.virtualService, ...(Array.isArray(cfg.virtualServices) ? cfg.virtualServices : [])].filter(isObject);
  const name = refs.map((r) => r.name).find((n): n is string => typeof n === 'string');
  const vs = name ? inputs.virtualService(name) : undefined;
  const spec = isObject(vs?.spec) ? vs.spec : {};
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  if (name && (hosts || gateways))
    f.note(
      `${BASE}.istio: the Canary's VirtualService takes the hosts and gateways of ${name}, which passes through: delete it once Tollgate routes the traffic`,
    );
  return { ...(hosts ? { hosts } : {}), ...(gateways ? { gateways } : {}) };
}

function gatewayApi(cfg: Record<string, unknown>, f: Findings, inputs: RoutingInputs): Routing {
  const plugin = cfg['argoproj-labs/gatewayAPI'];
  for (const k of Object.keys(cfg))
    if (k !== 'argoproj-labs/gatewayAPI') f.drop(`${BASE}.plugins.${k}`, 'Tollgate loads no traffic router plugins');
  if (!isObject(plugin)) return basic(f);
  const path = `${BASE}.plugins.argoproj-labs/gatewayAPI`;
  const name = typeof plugin.httpRoute === 'string' ? plugin.httpRoute : undefined;
  const route = name ? inputs.httpRoute(name) : undefined;
  const parentRefs =
    isObject(route?.spec) && Array.isArray(route.spec.parentRefs) ? (route.spec.parentRefs as Record<string, unknown>[]) : undefined;
  dropAll(plugin, path, f, OWN_ROUTE('HTTPRoute'), ['httpRoute']);
  if (!parentRefs) {
    f.drop(
      `${path}.httpRoute`,
      `${OWN_ROUTE('HTTPRoute')}; the HTTPRoute ${name ?? ''} is not in the input, so set spec.service.gatewayRefs to its parentRefs`,
    );
    return { provider: 'gatewayapi:v1' };
  }
  f.note(`${path}.httpRoute: ${OWN_ROUTE('HTTPRoute')}, attached to the parentRefs of ${name}`);
  return { provider: 'gatewayapi:v1', gatewayRefs: parentRefs };
}

/** No router Tollgate can drive: blue/green (provider kubernetes). */
function basic(f: Findings): Routing {
  f.note(
    'without a traffic router Argo approximates weights with replica counts; Tollgate cannot, so this Canary runs blue/green ' +
      '(provider kubernetes, analysis.iterations): set spec.provider to a mesh or ingress to keep the weights',
  );
  return { provider: 'kubernetes' };
}

/** The routing of a canary strategy; the steps' weights only apply when the provider splits traffic. */
export function routingOf(trafficRouting: unknown, f: Findings, inputs: RoutingInputs): Routing {
  if (!isObject(trafficRouting)) return basic(f);
  const routers = Object.keys(trafficRouting).filter((k) => k !== 'managedRoutes' && k !== 'maxTrafficWeight');
  if (trafficRouting.managedRoutes !== undefined) f.drop(`${BASE}.managedRoutes`, 'Tollgate has no per-step header or mirror routes');
  if (trafficRouting.maxTrafficWeight !== undefined && trafficRouting.maxTrafficWeight !== 100)
    f.drop(`${BASE}.maxTrafficWeight`, 'Tollgate weights are percentages (out of 100)');
  let chosen: Routing | undefined;
  for (const k of routers) {
    const fn = ROUTERS[k];
    if (!fn) {
      f.drop(`${BASE}.${k}`, 'not a traffic router Tollgate knows');
      continue;
    }
    if (chosen) {
      f.drop(`${BASE}.${k}`, `a Canary has one provider: ${chosen.provider} is kept`);
      continue;
    }
    chosen = fn(isObject(trafficRouting[k]) ? trafficRouting[k] : {}, f, inputs);
  }
  return chosen ?? basic(f);
}
