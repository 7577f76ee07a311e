import type { Canary } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import type { TargetInfo } from '../../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from '../apply.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { routesOfTraefikService, traefikServiceSpec, validateForTraefik } from './spec.js';

/**
 * Traefik: a TraefikService `<apex>` weighing the -primary and -canary Services; the user's IngressRoute routes to
 * it. One that existed before the Canary is adopted, its original spec kept for finalize.
 */
export class TraefikRouter implements Router {
  readonly provider = 'traefik';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary): RouterValidation {
    return validateForTraefik(canary);
  }

  /** The TraefikService has no rule layout: the strategy changes nothing but the weights. */
  async reconcile(canary: Canary, _target: TargetInfo, _strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.write(canary, (await this.getRoutes(canary)) ?? routesFor(0), signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, _strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.write(canary, routes, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    return routesOfTraefikService(canary, await liveSpec(this.deps, canary, Resources.traefikServices, serviceNames(canary).apex));
  }

  /** Deletes the TraefikService this Canary created; one it adopted gets its original spec back. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    await releaseGenerated(this.deps, canary, Resources.traefikServices, serviceNames(canary).apex, signal);
  }

  private async write(canary: Canary, routes: Routes, signal: AbortSignal): Promise<void> {
    await ensureGenerated(
      this.deps,
      canary,
      {
        resource: Resources.traefikServices,
        name: serviceNames(canary).apex,
        spec: traefikServiceSpec(canary, routes),
        labels: canary.spec.service?.apex?.labels,
        annotations: canary.spec.service?.apex?.annotations,
      },
      signal,
    );
  }
}
