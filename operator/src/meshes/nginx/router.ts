import type { Canary } from '../../api/types.js';
import type { TargetInfo } from '../../targets/target.js';
import { IngressClones, ingressNotices, ingressRefName, needsIngressRef } from '../ingress.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { canaryIngress, nginxMatch, routesOfCanaryIngress } from './spec.js';

/**
 * NGINX Ingress (Flagger's nginx provider): the Ingress spec.ingressRef names is cloned as `<ingress>-canary`,
 * its apex backends sent to the `-canary` Service; the clone's ingress-nginx canary annotations carry the weight
 * or the A/B match. The user's Ingress is only read; the clone follows it (hosts, paths, TLS, annotations).
 */
export class NginxRouter implements Router {
  readonly provider = 'nginx';
  private readonly clones: IngressClones;

  constructor(private readonly deps: RouterDeps) {
    this.clones = new IngressClones(this.provider, deps);
  }

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    const errors: string[] = [];
    if (!ingressRefName(canary)) errors.push(needsIngressRef(this.provider));
    // match without iterations is refused before the router is asked (match-needs-iterations).
    if (strategy.strategy === 'ab-testing') errors.push(...nginxMatch(strategy.match).errors);
    return { errors, notices: ingressNotices(this.provider, canary) };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const ingresses = await this.clones.lister();
    const user = this.clones.user(canary, ingresses);
    const desired = canaryIngress(user, canary, routes, strategy, this.deps.ownerRef(canary));
    if (!desired) throw this.clones.noBackend(canary, user, serviceNames(canary).apex);
    await this.clones.write(canary, desired, ingresses, signal);
  }

  /** The clone's split; throws TargetError when the user's Ingress is missing, so the Canary is stalled saying so. */
  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const ingresses = await this.clones.lister();
    return routesOfCanaryIngress(this.clones.live(this.clones.user(canary, ingresses), ingresses));
  }

  /** Deletes the clone the Canary created; the user's Ingress then sends everything to the apex Service again. */
  finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    return this.clones.release(canary, signal);
  }
}
