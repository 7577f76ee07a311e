import type { Canary } from '../../api/types.js';
import { Resources, type ResourceType } from '../../kube/resources.js';
import type { TargetInfo } from '../../targets/target.js';
import { ensureGenerated, liveSpec, releaseGenerated } from '../apply.js';
import { httpRouteSpec, routesOfHttpRoute, unconvertibleMatchFields, type HttpRouteFlavour } from './spec.js';
import { routesFor, type Router, type RouterDeps, type Routes, type RouterValidation, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

/** Gateway API's Duration: up to four whole-number parts of h, m, s or ms. */
const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/**
 * An HTTPRoute `<apex>` splitting between the -primary and -canary Services: Gateway API (v1 or v1beta1),
 * attached to the Gateways or, GAMMA-style, the Service named in service.gatewayRefs; or Linkerd's own
 * policy.linkerd.io HTTPRoute, attached to the apex Service.
 */
export class HttpRouteRouter implements Router {
  constructor(
    readonly provider: string,
    private readonly resource: ResourceType,
    private readonly flavour: HttpRouteFlavour,
    private readonly deps: RouterDeps,
  ) {}

  // eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    const errors: string[] = [];
    const notices: string[] = [];
    if (this.flavour === 'gateway' && !canary.spec.service?.gatewayRefs?.length) {
      errors.push(
        `provider ${this.provider} needs service.gatewayRefs: the Gateways (or, for a mesh, the Service) the HTTPRoute attaches to`,
      );
    }
    const lost = unconvertibleMatchFields(canary, strategy);
    if (lost.length) errors.push(`match fields ${lost.join(', ')} cannot be expressed in an HTTPRoute`);
    const s = canary.spec.service;
    if (
      this.flavour === 'linkerd' &&
      (s?.rewrite || s?.corsPolicy || s?.mirror || (s?.headers as { response?: unknown } | undefined)?.response)
    ) {
      notices.push(
        'Linkerd HTTPRoutes support only request header changes: service.rewrite, corsPolicy, mirror and response headers are not applied',
      );
    }
    if (s?.retries || s?.trafficPolicy)
      notices.push(`service.retries and service.trafficPolicy have no HTTPRoute field and are not applied by ${this.provider}`);
    for (const [field, value] of [
      ['timeout', s?.timeout],
      ['backendTimeout', s?.backendTimeout],
    ] as const) {
      if (value !== undefined && !GATEWAY_DURATION.test(value))
        errors.push(`service.${field} ${value} is not a Gateway API duration (whole numbers of h, m, s, ms, e.g. 1m30s)`);
    }
    const origins = (s?.corsPolicy?.allowOrigins ?? []) as { prefix?: string; regex?: string }[];
    if (origins.some((o) => o.prefix !== undefined || o.regex !== undefined))
      errors.push(
        'corsPolicy.allowOrigins prefix and regex matches have no Gateway API form: list exact origins (wildcards like https://*.example.com are allowed)',
      );
    const matches = httpRouteSpec(canary, routesFor(0), strategy, this.flavour).rules as { matches?: unknown[] }[];
    if (this.flavour === 'linkerd' && matches.some((r) => (r.matches?.length ?? 0) > 8))
      errors.push('Linkerd HTTPRoutes take at most 8 matches per rule: service.match combined with analysis.match gives more');
    return { errors, notices };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    return this.write(canary, routes, strategy, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    return routesOfHttpRoute(canary, await liveSpec(this.deps, canary, this.resource, serviceNames(canary).apex));
  }

  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    await releaseGenerated(this.deps, canary, this.resource, serviceNames(canary).apex, signal);
  }

  private async write(canary: Canary, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await ensureGenerated(
      this.deps,
      canary,
      {
        resource: this.resource,
        name: serviceNames(canary).apex,
        spec: httpRouteSpec(canary, routes, strategy, this.flavour),
        labels: canary.spec.service?.apex?.labels,
        annotations: canary.spec.service?.apex?.annotations,
      },
      signal,
    );
  }
}

export const gatewayApiRouter = (version: 'v1' | 'v1beta1', deps: RouterDeps): Router =>
  new HttpRouteRouter(`gatewayapi:${version}`, version === 'v1' ? Resources.httpRoutesV1 : Resources.httpRoutesV1beta1, 'gateway', deps);
