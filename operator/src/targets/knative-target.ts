import type { Pod } from '../api/k8s.js';
import type { Canary } from '../api/types.js';
import { problemsOfPods, type PodProblem } from '../core/pods.js';
import type { Lister } from '../kube/informer.js';
import {
  latestRevisionOf,
  primaryRevisionOf,
  REVISION_LABEL,
  revisionReadiness,
  type KnativeRevision,
  type KnativeService,
} from './knative.js';
import { TargetError, type Readiness, type Target, type TargetInfo } from './target.js';

export interface KnativeTargetDeps {
  services: () => Promise<Lister<KnativeService>>;
  revisions: () => Promise<Lister<KnativeRevision>>;
  pods: Lister<Pod>;
}

/**
 * Releases a Knative Service (serving.knative.dev/v1): no copy of it is made. The canary is the latest Revision
 * Knative created; the primary is the Revision the Canary's status last promoted (primaryRevisionOf). Promotion
 * is a routing change (the knative router writes the Service's spec.traffic), so promote, scaling and the
 * autoscaler do nothing: Knative scales each Revision by its traffic. Reads come from the informers' caches.
 */
export class KnativeTarget implements Target {
  readonly kind = 'Service';
  readonly routesThroughServices = false;
  /** The primary is the promoted Revision, which Knative keeps running: a rollback routes back to it. */
  readonly model = 'primary-copy';
  /** The caches as last read by describe (a turn always describes first). */
  private svcs: Lister<KnativeService> | undefined;
  private revs: Lister<KnativeRevision> | undefined;

  constructor(private readonly deps: KnativeTargetDeps) {}

  private service(canary: Canary): KnativeService | undefined {
    return this.svcs?.get(canary.metadata.namespace, canary.spec.targetRef.name);
  }

  async describe(canary: Canary, _signal?: AbortSignal): Promise<TargetInfo> {
    this.svcs = await this.deps.services();
    this.revs = await this.deps.revisions();
    const ns = canary.metadata.namespace;
    const svc = this.service(canary);
    if (!svc) throw new TargetError('TargetNotFound', `Knative Service ${ns}/${canary.spec.targetRef.name} not found`);
    const latest = latestRevisionOf(svc);
    if (!latest)
      throw new TargetError(
        'TargetNotFound',
        `Knative Service ${ns}/${svc.metadata.name} has no revision yet (status.latestCreatedRevisionName)`,
      );
    return {
      name: svc.metadata.name!,
      primaryName: primaryRevisionOf(canary.status, latest),
      selectorLabel: REVISION_LABEL,
      selectorValue: latest,
      revision: latest,
      extraPorts: [],
      configs: { refs: [], checksums: {} },
    };
  }

  /** The primary is a Revision Knative already runs: nothing to create. */
  ensurePrimary(): Promise<void> {
    return Promise.resolve();
  }

  /** The analysed Revision becomes the primary through the status (Promoting) and the routes: nothing to copy. */
  promote(): Promise<void> {
    return Promise.resolve();
  }

  primaryRevision(canary: Canary): string | undefined {
    const latest = latestRevisionOf(this.service(canary));
    return latest === undefined ? undefined : primaryRevisionOf(canary.status, latest);
  }

  private readiness(canary: Canary, of: 'canary' | 'primary'): Readiness {
    const svc = this.service(canary);
    const name = of === 'canary' ? latestRevisionOf(svc) : this.primaryRevision(canary);
    if (!name) return { ready: false, reason: `Knative Service ${canary.spec.targetRef.name} has no revision`, fatal: false };
    return revisionReadiness(name, this.revs?.get(canary.metadata.namespace, name), svc);
  }

  /** Knative serves a Revision once it is Ready: no pod threshold applies. */
  primaryReadiness(canary: Canary, _thresholdPct?: number): Readiness {
    return this.readiness(canary, 'primary');
  }

  canaryReadiness(canary: Canary, _thresholdPct?: number): Readiness {
    return this.readiness(canary, 'canary');
  }

  podProblems(canary: Canary, of: 'canary' | 'primary'): PodProblem[] {
    const name = of === 'canary' ? latestRevisionOf(this.service(canary)) : this.primaryRevision(canary);
    if (!name) return [];
    return problemsOfPods(this.deps.pods.list(canary.metadata.namespace).filter((p) => p.metadata.labels?.[REVISION_LABEL] === name));
  }

  /** Knative runs every Revision (scaled by its traffic): the canary runs when the latest is not the primary one. */
  canaryRunning(canary: Canary): boolean {
    const latest = latestRevisionOf(this.service(canary));
    return latest !== undefined && latest !== this.primaryRevision(canary);
  }

  /** Knative scales each Revision by the traffic it gets (and to zero without any). */
  scaleCanary(): Promise<void> {
    return Promise.resolve();
  }

  syncAutoscaler(): Promise<void> {
    return Promise.resolve();
  }
}
