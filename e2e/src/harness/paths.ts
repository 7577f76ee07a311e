import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is e2e/{src,dist}/harness/paths). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const OUR_CRDS = ['canaries.yaml', 'metrictemplates.yaml', 'alertproviders.yaml'].map((f) => path.join(ROOT, 'crds', f));
export const UPSTREAM = path.join(ROOT, 'e2e', 'upstream-crds');
export const ISTIO_CRDS = path.join(UPSTREAM, 'istio', 'networking-crds.yaml');
export const CORPUS = path.join(ROOT, 'e2e', 'flagger-corpus');
export const OPERATOR_MAIN = path.join(ROOT, 'operator', 'dist', 'main.js');
/** How npm start and the image start the operator: dist/main.js with its memory settings. */
export const OPERATOR_LAUNCHER = path.join(ROOT, 'operator', 'bin', 'tollgate-operator');
export const SIM_MAIN = path.join(ROOT, 'e2e', 'dist', 'sim', 'main.js');
export const HOOKS_MAIN = path.join(ROOT, 'hooks', 'dist', 'main.js');
export const SMI_LINKERD_CRDS = path.join(UPSTREAM, 'smi', 'trafficsplit-linkerd-smi.yaml');
export const SMI_SDK_CRDS = path.join(UPSTREAM, 'smi', 'trafficsplit-smi-sdk-go.yaml');
export const OSM_CRDS = path.join(UPSTREAM, 'osm', 'smi_traffic_split.yaml');
export const GATEWAY_API_CRDS = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants'].map((k) =>
  path.join(UPSTREAM, 'gateway-api', `gateway.networking.k8s.io_${k}.yaml`),
);
export const LINKERD_CRDS = path.join(UPSTREAM, 'linkerd', 'policy.linkerd.io_httproutes.yaml');
export const APPMESH_CRDS = path.join(UPSTREAM, 'appmesh', 'crds.yaml');
export const CONTOUR_CRDS = path.join(UPSTREAM, 'contour', '01-crds.yaml');
export const KEDA_CRDS = path.join(UPSTREAM, 'keda', 'keda.sh_scaledobjects.yaml');
export const TRAEFIK_CRDS = path.join(UPSTREAM, 'traefik', 'traefik.io_traefikservices.yaml');
export const APISIX_CRDS = path.join(UPSTREAM, 'apisix', 'apisix.apache.org_apisixroutes.yaml');
export const EMISSARY_CRDS = path.join(UPSTREAM, 'emissary', 'mappings.yaml');
export const KUMA_CRDS = path.join(UPSTREAM, 'kuma', 'kuma.io_trafficroutes.yaml');
export const KUMA_MESH_HTTP_ROUTE_CRDS = path.join(UPSTREAM, 'kuma', 'kuma.io_meshhttproutes.yaml');
export const GLOO_CRDS = ['gateway.solo.io_v1_RouteTable.yaml', 'gloo.solo.io_v1_Upstream.yaml'].map((f) => path.join(UPSTREAM, 'gloo', f));
export const KNATIVE_CRDS = ['service.yaml', 'revision.yaml'].map((f) => path.join(UPSTREAM, 'knative', f));
export const SLOTH_CRDS = path.join(UPSTREAM, 'sloth', 'sloth.slok.dev_prometheusservicelevels.yaml');
export const PYRRA_CRDS = path.join(UPSTREAM, 'pyrra', 'pyrra.dev_servicelevelobjectives.yaml');
