import type { Canary } from '../api/types.js';
import type { ResourceType } from '../kube/resources.js';
import type { TargetInfo } from '../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from './apply.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouteStrategy } from './router.js';
import { serviceNames } from './services.js';

/** The one object a router writes: its resource, its spec for a split, and the split read back from its spec. */
export interface ApexObject {
  readonly resource: ResourceType;
  spec(canary: Canary, routes: Routes, strategy: RouteStrategy): unknown;
  routesOf(canary: Canary, spec: Record<string, unknown> | undefined): Routes | undefined;
}

/**
 * A router writing one object named after the apex Service (a TrafficSplit, HTTPRoute, HTTPProxy, TraefikService),
 * with service.apex's labels and annotations. Written through apply.ts: created owned by the Canary, or adopted with
 * its original spec kept; finalize deletes what the Canary created and gives an adopted one its original spec back.
 */
export class ApexRouter implements Router {
  constructor(
    readonly provider: string,
    protected readonly deps: RouterDeps,
    private readonly object: ApexObject,
  ) {}

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await ensureGenerated(
      this.deps,
      canary,
      {
        resource: this.object.resource,
        name: serviceNames(canary).apex,
        spec: this.object.spec(canary, routes, strategy),
        labels: canary.spec.service?.apex?.labels,
        annotations: canary.spec.service?.apex?.annotations,
      },
      signal,
    );
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    return this.object.routesOf(canary, await liveSpec(this.deps, canary, this.object.resource, serviceNames(canary).apex));
  }

  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    await releaseGenerated(this.deps, canary, this.object.resource, serviceNames(canary).apex, signal);
  }
}
