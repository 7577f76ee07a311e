import type { Canary } from '../../api/types.js';
import { ownedBy } from '../../kube/ensure.js';
import type { Lister } from '../../kube/informer.js';
import { Resources } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { releaseGenerated } from '../apply.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';
import { canaryIngress, canaryIngressName, ingressRefName, isUpToDate, nginxMatch, routesOfCanaryIngress, type Ingress } from './spec.js';

/** service fields an Ingress clone has no place for: the user's Ingress carries hosts, paths and policies. */
const NOT_APPLIED = [
  'hosts',
  'gateways',
  'gatewayRefs',
  'match',
  'rewrite',
  'headers',
  'corsPolicy',
  'retries',
  'timeout',
  'trafficPolicy',
];

/**
 * NGINX Ingress (Flagger's nginx provider): the Ingress spec.ingressRef names is cloned as `<ingress>-canary`,
 * its apex backends sent to the `-canary` Service; the clone's ingress-nginx canary annotations carry the weight
 * or the A/B match. The user's Ingress is only read; the clone follows it (hosts, paths, TLS, annotations).
 */
export class NginxRouter implements Router {
  readonly provider = 'nginx';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    const errors: string[] = [];
    const notices: string[] = [];
    if (!ingressRefName(canary)) errors.push('provider nginx needs spec.ingressRef: the Ingress to clone as <name>-canary');
    // match without iterations is refused before the router is asked (match-needs-iterations).
    if (strategy.strategy === 'ab-testing') errors.push(...nginxMatch(strategy.match).errors);
    const ignored = NOT_APPLIED.filter((k) => (canary.spec.service as Record<string, unknown> | undefined)?.[k] !== undefined);
    if (ignored.length)
      notices.push(`service.${ignored.join(', service.')} not applied by nginx: the Ingress named in spec.ingressRef carries the routing`);
    return { errors, notices };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const ingresses = await this.ingresses();
    const user = this.userIngress(canary, ingresses);
    const desired = canaryIngress(user, canary, routes, strategy, this.deps.ownerRef(canary));
    if (!desired)
      throw new TargetError(
        'TargetInvalid',
        `Ingress ${canary.metadata.namespace}/${user.metadata.name} has no backend naming Service ${serviceNames(canary).apex}: nothing to send to the canary`,
      );
    const live = ingresses.get(canary.metadata.namespace, desired.metadata.name!);
    if (live && !ownedBy(live, canary))
      throw new TargetError(
        'TargetInvalid',
        `Ingress ${canary.metadata.namespace}/${desired.metadata.name} exists and is not owned by this Canary: delete or rename it`,
      );
    if (!live) {
      await this.deps.client.create(Resources.ingresses, desired, signal);
      return;
    }
    if (isUpToDate(live, desired)) return;
    const metadata = { ...live.metadata, labels: desired.metadata.labels, annotations: desired.metadata.annotations };
    await this.deps.client.replace(Resources.ingresses, { ...live, metadata, spec: desired.spec }, signal);
  }

  /** The clone's split; throws TargetError when the user's Ingress is missing, so the Canary is stalled saying so. */
  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const ingresses = await this.ingresses();
    const user = this.userIngress(canary, ingresses);
    return routesOfCanaryIngress(ingresses.get(canary.metadata.namespace, canaryIngressName(user.metadata.name!)));
  }

  /** Deletes the clone the Canary created; the user's Ingress then sends everything to the apex Service again. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const name = ingressRefName(canary);
    if (name) await releaseGenerated(this.deps, canary, Resources.ingresses, canaryIngressName(name), signal);
  }

  private ingresses(): Promise<Lister<Ingress>> {
    return this.deps.informers.lister<Ingress>(Resources.ingresses);
  }

  private userIngress(canary: Canary, ingresses: Lister<Ingress>): Ingress {
    const name = ingressRefName(canary);
    if (!name) throw new TargetError('TargetInvalid', 'provider nginx needs spec.ingressRef: the Ingress to clone as <name>-canary');
    const user = ingresses.get(canary.metadata.namespace, name);
    // TargetInvalid, as a missing autoscalerRef: TargetNotFound would alert that the workload is missing.
    if (!user) throw new TargetError('TargetInvalid', `Ingress ${canary.metadata.namespace}/${name} (spec.ingressRef) not found`);
    return user;
  }
}
