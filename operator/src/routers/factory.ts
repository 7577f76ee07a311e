import type { RoutedProvider } from '@tollgate/contract/capabilities';
import { AppMeshRouter } from './appmesh.js';
import { gatewayApiRouter } from './gateway-api.js';
import { IstioRouter } from './istio.js';
import { KubernetesRouter } from './kubernetes.js';
import { LinkerdRouter } from './linkerd.js';
import type { Router, RouterDeps } from './router.js';
import { SmiRouter } from './smi.js';

type RouterFactory = (deps: RouterDeps) => Router;

/** One line per mesh; the names are those of @tollgate/contract/capabilities, which the CRD's CEL rules are generated from. */
const ROUTERS: Readonly<Record<RoutedProvider, RouterFactory>> = {
  istio: (deps) => new IstioRouter(deps),
  kubernetes: () => new KubernetesRouter(),
  linkerd: (deps) => new LinkerdRouter(deps),
  'smi:v1alpha1': (deps) => new SmiRouter('smi:v1alpha1', 'v1alpha1', deps),
  'smi:v1alpha2': (deps) => new SmiRouter('smi:v1alpha2', 'v1alpha2', deps),
  'smi:v1alpha3': (deps) => new SmiRouter('smi:v1alpha3', 'v1alpha3', deps),
  'smi:v1alpha4': (deps) => new SmiRouter('smi:v1alpha4', 'v1alpha4', deps),
  osm: (deps) => new SmiRouter('osm', 'v1alpha2', deps),
  'gatewayapi:v1': (deps) => gatewayApiRouter('v1', deps),
  'gatewayapi:v1beta1': (deps) => gatewayApiRouter('v1beta1', deps),
  appmesh: (deps) => new AppMeshRouter('appmesh', deps),
  'appmesh:v1beta2': (deps) => new AppMeshRouter('appmesh:v1beta2', deps),
};

export class UnknownProviderError extends Error {
  constructor(readonly provider: string) {
    super(`provider "${provider}" has no router (known: ${Object.keys(ROUTERS).join(', ')})`);
    this.name = 'UnknownProviderError';
  }
}

export const supportedProviders = (): ReadonlySet<string> => new Set(Object.keys(ROUTERS));

/** Builds the router of a provider; an unknown provider is an error, never a fallback. */
export function createRouter(provider: string, deps: RouterDeps): Router {
  const factory = Object.hasOwn(ROUTERS, provider) ? ROUTERS[provider as RoutedProvider] : undefined;
  if (!factory) throw new UnknownProviderError(provider);
  return factory(deps);
}
