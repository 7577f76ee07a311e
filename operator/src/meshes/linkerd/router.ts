import type { Canary } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import type { TargetInfo } from '../../targets/target.js';
import { HttpRouteRouter } from '../gateway-api/router.js';
import type { Router, RouterDeps, Routes, RouterValidation, RouteStrategy } from '../router.js';
import { SmiRouter } from '../smi/router.js';

/**
 * Linkerd. By default an SMI TrafficSplit (v1alpha2, as the linkerd-smi extension serves it); when the
 * Canary names service.gatewayRefs, Linkerd's own policy.linkerd.io HTTPRoute attached to them (the apex
 * Service, GAMMA-style), which Linkerd recommends and which also supports A/B matches.
 * For Gateway API's own HTTPRoute group, use provider gatewayapi:v1 with a Service parentRef.
 */
export class LinkerdRouter implements Router {
  readonly provider = 'linkerd';
  private readonly smi: SmiRouter;
  private readonly httpRoute: HttpRouteRouter;

  constructor(deps: RouterDeps) {
    this.smi = new SmiRouter('linkerd', 'v1alpha2', deps);
    this.httpRoute = new HttpRouteRouter('linkerd', Resources.linkerdHttpRoutes, 'linkerd', deps);
  }

  private pick(canary: Canary): Router {
    return canary.spec.service?.gatewayRefs?.length ? this.httpRoute : this.smi;
  }

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    if (this.pick(canary) === this.httpRoute) return this.httpRoute.validate(canary, strategy);
    const errors =
      strategy.match.length > 0
        ? ['A/B testing with provider linkerd needs service.gatewayRefs (an HTTPRoute): a TrafficSplit cannot match requests']
        : [];
    return { errors, notices: [] };
  }

  reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    return this.pick(canary).reconcile(canary, target, strategy, signal);
  }

  setRoutes(canary: Canary, target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    return this.pick(canary).setRoutes(canary, target, routes, strategy, signal);
  }

  getRoutes(canary: Canary): Promise<Routes | undefined> {
    return this.pick(canary).getRoutes(canary);
  }

  finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    return this.pick(canary).finalize(canary, signal);
  }
}
