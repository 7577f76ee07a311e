import { IstioRouter } from './istio.js';
import { KubernetesRouter } from './kubernetes.js';
import type { Router, RouterDeps } from './router.js';

type RouterFactory = (deps: RouterDeps) => Router;

/** The only place that knows provider names. One line per mesh. */
const ROUTERS: Readonly<Record<string, RouterFactory>> = {
  istio: (deps) => new IstioRouter(deps),
  kubernetes: () => new KubernetesRouter(),
};

/** Providers whose router splits matched requests (A/B testing). */
export const MATCH_PROVIDERS: ReadonlySet<string> = new Set(['istio']);
/** Providers whose router can mirror traffic to the canary. */
export const MIRROR_PROVIDERS: ReadonlySet<string> = new Set(['istio']);

export class UnknownProviderError extends Error {
  constructor(readonly provider: string) {
    super(`provider "${provider}" has no router (known: ${Object.keys(ROUTERS).join(', ')})`);
    this.name = 'UnknownProviderError';
  }
}

export const supportedProviders = (): ReadonlySet<string> => new Set(Object.keys(ROUTERS));

/** Builds the router of a provider; an unknown provider is an error, never a fallback. */
export function createRouter(provider: string, deps: RouterDeps): Router {
  const factory = Object.hasOwn(ROUTERS, provider) ? ROUTERS[provider] : undefined;
  if (!factory) throw new UnknownProviderError(provider);
  return factory(deps);
}
