import type { Canary } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import type { TargetInfo } from '../../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from '../apply.js';
import { destinationRuleSpec, routesOfVirtualService, tcpPortErrors, virtualServiceSpec } from './spec.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

/** Istio: a VirtualService `<apex>` splitting between DestinationRules `<apex>-primary` and `<apex>-canary`. */
export class IstioRouter implements Router {
  readonly provider = 'istio';

  constructor(private readonly deps: RouterDeps) {}

  /** A TCP port gets tcp routes: what needs HTTP is refused. */
  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    return { errors: tcpPortErrors(canary, strategy), notices: [] };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    for (const host of [names.primary, names.canary]) {
      await ensureGenerated(
        this.deps,
        canary,
        { resource: Resources.destinationRules, name: host, spec: destinationRuleSpec(canary, host) },
        signal,
      );
    }
    await ensureGenerated(
      this.deps,
      canary,
      {
        resource: Resources.virtualServices,
        name: names.apex,
        spec: virtualServiceSpec(canary, routes, strategy),
        labels: canary.spec.service?.apex?.labels,
        annotations: canary.spec.service?.apex?.annotations,
      },
      signal,
    );
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const spec = await liveSpec(this.deps, canary, Resources.virtualServices, serviceNames(canary).apex);
    return spec && routesOfVirtualService(canary, spec);
  }

  /** Deletes what this Canary created; a VirtualService it adopted gets its original spec back. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    await releaseGenerated(this.deps, canary, Resources.virtualServices, names.apex, signal);
    for (const host of [names.primary, names.canary]) await releaseGenerated(this.deps, canary, Resources.destinationRules, host, signal);
  }
}
