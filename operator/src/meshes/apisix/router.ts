import type { Canary, KubeObject } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from '../apply.js';
import { LAST_APPLIED } from '@tollgate/contract/metadata';
import { routesFor, type Router, type RouterDeps, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { cloneName, cloneSpec, routeRefName, routesOfApisixRoute, validateForApisix } from './spec.js';

type ApisixRoute = KubeObject & { spec?: Record<string, unknown> };

/**
 * APISIX: the ApisixRoute spec.routeRef names is only read; its clone `<route>-<apex>-canary` (created owned by the
 * Canary, or adopted with its original spec kept) carries the split, following the user's route at every write.
 */
export class ApisixRouter implements Router {
  readonly provider = 'apisix';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary): RouterValidation {
    return validateForApisix(canary);
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, _strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const user = await this.user(canary);
    const spec = cloneSpec(user.spec, canary, routes);
    if (!spec)
      throw new TargetError(
        'TargetInvalid',
        `ApisixRoute ${canary.metadata.namespace}/${user.metadata.name} has no http rule whose only backend is Service ${serviceNames(canary).apex}: nothing to send to the canary`,
      );
    const annotations = Object.fromEntries(Object.entries(user.metadata.annotations ?? {}).filter(([k]) => k !== LAST_APPLIED));
    const g = {
      resource: Resources.apisixRoutes,
      name: cloneName(user.metadata.name!, canary),
      spec,
      labels: user.metadata.labels,
      annotations,
      copiedMetadata: true,
    };
    await ensureGenerated(this.deps, canary, g, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const route = routeRefName(canary);
    if (!route) return undefined;
    return routesOfApisixRoute(canary, await liveSpec(this.deps, canary, Resources.apisixRoutes, cloneName(route, canary)));
  }

  /** Deletes the clone the Canary created (the user's route then serves alone), or gives an adopted one its spec back. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const route = routeRefName(canary);
    if (route) await releaseGenerated(this.deps, canary, Resources.apisixRoutes, cloneName(route, canary), signal);
  }

  /** The ApisixRoute spec.routeRef names; a missing one is TargetInvalid, so the Canary is stalled saying so. */
  private async user(canary: Canary): Promise<ApisixRoute> {
    const name = routeRefName(canary);
    if (!name) throw new TargetError('TargetInvalid', validateForApisix(canary).errors[0]!);
    const lister = await this.deps.informers.lister<ApisixRoute>(Resources.apisixRoutes);
    const user = lister.get(canary.metadata.namespace, name);
    if (!user) throw new TargetError('TargetInvalid', `ApisixRoute ${canary.metadata.namespace}/${name} (spec.routeRef) not found`);
    return user;
  }
}
