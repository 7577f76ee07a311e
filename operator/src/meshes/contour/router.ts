import type { Canary } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import type { TargetInfo } from '../../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from '../apply.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { httpProxySpec, routesOfHttpProxy, validateForContour } from './spec.js';

/**
 * Contour: an HTTPProxy `<apex>` (no virtualhost; the user's root HTTPProxy includes it) splitting between the
 * -primary and -canary Services. One that existed before the Canary is adopted, its original spec kept for finalize.
 */
export class ContourRouter implements Router {
  readonly provider = 'contour';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    return validateForContour(canary, strategy);
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await ensureGenerated(
      this.deps,
      canary,
      {
        resource: Resources.httpProxies,
        name: serviceNames(canary).apex,
        spec: httpProxySpec(canary, routes, strategy),
        // service.apex.annotations carry projectcontour.io/ingress.class (Flagger's -ingress-class) where one is needed.
        labels: canary.spec.service?.apex?.labels,
        annotations: canary.spec.service?.apex?.annotations,
      },
      signal,
    );
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    return routesOfHttpProxy(canary, await liveSpec(this.deps, canary, Resources.httpProxies, serviceNames(canary).apex));
  }

  /** Deletes the HTTPProxy this Canary created; one it adopted gets its original spec back. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    await releaseGenerated(this.deps, canary, Resources.httpProxies, serviceNames(canary).apex, signal);
  }
}
