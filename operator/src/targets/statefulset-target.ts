import { routesByService } from '@tollgate/contract/capabilities';
import { apexName, primaryName } from '@tollgate/contract/metadata';
import type { ControllerRevision, Pod, Service, StatefulSet } from '../api/k8s.js';
import type { Canary } from '../api/types.js';
import { problemsOfPods, selectorMatches, type PodProblem } from '../core/pods.js';
import { analysisOf } from '../core/analysis.js';
import type { KubeClient } from '../kube/client.js';
import type { Lister } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import { selectorLabelOf, templateRevision } from './deployment-spec.js';
import {
  canaryPodsReadiness,
  desiredPartition,
  inPlaceRefusal,
  isPodReady,
  type MeshSplit,
  newPodsFor,
  partitionOf,
  podNamesOf,
  restoreStep,
  RevisionDataError,
  REVISION_LABEL,
  rolledOutReadiness,
  stuckPods,
  templateOfRevision,
} from './partition.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import {
  meshCanaryPods,
  meshRefusal,
  revisionSelectors,
  runMaxWeight,
  selectsEveryRevision,
  type RevisionRouting,
} from './revision-routing.js';
import { STATEFULSET_KIND } from './workload-kinds.js';
import { TargetError, type Readiness, type Target, type TargetInfo } from './target.js';

export interface StatefulSetTargetDeps {
  client: KubeClient;
  statefulSets: Lister<StatefulSet>;
  /** The Pods cache (metadata and status, see kube/pods.ts). */
  pods: Lister<Pod>;
  selectorLabels: readonly string[];
  fieldManager: string;
  /** The provider of a Canary that names none: whether it routes by Service decides the routing (revision-routing.ts). */
  defaultProvider: string;
  /** The Services cache: a mesh-routed promotion waits for -primary to select every pod. */
  services: () => Promise<Lister<Service>>;
}

/**
 * Releases a StatefulSet in place (model in-place, partition.ts): no primary copy, so the pods keep their volumes.
 * The new revision reaches the highest ordinals first as the partition is lowered step by step; promotion lowers it
 * to 0; a rollback puts the promoted template back from its ControllerRevision and the StatefulSet controller moves
 * the new pods back. Between runs the partition equals replicas, so a template change waits for the analysis.
 * With a provider that routes by Service (a mesh), the mesh splits the traffic instead (revision-routing.ts).
 */
export class StatefulSetTarget implements Target {
  readonly kind = STATEFULSET_KIND;
  readonly model = 'in-place';
  /** The apex Service selects every pod; -primary and -canary select by controller-revision-hash. */
  readonly routesThroughServices = true;

  constructor(private readonly deps: StatefulSetTargetDeps) {}

  private target(canary: Canary): StatefulSet {
    const sts = this.deps.statefulSets.get(canary.metadata.namespace, canary.spec.targetRef.name);
    if (!sts) throw new TargetError('TargetNotFound', `StatefulSet ${canary.metadata.namespace}/${canary.spec.targetRef.name} not found`);
    return sts;
  }

  describe(canary: Canary): Promise<TargetInfo> {
    const sts = this.target(canary);
    const routing = this.routing(canary);
    const refusal = inPlaceRefusal(sts) ?? (routing.by === 'mesh' ? meshRefusal(sts.metadata.name!, sts.spec.replicas ?? 1) : undefined);
    if (refusal) return Promise.reject(new TargetError('TargetInvalid', refusal));
    const sel = selectorLabelOf(sts, this.deps.selectorLabels);
    const current = sts.status?.currentRevision ?? '';
    const update = sts.status?.updateRevision ?? current;
    const all = { [sel.key]: sel.value };
    const pods = this.podsOf(sts);
    return Promise.resolve({
      name: sts.metadata.name!,
      primaryName: sts.metadata.name!,
      selectorLabel: sel.key,
      selectorValue: sel.value,
      revision: templateRevision(sts.spec.template),
      configs: { refs: [], checksums: {} },
      extraPorts: [],
      podSelectors: revisionSelectors(all, { current, update }, canary.status?.phase, routing.by),
      controllerRevisions: {
        current,
        update,
        currentPods: podNamesOf(pods, current),
        updatePods: podNamesOf(pods, update),
      },
    });
  }

