import type { RoutedProvider } from '@tollgate/contract/capabilities';
import { apisix } from './apisix/index.js';
import { alb } from './alb/index.js';
import { appMesh } from './appmesh/index.js';
import { contour } from './contour/index.js';
import { emissary } from './emissary/index.js';
import { gatewayApi } from './gateway-api/index.js';
import { gloo } from './gloo/index.js';
import { istio } from './istio/index.js';
import { knative } from './knative/index.js';
import { kubernetes } from './kubernetes/index.js';
import { kuma } from './kuma/index.js';
import { linkerd } from './linkerd/index.js';
import type { MeshProvider } from './mesh.js';
import { nginx } from './nginx/index.js';
import type { DURATION, SUCCESS_RATE } from '../api/metric-names.js';
import type { BuiltinQueries, NamedValues } from './queries.js';
import type { Router, RouterDeps } from './router.js';
import { skipper } from './skipper/index.js';
import { smi } from './smi/index.js';
import { traefik } from './traefik/index.js';

/**
 * One line per mesh. Typed on the contract's capability records: a provider id the contract lists and no mesh
 * serves is a compile error here, and so is a mesh serving an id the contract does not list.
 */
const PROVIDERS: { readonly [P in RoutedProvider]: MeshProvider<P> } = {
  ...istio.providers,
  ...kubernetes.providers,
  ...linkerd.providers,
  ...smi.providers,
  ...gatewayApi.providers,
  ...appMesh.providers,
  ...nginx.providers,
  ...skipper.providers,
  ...contour.providers,
  ...traefik.providers,
  ...gloo.providers,
  ...apisix.providers,
  ...kuma.providers,
  ...alb.providers,
  ...emissary.providers,
  ...knative.providers,
};

const entryOf = (provider: string): MeshProvider<RoutedProvider> | undefined =>
  Object.hasOwn(PROVIDERS, provider) ? PROVIDERS[provider as RoutedProvider] : undefined;

export class UnknownProviderError extends Error {
  constructor(readonly provider: string) {
    super(`provider "${provider}" has no router (known: ${Object.keys(PROVIDERS).join(', ')})`);
    this.name = 'UnknownProviderError';
  }
}

export class NoBuiltinQueryError extends Error {
  constructor(provider: string, metric: string) {
    super(`provider ${provider} has no built-in ${metric}: use a MetricTemplate (templateRef)`);
    this.name = 'NoBuiltinQueryError';
  }
}

export const supportedProviders = (): ReadonlySet<string> => new Set(Object.keys(PROVIDERS));

/** Providers with built-in request-success-rate and request-duration queries. */
export const builtinMetricProviders = (): ReadonlySet<string> =>
  new Set(Object.keys(PROVIDERS).filter((p) => entryOf(p)?.queries !== undefined));

/** Builds the router of a provider; an unknown provider is an error, never a fallback. */
export function createRouter(provider: string, deps: RouterDeps): Router {
  const entry = entryOf(provider);
  if (!entry) throw new UnknownProviderError(provider);
  return entry.router(deps);
}

/** The query template of a built-in metric for a provider. */
export function builtinQuery(provider: string, metric: typeof SUCCESS_RATE | typeof DURATION): string {
  const q = entryOf(provider)?.queries;
  if (!q) throw new NoBuiltinQueryError(provider, metric);
  return q[metric];
}

/** The placeholders' values for a provider's built-in queries: as its metrics spell them (unchanged for most). */
export function builtinQueryVars<V extends NamedValues>(provider: string, vars: V): V {
  const q = entryOf(provider)?.queries as BuiltinQueries | undefined;
  return q?.encodeVars ? q.encodeVars(vars) : vars;
}
