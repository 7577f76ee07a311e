import type { Canary } from '../../api/types.js';
import type { Lister } from '../../kube/informer.js';
import { Resources } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { ingressLister, ingressNotices, ingressRefName, userIngress, type Ingress } from '../ingress.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { albConditions, desiredState, ingressProblem, patchFor, releasedState, routesOfAlbIngress, type AlbState } from './spec.js';

const NEEDS_INGRESS_REF = 'provider alb needs spec.ingressRef: the Ingress whose path sends the apex Service to port use-annotation';

/**
 * ALB (AWS Load Balancer Controller): the user's Ingress (spec.ingressRef) is edited in place, by merge patches of
 * the router's own annotation keys (actions.<apex>; while an A/B release runs, actions.<apex>-canary,
 * conditions.<apex>-canary and the paths to that action). Nothing is created, so nothing is owned or deleted.
 */
export class AlbRouter implements Router {
  readonly provider = 'alb';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    const errors = ingressRefName(canary) ? [] : [NEEDS_INGRESS_REF];
    if (strategy.strategy === 'ab-testing') errors.push(...albConditions(strategy.match as Record<string, unknown>[]).errors);
    return { errors, notices: ingressNotices('alb', canary) };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const user = this.user(canary, await this.lister());
    await this.write(user, desiredState(user, canary, routes, strategy), signal);
  }

  /** The split the user's Ingress carries; throws TargetError when it is missing or does not route the apex by action. */
  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    return routesOfAlbIngress(canary, this.user(canary, await this.lister()));
  }

  /**
   * Hands the Ingress back: the apex action forwards everything to the apex Service, the A/B action, conditions and
   * paths go. An Ingress gone, or no longer routing the apex by action, is left alone.
   */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const name = ingressRefName(canary);
    const live = name ? (await this.lister()).get(canary.metadata.namespace, name) : undefined;
    if (!live || ingressProblem(live, canary)) return;
    await this.write(live, releasedState(live, canary), signal);
  }

  private lister(): Promise<Lister<Ingress>> {
    return ingressLister(this.deps);
  }

  /** The user's Ingress, routing the apex Service by action; a missing or unfit one is TargetInvalid, naming the fix. */
  private user(canary: Canary, ingresses: Lister<Ingress>): Ingress {
    const user = userIngress(canary, ingresses, NEEDS_INGRESS_REF);
    const problem = ingressProblem(user, canary);
    if (problem) throw new TargetError('TargetInvalid', problem);
    return user;
  }

  /** One merge patch of the router's keys, guarded by the cached resourceVersion; nothing when the Ingress carries them. */
  private async write(live: Ingress, state: AlbState, signal: AbortSignal): Promise<void> {
    const patch = patchFor(live, state);
    if (!patch) return;
    this.deps.logger.debug({ ingress: live.metadata.name, patch }, 'patching the ALB Ingress');
    await this.deps.client.patch(Resources.ingresses, live.metadata.namespace, live.metadata.name!, patch, { type: 'merge', signal });
  }
}
