import type { Canary } from '../../api/types.js';
import { Resources, type ResourceType } from '../../kube/resources.js';
import type { TargetInfo } from '../../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from '../apply.js';
import { canaryRouterSpec, routesOfVirtualRouter, virtualNodeSpec, virtualRouterSpec, virtualServiceSpec } from './spec.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

/**
 * AWS App Mesh (appmesh.k8s.aws/v1beta2): VirtualNodes `<apex>-primary` and `<apex>-canary`, a VirtualRouter
 * `<apex>` whose route's weightedTargets carry the split, a VirtualRouter `<apex>-canary` (all to the canary,
 * for tests), and VirtualServices pointing at them. The mesh objects exist before the primary's pods start,
 * so the App Mesh controller can inject their Envoy sidecars.
 */
export class AppMeshRouter implements Router {
  readonly meshObjectsFirst = true;

  constructor(
    readonly provider: string,
    private readonly deps: RouterDeps,
  ) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    const errors: string[] = [];
    if (canary.spec.service?.portName === 'grpc') errors.push('App Mesh grpc routes are not supported yet: use portName http or http2');
    const match = strategy.match;
    if (match.length > 1) errors.push('App Mesh A/B routes take a single match condition (analysis.match has several)');
    if (match.some((m) => Object.keys(m).some((k) => k !== 'headers'))) errors.push('App Mesh A/B routes match headers only');
    if (
      match.length === 1 &&
      Object.keys(match[0]!).every((k) => k === 'headers') &&
      Object.keys((match[0] as { headers?: object }).headers ?? {}).length === 0
    )
      errors.push('the App Mesh A/B match needs at least one header condition');
    const notices =
      canary.spec.service?.trafficPolicy || canary.spec.service?.corsPolicy || canary.spec.service?.headers
        ? ['service.trafficPolicy, corsPolicy and headers have no App Mesh field and are not applied']
        : [];
    return { errors, notices };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    const ensure = (resource: typeof Resources.appMeshVirtualNodes, name: string, spec: unknown): Promise<unknown> =>
      ensureGenerated(this.deps, canary, { resource, name, spec }, signal);
    await ensure(Resources.appMeshVirtualNodes, names.primary, virtualNodeSpec(canary, target, 'primary'));
    await ensure(Resources.appMeshVirtualNodes, names.canary, virtualNodeSpec(canary, target, 'canary'));
    await ensure(Resources.appMeshVirtualRouters, names.canary, canaryRouterSpec(canary));
    await ensure(Resources.appMeshVirtualServices, names.canary, virtualServiceSpec(canary, names.canary, names.canary));
    await ensure(Resources.appMeshVirtualRouters, names.apex, virtualRouterSpec(canary, routes, strategy));
    await ensure(Resources.appMeshVirtualServices, names.apex, virtualServiceSpec(canary, names.apex, names.apex));
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    return routesOfVirtualRouter(canary, await liveSpec(this.deps, canary, Resources.appMeshVirtualRouters, serviceNames(canary).apex));
  }

  /** Deletes the mesh objects this Canary created, as garbage collection would, but before the primary goes. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    for (const [resource, name] of this.objects(canary)) await releaseGenerated(this.deps, canary, resource, name, signal);
  }

  private objects(canary: Canary): [ResourceType, string][] {
    const n = serviceNames(canary);
    return [
      [Resources.appMeshVirtualServices, n.apex],
      [Resources.appMeshVirtualServices, n.canary],
      [Resources.appMeshVirtualRouters, n.apex],
      [Resources.appMeshVirtualRouters, n.canary],
      [Resources.appMeshVirtualNodes, n.primary],
      [Resources.appMeshVirtualNodes, n.canary],
    ];
  }
}
