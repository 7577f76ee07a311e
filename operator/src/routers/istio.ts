import type { Canary, KubeObject } from '../api/types.js';
import { Resources } from '../kube/resources.js';
import type { TargetInfo } from '../targets/target.js';
import { APPLIED_ANNOTATION, ensureGenerated, liveSpec, ownedBy, releaseGenerated } from './apply.js';
import { destinationRuleSpec, routesOfVirtualService, virtualServiceSpec } from './istio-spec.js';
import { routesFor, type AnyObject, type Router, type RouterDeps, type Routes } from './router.js';
import { serviceNames } from './services.js';

/** Original spec of a VirtualService the Canary adopted, restored by finalize. */
export const ORIGINAL_SPEC_ANNOTATION = 'tollgate.dev/original-spec';

/** Istio: a VirtualService `<apex>` splitting between DestinationRules `<apex>-primary` and `<apex>-canary`. */
export class IstioRouter implements Router {
  readonly provider = 'istio';

  constructor(private readonly deps: RouterDeps) {}

  async reconcile(canary: Canary, target: TargetInfo, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    for (const host of [names.primary, names.canary]) {
      await ensureGenerated(this.deps, canary, { resource: Resources.destinationRules, name: host, spec: destinationRuleSpec(canary, host) }, signal);
    }
    await ensureGenerated(this.deps, canary, {
      resource: Resources.virtualServices, name: names.apex, spec: virtualServiceSpec(canary, routes),
      labels: canary.spec.service?.apex?.labels,
      annotations: (live) => {
        const adopted = live !== undefined && !ownedBy(live, canary) && !live.metadata.annotations?.[ORIGINAL_SPEC_ANNOTATION];
        return { ...canary.spec.service?.apex?.annotations, ...(adopted ? { [ORIGINAL_SPEC_ANNOTATION]: JSON.stringify(live.spec ?? {}) } : {}) };
      },
    }, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const spec = await liveSpec(this.deps, canary, Resources.virtualServices, serviceNames(canary).apex);
    return spec && routesOfVirtualService(canary, spec);
  }

  /** Deletes what this Canary created; a VirtualService it adopted gets its original spec back. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    for (const host of [names.primary, names.canary]) await releaseGenerated(this.deps, canary, Resources.destinationRules, host, signal);
    if (await releaseGenerated(this.deps, canary, Resources.virtualServices, names.apex, signal)) return;
    const lister = await this.deps.informers.lister<KubeObject & { spec?: Record<string, unknown> }>(Resources.virtualServices);
    const vs = lister.get(canary.metadata.namespace, names.apex);
    const original = vs?.metadata.annotations?.[ORIGINAL_SPEC_ANNOTATION];
    if (!vs || !original) return;
    const annotations = { ...vs.metadata.annotations };
    delete annotations[ORIGINAL_SPEC_ANNOTATION];
    delete annotations[APPLIED_ANNOTATION];
    const spec = JSON.parse(original) as Record<string, unknown>;
    await this.deps.client.replace(Resources.virtualServices, { ...vs, metadata: { ...vs.metadata, annotations }, spec } as AnyObject, signal);
  }
}