  /** Nothing to create: the StatefulSet itself serves; its partition is set once it is rolled out (scaleCanary). */
  ensurePrimary(): Promise<void> {
    return Promise.resolve();
  }

  /** Promotion: partition 0, every pod moves to the analysed revision (mesh-routed: once -primary selects them all). */
  async promote(canary: Canary, _info: TargetInfo, signal: AbortSignal): Promise<void> {
    const sts = this.target(canary);
    const mesh = await this.meshSplit(canary, sts);
    if (mesh && !mesh.primaryWide) return;
    await this.setPartition(sts, 0, signal);
  }

  /** The revision every pod is moving to once promoted (partition 0); before that, the promoted one. */
  primaryRevision(canary: Canary): string | undefined {
    const sts = this.deps.statefulSets.get(canary.metadata.namespace, canary.spec.targetRef.name);
    if (sts && partitionOf(sts) === 0) return templateRevision(sts.spec.template);
    return canary.status?.lastPromotedSpec;
  }

  primaryReadiness(canary: Canary, thresholdPct: number): Readiness {
    return rolledOutReadiness(this.deps.statefulSets.get(canary.metadata.namespace, canary.spec.targetRef.name), thresholdPct);
  }

  canaryReadiness(canary: Canary, thresholdPct: number): Readiness {
    const sts = this.target(canary);
    const update = sts.status?.updateRevision;
    const readyNew = this.podsOf(sts).filter((p) => p.metadata.labels?.[REVISION_LABEL] === update && isPodReady(p)).length;
    const routing = this.routing(canary);
    const replicas = sts.spec.replicas ?? 1;
    const wanted =
      routing.by === 'mesh' ? meshCanaryPods(replicas, routing.maxWeight) : newPodsFor(replicas, canary.status?.canaryWeight ?? 0);
    return canaryPodsReadiness(sts, wanted, readyNew, thresholdPct);
  }

