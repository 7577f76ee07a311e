import type { Canary, KubeObject } from '../api/types.js';
import { Resources } from '../kube/resources.js';
import type { TargetInfo } from '../targets/target.js';
import { ensureObject, mergeMetadata, ownedBy } from './apply.js';
import { destinationRuleSpec, routesOfVirtualService, virtualServiceSpec } from './istio-spec.js';
import { routesFor, type AnyObject, type Router, type RouterDeps, type Routes } from './router.js';
import { serviceNames } from './services.js';

type IstioObject = KubeObject & { spec?: Record<string, unknown> };

/** Original spec of a VirtualService the Canary adopted, restored by finalize. */
export const ORIGINAL_SPEC_ANNOTATION = 'tollgate.dev/original-spec';

/** Istio: a VirtualService `<apex>` splitting between DestinationRules `<apex>-primary` and `<apex>-canary`. */
export class IstioRouter implements Router {
  readonly provider = 'istio';

  constructor(private readonly deps: RouterDeps) {}

  async reconcile(canary: Canary, target: TargetInfo, signal: AbortSignal): Promise<void> {
    const routes = (await this.getRoutes(canary)) ?? routesFor(0);
    await this.setRoutes(canary, target, routes, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    await this.ensureDestinationRule(canary, names.primary, signal);
    await this.ensureDestinationRule(canary, names.canary, signal);
    const lister = await this.deps.informers.lister<IstioObject>(Resources.virtualServices);
    await ensureObject(this.deps.client, lister, Resources.virtualServices, { namespace: canary.metadata.namespace!, name: names.apex }, (live) => {
      const adopted = live !== undefined && !ownedBy(live, canary);
      const keepOriginal = adopted && !live.metadata.annotations?.[ORIGINAL_SPEC_ANNOTATION];
      const metadata = mergeMetadata(live?.metadata, canary, {
        name: names.apex, owner: [this.deps.ownerRef(canary)],
        labels: canary.spec.service?.apex?.labels ?? {},
        annotations: { ...canary.spec.service?.apex?.annotations, ...(keepOriginal ? { [ORIGINAL_SPEC_ANNOTATION]: JSON.stringify(live.spec ?? {}) } : {}) },
      });
      return { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', ...live, metadata, spec: virtualServiceSpec(canary, routes) } as AnyObject;
    }, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const lister = await this.deps.informers.lister<IstioObject>(Resources.virtualServices);
    const vs = lister.get(canary.metadata.namespace, serviceNames(canary).apex);
    return vs && routesOfVirtualService(canary, vs.spec);
  }

  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const lister = await this.deps.informers.lister<IstioObject>(Resources.virtualServices);
    const names = serviceNames(canary);
    const vs = lister.get(canary.metadata.namespace, names.apex);
    if (!vs) return;
    const original = vs.metadata.annotations?.[ORIGINAL_SPEC_ANNOTATION];
    const spec = original ? (JSON.parse(original) as Record<string, unknown>) : virtualServiceSpec(canary, routesFor(0));
    const annotations = { ...vs.metadata.annotations };
    delete annotations[ORIGINAL_SPEC_ANNOTATION];
    await this.deps.client.replace(Resources.virtualServices, { ...vs, metadata: { ...vs.metadata, annotations }, spec } as AnyObject, signal);
  }

  private async ensureDestinationRule(canary: Canary, host: string, signal: AbortSignal): Promise<void> {
    const lister = await this.deps.informers.lister<IstioObject>(Resources.destinationRules);
    await ensureObject(this.deps.client, lister, Resources.destinationRules, { namespace: canary.metadata.namespace!, name: host }, (live) => {
      const metadata = mergeMetadata(live?.metadata, canary, { name: host, owner: [this.deps.ownerRef(canary)] });
      return { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', ...live, metadata, spec: destinationRuleSpec(canary, host) } as AnyObject;
    }, signal);
  }
}
