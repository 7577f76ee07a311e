import type { Canary } from '../../api/types.js';
import type { TargetInfo } from '../../targets/target.js';
import { IngressClones, ingressNotices, ingressRefName, needsIngressRef } from '../ingress.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { routesOfSkipperIngress, skipperIngress } from './spec.js';

/**
 * Skipper (Flagger's skipper provider): the Ingress spec.ingressRef names is cloned as `<ingress>-canary`, each
 * apex path split between the -primary and -canary Services by zalando.org/backend-weights. The user's Ingress is
 * only read; the clone follows it.
 */
export class SkipperRouter implements Router {
  readonly provider = 'skipper';
  private readonly clones: IngressClones;

  constructor(private readonly deps: RouterDeps) {
    this.clones = new IngressClones(this.provider, deps);
  }

  validate(canary: Canary, _strategy: RouteStrategy): RouterValidation {
    return { errors: ingressRefName(canary) ? [] : [needsIngressRef(this.provider)], notices: ingressNotices(this.provider, canary) };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, _strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const ingresses = await this.clones.lister();
    const user = this.clones.user(canary, ingresses);
    const desired = skipperIngress(user, canary, routes, this.deps.ownerRef(canary));
    if (!desired) throw this.clones.noBackend(canary, user, serviceNames(canary).apex);
    await this.clones.write(canary, desired, ingresses, signal);
  }

  /** The clone's split; throws TargetError when the user's Ingress is missing, so the Canary is stalled saying so. */
  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const ingresses = await this.clones.lister();
    return routesOfSkipperIngress(canary, this.clones.live(this.clones.user(canary, ingresses), ingresses));
  }

  /** Deletes the clone the Canary created (as Flagger's Finalize does). */
  finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    return this.clones.release(canary, signal);
  }
}
