import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject } from '../../api/types.js';
import { ensureObject, GITOPS_ANNOTATIONS, mergeMetadata, ownedBy as controlledBy } from '../../kube/ensure.js';
import { ResourceNotServedError, type Lister } from '../../kube/informer.js';
import { deleteIfThere, releaseGenerated } from '../apply.js';
import { Resources, type ResourceType } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { routesFor, type Router, type RouterDeps, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { meshHttpRouteSpec, routesOfMeshHttpRoute } from './mesh-http-route.js';
import { MESH_ANNOTATION, meshOf, routesOfTrafficRoute, trafficRouteName, trafficRouteSpec, validateForKuma } from './spec.js';

type Route = KubeObject & { mesh?: string; spec?: Record<string, unknown> };

/** The owner annotation's value for a Canary: namespace, name and uid. */
const ownerOf = (canary: Canary): string => `${canary.metadata.namespace}/${canary.metadata.name}/${canary.metadata.uid}`;
const annotatedBy = (tr: Route | undefined, canary: Canary): boolean => tr?.metadata.annotations?.[ANNOTATIONS.owner] === ownerOf(canary);

/** The lister of a resource, or undefined when the API server does not serve it (its CRD is not installed). */
async function listerIfServed(deps: RouterDeps, resource: ResourceType): Promise<Lister<Route> | undefined> {
  return deps.informers.lister<Route>(resource).catch((err: unknown) => {
    if (err instanceof ResourceNotServedError) return undefined;
    throw err;
  });
}

/** What a TrafficRoute cannot do: refused, as the CRD's rules refuse it for providers that never can. */
function refuseOnTrafficRoute(routes: Routes, strategy: RouteStrategy): void {
  const need =
    strategy.strategy === 'ab-testing' ? 'analysis.match (A/B testing)' : strategy.mirror || routes.mirrored ? 'analysis.mirror' : '';
  if (need)
    throw new TargetError(
      'TargetInvalid',
      `${need} needs a Kuma MeshHTTPRoute (kuma.io/v1alpha1 meshhttproutes), which this cluster does not serve; a TrafficRoute only splits by weight`,
    );
}

/**
 * Kuma: a MeshHTTPRoute `<apex>` in the Canary's namespace, owned by the Canary, where the API server serves
 * MeshHTTPRoute (Kuma 2.x); otherwise the older cluster-scoped TrafficRoute `<apex>.<namespace>` in the Canary's mesh
 * (annotation kuma.io/mesh, or `default`), which cannot carry an ownerReference to the namespaced Canary, so the
 * owner annotation marks it. What is served is what the informer registry finds (a resource that is not served is
 * tried again every 15 s). An object of either name the Canary did not write is never taken over; finalize deletes
 * the one it wrote.
 */
export class KumaRouter implements Router {
  readonly provider = 'kuma';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    return validateForKuma(canary, strategy);
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const meshRoutes = await listerIfServed(this.deps, Resources.kumaMeshHttpRoutes);
    if (meshRoutes) return this.writeMeshHttpRoute(meshRoutes, canary, routes, strategy, signal);
    refuseOnTrafficRoute(routes, strategy);
    await this.writeTrafficRoute(canary, routes, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const meshRoutes = await listerIfServed(this.deps, Resources.kumaMeshHttpRoutes);
    if (meshRoutes) {
      const live = meshRoutes.get(canary.metadata.namespace, serviceNames(canary).apex);
      return controlledBy(live, canary) ? routesOfMeshHttpRoute(canary, live?.spec) : undefined;
    }
    const live = (await this.trafficRoutes()).get(undefined, trafficRouteName(canary));
    return annotatedBy(live, canary) ? routesOfTrafficRoute(canary, live?.spec) : undefined;
  }

  /**
   * Deletes what the Canary wrote: Kuma then routes the apex Service by its selector (the primary). Where MeshHTTPRoute
   * is served, TrafficRoutes are not looked at (listing them needs a ClusterRole): one written before the cluster served
   * MeshHTTPRoute stays, overridden by the MeshHTTPRoute, which Kuma gives priority.
   */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const meshRoutes = await listerIfServed(this.deps, Resources.kumaMeshHttpRoutes);
    // releaseGenerated reads the cache itself and touches only a route this Canary owns (or adopted: put back).
    if (meshRoutes) return releaseGenerated(this.deps, canary, Resources.kumaMeshHttpRoutes, serviceNames(canary).apex, signal);
    const name = trafficRouteName(canary);
    if (annotatedBy((await this.trafficRoutes()).get(undefined, name), canary))
      await deleteIfThere(this.deps, Resources.kumaTrafficRoutes, undefined, name, signal);
  }

  private async writeMeshHttpRoute(
    lister: Lister<Route>,
    canary: Canary,
    routes: Routes,
    strategy: RouteStrategy,
    signal: AbortSignal,
  ): Promise<void> {
    const ns = canary.metadata.namespace!;
    const name = serviceNames(canary).apex;
    const apex = canary.spec.service?.apex;
    const build = (live: Route | undefined): Route => {
      if (live && !controlledBy(live, canary))
        throw new TargetError(
          'TargetInvalid',
          `MeshHTTPRoute ${ns}/${name} exists and was not written by this Canary: delete or rename it`,
        );
      return {
        apiVersion: 'kuma.io/v1alpha1',
        kind: 'MeshHTTPRoute',
        ...live,
        metadata: mergeMetadata(live?.metadata, canary, {
          name,
          owner: [this.deps.ownerRef(canary)],
          // Kuma reads a namespaced policy's mesh from this label (the same key as the Canary's annotation).
          labels: { ...apex?.labels, [MESH_ANNOTATION]: meshOf(canary) },
          annotations: apex?.annotations ?? {},
        }),
        spec: meshHttpRouteSpec(canary, routes, strategy),
      };
    };
    await ensureObject(this.deps.client, lister, Resources.kumaMeshHttpRoutes, { namespace: ns, name }, build, signal);
  }

  private async writeTrafficRoute(canary: Canary, routes: Routes, signal: AbortSignal): Promise<void> {
    const name = trafficRouteName(canary);
    const build = (live: Route | undefined): Route => {
      if (live && !annotatedBy(live, canary))
        throw new TargetError('TargetInvalid', `TrafficRoute ${name} exists and was not written by this Canary: delete or rename it`);
      const apex = canary.spec.service?.apex;
      return {
        apiVersion: 'kuma.io/v1alpha1',
        kind: 'TrafficRoute',
        ...live,
        metadata: {
          ...live?.metadata,
          name,
          labels: { ...live?.metadata.labels, ...apex?.labels, [LABELS.canary]: canary.metadata.name! },
          annotations: { ...live?.metadata.annotations, ...apex?.annotations, ...GITOPS_ANNOTATIONS, [ANNOTATIONS.owner]: ownerOf(canary) },
        },
        mesh: meshOf(canary),
        spec: trafficRouteSpec(canary, routes),
      };
    };
    await ensureObject(this.deps.client, await this.trafficRoutes(), Resources.kumaTrafficRoutes, { namespace: '', name }, build, signal);
  }

  private trafficRoutes(): Promise<Lister<Route>> {
    return this.deps.informers.lister<Route>(Resources.kumaTrafficRoutes);
  }
}
