/** Where a kind of object lives in the Kubernetes REST API. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);
export const resourceKey = (r: ResourceType): string => `${r.plural}.${r.group || 'core'}/${r.version}`;

/** The REST path of a collection, an object or one of its subresources. */
export function resourcePath(r: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name ? `/${encodeURIComponent(name)}` : '';
  const sub = name && subresource ? `/${subresource}` : '';
  return `${base}${ns}/${r.plural}${obj}${sub}`;
}

const core = (plural: string, kind: string, namespaced = true): ResourceType => ({ group: '', version: 'v1', plural, kind, namespaced });
const named = (group: string, version: string, plural: string, kind: string, namespaced = true): ResourceType => ({
  group,
  version,
  plural,
  kind,
  namespaced,
});

export const Resources = {
  namespaces: core('namespaces', 'Namespace', false),
  nodes: core('nodes', 'Node', false),
  pods: core('pods', 'Pod'),
  services: core('services', 'Service'),
  secrets: core('secrets', 'Secret'),
  configMaps: core('configmaps', 'ConfigMap'),
  events: core('events', 'Event'),
  endpoints: core('endpoints', 'Endpoints'),
  deployments: named('apps', 'v1', 'deployments', 'Deployment'),
  daemonSets: named('apps', 'v1', 'daemonsets', 'DaemonSet'),
  statefulSets: named('apps', 'v1', 'statefulsets', 'StatefulSet'),
  controllerRevisions: named('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  replicaSets: named('apps', 'v1', 'replicasets', 'ReplicaSet'),
  leases: named('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  horizontalPodAutoscalersV2: named('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  horizontalPodAutoscalersV2beta2: named('autoscaling', 'v2beta2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
  scaledObjects: named('keda.sh', 'v1alpha1', 'scaledobjects', 'ScaledObject'),
  crds: named('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
  canaries: named('tollgate.dev', 'v1beta1', 'canaries', 'Canary'),
  metricTemplates: named('tollgate.dev', 'v1beta1', 'metrictemplates', 'MetricTemplate'),
  alertProviders: named('tollgate.dev', 'v1beta1', 'alertproviders', 'AlertProvider'),
  slothServiceLevels: named('sloth.slok.dev', 'v1', 'prometheusservicelevels', 'PrometheusServiceLevel'),
  pyrraSlos: named('pyrra.dev', 'v1alpha1', 'servicelevelobjectives', 'ServiceLevelObjective'),
  virtualServices: named('networking.istio.io', 'v1beta1', 'virtualservices', 'VirtualService'),
  destinationRules: named('networking.istio.io', 'v1beta1', 'destinationrules', 'DestinationRule'),
  trafficSplitsV1alpha1: named('split.smi-spec.io', 'v1alpha1', 'trafficsplits', 'TrafficSplit'),
  trafficSplitsV1alpha2: named('split.smi-spec.io', 'v1alpha2', 'trafficsplits', 'TrafficSplit'),
  trafficSplitsV1alpha3: named('split.smi-spec.io', 'v1alpha3', 'trafficsplits', 'TrafficSplit'),
  trafficSplitsV1alpha4: named('split.smi-spec.io', 'v1alpha4', 'trafficsplits', 'TrafficSplit'),
  httpRoutesV1: named('gateway.networking.k8s.io', 'v1', 'httproutes', 'HTTPRoute'),
  httpRoutesV1beta1: named('gateway.networking.k8s.io', 'v1beta1', 'httproutes', 'HTTPRoute'),
  linkerdHttpRoutes: named('policy.linkerd.io', 'v1beta3', 'httproutes', 'HTTPRoute'),
  appMeshVirtualNodes: named('appmesh.k8s.aws', 'v1beta2', 'virtualnodes', 'VirtualNode'),
  appMeshVirtualRouters: named('appmesh.k8s.aws', 'v1beta2', 'virtualrouters', 'VirtualRouter'),
  appMeshVirtualServices: named('appmesh.k8s.aws', 'v1beta2', 'virtualservices', 'VirtualService'),
  ingresses: named('networking.k8s.io', 'v1', 'ingresses', 'Ingress'),
  httpProxies: named('projectcontour.io', 'v1', 'httpproxies', 'HTTPProxy'),
  traefikServices: named('traefik.io', 'v1alpha1', 'traefikservices', 'TraefikService'),
  glooUpstreams: named('gloo.solo.io', 'v1', 'upstreams', 'Upstream'),
  glooRouteTables: named('gateway.solo.io', 'v1', 'routetables', 'RouteTable'),
  apisixRoutes: named('apisix.apache.org', 'v2', 'apisixroutes', 'ApisixRoute'),
  emissaryMappings: named('getambassador.io', 'v3alpha1', 'mappings', 'Mapping'),
  kumaTrafficRoutes: named('kuma.io', 'v1alpha1', 'trafficroutes', 'TrafficRoute', false),
  kumaMeshHttpRoutes: named('kuma.io', 'v1alpha1', 'meshhttproutes', 'MeshHTTPRoute'),
  knativeServices: named('serving.knative.dev', 'v1', 'services', 'Service'),
  knativeRevisions: named('serving.knative.dev', 'v1', 'revisions', 'Revision'),
} as const satisfies Record<string, ResourceType>;
