import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject } from '../../api/types.js';
import { ensureObject, GITOPS_ANNOTATIONS } from '../../kube/ensure.js';
import { isNotFound } from '../../kube/errors.js';
import type { Lister } from '../../kube/informer.js';
import { Resources } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { routesFor, type Router, type RouterDeps, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import { meshOf, routesOfTrafficRoute, trafficRouteName, trafficRouteSpec, validateForKuma } from './spec.js';

type TrafficRoute = KubeObject & { mesh?: string; spec?: Record<string, unknown> };

/** The owner annotation's value for a Canary: namespace, name and uid. */
const ownerOf = (canary: Canary): string => `${canary.metadata.namespace}/${canary.metadata.name}/${canary.metadata.uid}`;
const ownedBy = (tr: TrafficRoute | undefined, canary: Canary): boolean =>
  tr?.metadata.annotations?.[ANNOTATIONS.owner] === ownerOf(canary);

/**
 * Kuma: a cluster-scoped TrafficRoute `<apex>.<namespace>` in the Canary's mesh (annotation kuma.io/mesh, or
 * `default`). It cannot carry an ownerReference to the namespaced Canary, so the owner annotation marks it; one the
 * Canary did not write is never taken over, and finalize deletes the one it wrote.
 */
export class KumaRouter implements Router {
  readonly provider = 'kuma';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary): RouterValidation {
    return validateForKuma(canary);
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, _strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const name = trafficRouteName(canary);
    const build = (live: TrafficRoute | undefined): TrafficRoute => {
      if (live && !ownedBy(live, canary))
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
    await ensureObject(this.deps.client, await this.lister(), Resources.kumaTrafficRoutes, { namespace: '', name }, build, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const live = (await this.lister()).get(undefined, trafficRouteName(canary));
    return ownedBy(live, canary) ? routesOfTrafficRoute(canary, live?.spec) : undefined;
  }

  /** Deletes the TrafficRoute the Canary wrote: Kuma then routes the apex Service by its selector (the primary). */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const name = trafficRouteName(canary);
    if (!ownedBy((await this.lister()).get(undefined, name), canary)) return;
    await this.deps.client
      .delete(Resources.kumaTrafficRoutes, undefined, name, undefined, signal)
      .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  private lister(): Promise<Lister<TrafficRoute>> {
    return this.deps.informers.lister<TrafficRoute>(Resources.kumaTrafficRoutes);
  }
}
