import type { Canary, KubeObject } from '../../api/types.js';
import { isNotFound } from '../../kube/errors.js';
import { Resources } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { ApexRouter } from '../apex-router.js';
import { ensureGenerated, releaseGenerated } from '../apply.js';
import type { RouterDeps, RouterValidation, RouteStrategy } from '../router.js';
import { routesOfRouteTable, routeTableSpec, upstreamName, upstreamRefOf, upstreamSpec, validateForGloo } from './spec.js';

const SIDES = ['primary', 'canary'] as const;

/**
 * Gloo Edge: an Upstream per side (the -primary and -canary Services) and a RouteTable `<apex>` weighing them; the
 * user's VirtualService delegates to the RouteTable. The Upstreams are written before the RouteTable that names
 * them, with the options of the Upstream spec.upstreamRef names (read with a get: it is often in gloo-system); an
 * object of the same name that existed before the Canary is adopted, its original spec kept for finalize.
 */
export class GlooRouter extends ApexRouter {
  constructor(deps: RouterDeps) {
    super('gloo', deps, { resource: Resources.glooRouteTables, spec: routeTableSpec, routesOf: routesOfRouteTable });
  }

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    return validateForGloo(canary, strategy);
  }

  override async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const config = await this.upstreamConfig(canary, signal);
    for (const side of SIDES) {
      const g = { resource: Resources.glooUpstreams, name: upstreamName(canary, side), spec: upstreamSpec(canary, side, config) };
      await ensureGenerated(this.deps, canary, g, signal);
    }
    await super.reconcile(canary, target, strategy, signal);
  }

  /** The spec of the Upstream spec.upstreamRef names, read at each reconcile; a missing one stalls the Canary saying so. */
  private async upstreamConfig(canary: Canary, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const ref = upstreamRefOf(canary);
    if (!ref) return undefined;
    try {
      const u = await this.deps.client.get<KubeObject & { spec?: Record<string, unknown> }>(
        Resources.glooUpstreams,
        ref.namespace,
        ref.name,
        signal,
      );
      return u.spec ?? {};
    } catch (err) {
      if (isNotFound(err)) throw new TargetError('TargetInvalid', `Upstream ${ref.namespace}/${ref.name} (spec.upstreamRef) not found`);
      throw err;
    }
  }

  override async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    await super.finalize(canary, signal);
    for (const side of SIDES) await releaseGenerated(this.deps, canary, Resources.glooUpstreams, upstreamName(canary, side), signal);
  }
}