  podProblems(canary: Canary, of: 'canary' | 'primary'): PodProblem[] {
    const sts = this.deps.statefulSets.get(canary.metadata.namespace, canary.spec.targetRef.name);
    if (!sts) return [];
    const revision = of === 'canary' ? sts.status?.updateRevision : sts.status?.currentRevision;
    return problemsOfPods(this.podsOf(sts).filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision));
  }

  /** Pods of the new revision run: the partition is below the replicas, and the update revision is not the current one. */
  canaryRunning(canary: Canary): boolean {
    const sts = this.deps.statefulSets.get(canary.metadata.namespace, canary.spec.targetRef.name);
    if (!sts) return false;
    return partitionOf(sts) < (sts.spec.replicas ?? 1) && sts.status?.updateRevision !== sts.status?.currentRevision;
  }

  /** Sets the partition the Canary's status asks for (desiredPartition); `up` is the status' own reading. */
  async scaleCanary(canary: Canary, _up: boolean, signal: AbortSignal): Promise<void> {
    const sts = this.target(canary);
    const s = canary.status ?? {};
    const want = desiredPartition(
      { phase: s.phase, canaryWeight: s.canaryWeight ?? 0, restoring: s.restoring === true },
      sts.spec.replicas ?? 1,
      await this.meshSplit(canary, sts),
    );
    if (want !== undefined) await this.setPartition(sts, want, signal);
  }

  syncAutoscaler(): Promise<void> {
    return Promise.resolve();
  }

  async restore(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<{ done: boolean; detail: string }> {
    const sts = this.target(canary);
    const promoted = canary.status?.promotedControllerRevision;
    if (!promoted) return { done: true, detail: 'no promoted ControllerRevision recorded: the template is left as it is' };
    const step = restoreStep(sts, promoted, info.revision === canary.status?.lastAppliedSpec);
    switch (step.kind) {
      case 'write-template':
        await this.writeTemplate(sts, promoted, signal);
        return { done: false, detail: `restoring the template of revision ${promoted}` };
      case 'wait': {
        const replaced = sts.status?.updateRevision === promoted ? await this.replaceStuck(sts, promoted, signal) : [];
        const also = replaced.length ? `; replaced the unready pods ${replaced.join(', ')}` : '';
        return { done: false, detail: `rolling back: ${step.reason}${also}` };
      }
      case 'abandon':
        return { done: true, detail: `rollback left off: ${step.reason}` };
      case 'arm':
        await this.setPartition(sts, sts.spec.replicas ?? 1, signal);
        return { done: true, detail: `every pod runs revision ${promoted} again` };
    }
  }

  /** The promoted template, read from its ControllerRevision (one GET, on rollback only), replaces the current one. */
  private async writeTemplate(sts: StatefulSet, revision: string, signal: AbortSignal): Promise<void> {
    const cr = await this.deps.client.get<ControllerRevision>(Resources.controllerRevisions, sts.metadata.namespace, revision, signal);
    let template;
    try {
      template = templateOfRevision(cr.data);
    } catch (err) {
      if (err instanceof RevisionDataError) throw new TargetError('TargetInvalid', `ControllerRevision ${revision}: ${err.message}`);
      throw err;
    }
    // A replace of the object read (its resourceVersion): a change in between is a 409 and the step runs again.
    await this.deps.client.replace<StatefulSet>(Resources.statefulSets, { ...sts, spec: { ...sts.spec, template } }, signal);
  }

  /** Deletes the pods the StatefulSet controller will not move back (stuckPods): each only if it is the pod read. */
  private async replaceStuck(sts: StatefulSet, promoted: string, signal: AbortSignal): Promise<string[]> {
    const stuck = stuckPods(this.podsOf(sts), promoted);
    for (const p of stuck) {
      const preconditions = { uid: p.metadata.uid };
      try {
        await this.deps.client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!, { preconditions }, signal);
      } catch (err) {
        // Gone, or replaced since read (another uid): the next step looks again.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    return stuck.map((p) => p.metadata.name!);
  }

  private async setPartition(sts: StatefulSet, partition: number, signal: AbortSignal): Promise<void> {
    if (partitionOf(sts) === partition && sts.spec.updateStrategy?.rollingUpdate?.partition !== undefined) return;
    await this.deps.client.patch(
      Resources.statefulSets,
      sts.metadata.namespace,
      sts.metadata.name!,
      // The partition follows replicas: computed from the object read, and written only onto it (409 otherwise).
      {
        metadata: { resourceVersion: sts.metadata.resourceVersion },
        spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } },
      },
      { signal, fieldManager: this.deps.fieldManager },
    );
  }

  /** By a mesh when the Canary's provider routes each side through its Service (capability routesByService). */
  private routing(canary: Canary): RevisionRouting {
    const provider = canary.spec.provider || this.deps.defaultProvider;
    if (!routesByService(provider)) return { by: 'pods' };
    return { by: 'mesh', maxWeight: runMaxWeight(analysisOf(canary.spec)) };
  }

  /** A mesh-routed run's split: the canary's pods, and whether the live -primary Service selects every pod. */
  private async meshSplit(canary: Canary, sts: StatefulSet): Promise<MeshSplit | undefined> {
    const routing = this.routing(canary);
    if (routing.by !== 'mesh') return undefined;
    const services = await this.deps.services();
    const primary = services.get(canary.metadata.namespace, primaryName(apexName(canary.spec)));
    return {
      canaryPods: meshCanaryPods(sts.spec.replicas ?? 1, routing.maxWeight),
      primaryWide: selectsEveryRevision(primary?.spec.selector),
    };
  }

  private podsOf(sts: StatefulSet): Pod[] {
    return this.deps.pods.list(sts.metadata.namespace).filter((p) => selectorMatches(sts.spec.selector, p.metadata.labels));
  }
}
