import type { Canary } from '../../api/types.js';
import { covers } from '../../kube/ensure.js';
import { Resources } from '../../kube/resources.js';
import {
  canaryRevisionOf,
  latestRevisionOf,
  primaryRevisionOf,
  type KnativeService,
  type KnativeTrafficTarget,
} from '../../targets/knative.js';
import type { TargetInfo } from '../../targets/target.js';
import {
  notAppliedNotice,
  ROUTING_FIELDS,
  routesFor,
  type Router,
  type RouterDeps,
  type RouterValidation,
  type Routes,
} from '../router.js';
import { routesOfTraffic, trafficFor } from './traffic.js';

/** What Knative does without a traffic block: everything to the latest ready Revision. */
const KNATIVE_DEFAULT: KnativeTrafficTarget[] = [{ latestRevision: true, percent: 100 }];

/**
 * Knative: the split is the target's own spec.traffic, between the primary Revision and the canary Revision (see
 * targets/knative.ts for which is which). No object is generated; the Knative Service is the user's and only its
 * spec.traffic is written, by a replace of the object read from the cache (a change in between is a 409).
 */
export class KnativeRouter implements Router {
  readonly provider = 'knative';

  constructor(private readonly deps: RouterDeps) {}

  validate(canary: Canary): RouterValidation {
    const where = "the Knative Service's spec.traffic carries the split, its own route the rest";
    return { errors: [], notices: notAppliedNotice(canary, this.provider, ROUTING_FIELDS, where) };
  }

  private async service(canary: Canary): Promise<KnativeService | undefined> {
    const lister = await this.deps.informers.lister<KnativeService>(Resources.knativeServices);
    return lister.get(canary.metadata.namespace, canary.spec.targetRef.name);
  }

  async reconcile(canary: Canary, target: TargetInfo, _strategy: unknown, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), undefined, signal);
  }

  async setRoutes(canary: Canary, target: TargetInfo, routes: Routes, _strategy: unknown, signal: AbortSignal): Promise<void> {
    const svc = await this.service(canary);
    if (!svc) return;
    const latest = latestRevisionOf(svc) ?? target.revision;
    const want = trafficFor(primaryRevisionOf(canary.status, latest), canaryRevisionOf(canary.status, latest), routes);
    await this.write(svc, want, signal);
  }

  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const svc = await this.service(canary);
    const latest = latestRevisionOf(svc);
    if (!svc || !latest) return undefined;
    return routesOfTraffic(svc.spec?.traffic, primaryRevisionOf(canary.status, latest), canaryRevisionOf(canary.status, latest));
  }

  /** revertOnDeletion: the traffic block Knative has by default (all to the latest ready Revision). */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const svc = await this.service(canary);
    if (svc) await this.write(svc, KNATIVE_DEFAULT, signal);
  }

  private async write(svc: KnativeService, traffic: KnativeTrafficTarget[], signal: AbortSignal): Promise<void> {
    // Knative's webhook adds defaults (latestRevision: false on an entry naming a Revision): compare what we set.
    if (covers(svc.spec?.traffic, traffic)) return;
    await this.deps.client.replace<KnativeService>(Resources.knativeServices, { ...svc, spec: { ...svc.spec, traffic } }, signal);
  }
}
