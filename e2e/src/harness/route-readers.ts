import type { KubeObject } from '@tollgate/operator/api/types';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import {
  fromApisixRoute,
  fromAlbIngress,
  fromHTTPProxy,
  fromMappings,
  fromHttpRoute,
  fromMeshHttpRoute,
  fromNginxCanary,
  fromRouteTable,
  fromSkipperCanary,
  fromTraefikService,
  fromTrafficRoute,
  fromTrafficSplit,
  fromVirtualRouter,
  fromVirtualService,
  mappingService,
  type RouteTable,
} from '../sim/routes.js';

type MeshObject = KubeObject & { spec?: Record<string, unknown> };

/** Which routing object a provider writes, so a test can read the weight it carries. */
export interface RouteReader {
  resource: ResourceType;
  kind:
    | 'istio'
    | 'smi'
    | 'httproute'
    | 'appmesh'
    | 'nginx'
    | 'skipper'
    | 'httpproxy'
    | 'traefik'
    | 'gloo'
    | 'apisix'
    | 'kuma'
    | 'alb'
    | 'emissary'
    | 'kuma-mesh-http-route';
}

/** Kuma's MeshHTTPRoute, which the kuma provider writes where the API server serves it (TrafficRoute otherwise). */
export const KUMA_MESH_HTTP_ROUTE_READER: RouteReader = { resource: Resources.kumaMeshHttpRoutes, kind: 'kuma-mesh-http-route' };

export function routeReader(provider: string, withGatewayRefs = false): RouteReader | undefined {
  if (provider === 'kubernetes') return undefined;
  if (provider === 'istio') return { resource: Resources.virtualServices, kind: 'istio' };
  if (provider === 'gatewayapi:v1') return { resource: Resources.httpRoutesV1, kind: 'httproute' };
  if (provider === 'gatewayapi:v1beta1') return { resource: Resources.httpRoutesV1beta1, kind: 'httproute' };
  if (provider === 'linkerd' && withGatewayRefs) return { resource: Resources.linkerdHttpRoutes, kind: 'httproute' };
  if (provider.startsWith('appmesh')) return { resource: Resources.appMeshVirtualRouters, kind: 'appmesh' };
  if (provider === 'nginx' || provider === 'skipper') return { resource: Resources.ingresses, kind: provider };
  if (provider === 'contour') return { resource: Resources.httpProxies, kind: 'httpproxy' };
  if (provider === 'traefik') return { resource: Resources.traefikServices, kind: 'traefik' };
  if (provider === 'kuma') return { resource: Resources.kumaTrafficRoutes, kind: 'kuma' };
  if (provider === 'apisix') return { resource: Resources.apisixRoutes, kind: 'apisix' };
  if (provider === 'gloo') return { resource: Resources.glooRouteTables, kind: 'gloo' };
  // The user's Ingress, whose forward action annotations the router writes.
  if (provider === 'alb') return { resource: Resources.ingresses, kind: 'alb' };
  // The user's Mapping and the <mapping>-canary clone, deleted when the canary has no traffic.
  if (provider === 'emissary' || provider === 'ambassador') return { resource: Resources.emissaryMappings, kind: 'emissary' };
  const version = provider.startsWith('smi:') ? provider.slice(4) : 'v1alpha2';
  const resource = {
    v1alpha1: Resources.trafficSplitsV1alpha1,
    v1alpha2: Resources.trafficSplitsV1alpha2,
    v1alpha3: Resources.trafficSplitsV1alpha3,
    v1alpha4: Resources.trafficSplitsV1alpha4,
  }[version]!;
  return { resource, kind: 'smi' };
}

function table(reader: RouteReader, o: MeshObject, apex: string): RouteTable | undefined {
  switch (reader.kind) {
    case 'istio':
      return fromVirtualService(o);
    case 'smi':
      return fromTrafficSplit(o);
    case 'httproute':
      return fromHttpRoute(o);
    case 'appmesh':
      return fromVirtualRouter(o, (node) => node);
    case 'nginx':
      // The canary Ingress against the user's, whose backend is the apex Service (it selects the primary pods).
      return fromNginxCanary(o, { ingress: '', service: apex });
    case 'skipper':
      return fromSkipperCanary(o, { ingress: '', service: apex });
    case 'httpproxy':
      return fromHTTPProxy(o);
    case 'traefik':
      return fromTraefikService(o);
    case 'kuma':
      return fromTrafficRoute(o);
    case 'kuma-mesh-http-route':
      return fromMeshHttpRoute(o);
    case 'apisix':
      return fromApisixRoute(o);
    case 'gloo':
      // The Upstreams are named after the Services (<namespace>-<service>upstream-<port>): strip the name back.
      return fromRouteTable(o, (ns, name) => /^(.*)upstream-[0-9]+$/.exec(name)?.[1]?.slice(ns.length + 1));
    case 'alb':
      return fromAlbIngress(o);
    case 'emissary':
      return emissaryTable(o, apex);
  }
}

/**
 * One Mapping against the user's (unweighted, to the apex Service, on the same host and prefix) it shares the
 * route with; the user's own Mapping alone sends all to the apex, none to the canary.
 */
function emissaryTable(o: MeshObject, apex: string): RouteTable | undefined {
  if (mappingService(o.spec?.service) === apex)
    return {
      namespace: o.metadata.namespace!,
      apex,
      rules: [
        {
          applies: () => true,
          backends: [
            { service: apex, weight: 100 },
            { service: `${apex}-canary`, weight: 0 },
          ],
        },
      ],
    };
  const { hostname, host, prefix } = o.spec ?? {};
  const user: MeshObject = { ...o, spec: { hostname, host, prefix, service: apex } };
  return fromMappings(o, [o, user]);
}

/**
 * The canary's share (percent) in the rule that splits between `<apex>-primary` (or the apex Service itself, which
 * selects the primary pods: the user's Ingress under NGINX) and `<apex>-canary`.
 */
export function canaryWeightOf(reader: RouteReader, o: MeshObject, apex: string): number | undefined {
  for (const rule of table(reader, o, apex)?.rules ?? []) {
    const p = rule.backends.find((b) => b.service === `${apex}-primary` || b.service === apex);
    const c = rule.backends.find((b) => b.service === `${apex}-canary`);
    if (p && c) return p.weight + c.weight > 0 ? Math.round((100 * c.weight) / (p.weight + c.weight)) : 0;
  }
  return undefined;
}
