import type { Pod, PodTemplate, StatefulSet } from '../api/k8s.js';
import type { Phase } from '../api/types.js';
import type { Readiness } from './target.js';

/**
 * The in-place (partition) model of a StatefulSet release, as pure decisions. One StatefulSet keeps its pods and
 * their volumes; `spec.updateStrategy.rollingUpdate.partition` says which ordinals run the new revision: the
 * StatefulSet controller moves every pod with an ordinal >= partition to the update revision, highest first.
 */

/** The label the StatefulSet controller puts on each pod: the name of the ControllerRevision it runs. */
export const REVISION_LABEL = 'controller-revision-hash';

/**
 * How many pods run the new revision at a canary weight: ceil(replicas * weight / 100), so any weight above 0
 * moves at least one pod and the share of new pods is never below the weight; 0 at weight 0, all at 100.
 */
export function newPodsFor(replicas: number, weight: number): number {
  if (replicas <= 0 || weight <= 0) return 0;
  return Math.min(replicas, Math.ceil((replicas * Math.min(100, weight)) / 100));
}

/** The status fields the partition follows. */
export interface PartitionState {
  phase: Phase | undefined;
  canaryWeight: number;
  /** A rollback is putting the promoted revision back: the partition stays where the run left it. */
  restoring: boolean;
}

/**
 * A run routed by a mesh (revision-routing.ts): the pods the new revision keeps whatever the weight
 * (meshCanaryPods), and whether the live -primary Service already selects every pod (promotion may then proceed).
 */
export interface MeshSplit {
  canaryPods: number;
  primaryWide: boolean;
}

/**
 * The partition a StatefulSet should have; undefined: leave it as it is. Routed by a mesh, the partition leaves
 * mesh.canaryPods pods on the new revision for the whole analysis, and goes to 0 once -primary selects every pod. In analysis the highest
 * newPodsFor(weight) ordinals take the new revision; promotion lowers it to 0 (every pod); a Canary being deleted
 * (revertOnDeletion) gives the StatefulSet back with 0; otherwise it is `replicas`, so a change of the template
 * reaches no pod until a run lowers it.
 */
export function desiredPartition(s: PartitionState, replicas: number, mesh?: MeshSplit): number | undefined {
  if (s.restoring) return undefined;
  switch (s.phase) {
    case 'Progressing':
    case 'WaitingPromotion':
      return replicas - (mesh ? mesh.canaryPods : newPodsFor(replicas, s.canaryWeight));
    case 'Promoting':
      // Routed by a mesh, -primary must select every pod before the old ones are replaced.
      return mesh && !mesh.primaryWide ? undefined : 0;
    case 'Finalising':
    case 'Terminating':
      return 0;
    default:
      return replicas;
  }
}

export const partitionOf = (sts: StatefulSet): number => sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;

/** Why a StatefulSet cannot be released in place; undefined when it can. */
export function inPlaceRefusal(sts: StatefulSet): string | undefined {
  const type = sts.spec.updateStrategy?.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') {
    return (
      `StatefulSet ${sts.metadata.name} has updateStrategy ${type}: a release moves pods to the new revision through ` +
      'updateStrategy.rollingUpdate.partition, which only RollingUpdate honours; set updateStrategy.type: RollingUpdate'
    );
  }
  return undefined;
}

const observed = (sts: StatefulSet): boolean => (sts.status?.observedGeneration ?? 0) >= (sts.metadata.generation ?? 0);

/**
 * Readiness of the stable side: every pod runs the update revision (the StatefulSet's rollout is complete) and
 * enough of them are ready. At initialization this waits for a rollout the user started; after a promotion, for
 * the one partition 0 started.
 */
export function rolledOutReadiness(sts: StatefulSet | undefined, thresholdPct: number): Readiness {
  if (!sts) return { ready: false, reason: 'statefulset not found', fatal: false };
  if (!observed(sts)) return { ready: false, reason: 'rollout not yet observed', fatal: false };
  const want = sts.spec.replicas ?? 1;
  if (want === 0) return { ready: false, reason: `${sts.metadata.name} is scaled to zero`, fatal: true };
  const st = sts.status ?? {};
  const updated = st.updatedReplicas ?? 0;
  if (updated < want || (st.replicas ?? 0) > want)
    return { ready: false, reason: `${updated} of ${want} pods run revision ${st.updateRevision ?? '?'}`, fatal: false };
  const needed = Math.ceil((want * thresholdPct) / 100);
  if ((st.readyReplicas ?? 0) < needed) return { ready: false, reason: `${st.readyReplicas ?? 0} of ${needed} pods ready`, fatal: false };
  return { ready: true };
}

/**
 * Readiness of the canary side: the partition leaves `wanted` pods on the new revision (newPodsFor the weight, or
 * meshCanaryPods) and the controller saw it, and enough of those pods run it and are ready (readyNew: from the Pods cache).
 */
export function canaryPodsReadiness(sts: StatefulSet, wanted: number, readyNew: number, thresholdPct: number): Readiness {
  if (!observed(sts)) return { ready: false, reason: 'rollout not yet observed', fatal: false };
  const replicas = sts.spec.replicas ?? 1;
  if (partitionOf(sts) > replicas - wanted)
    return { ready: false, reason: `partition ${partitionOf(sts)} not yet lowered to ${replicas - wanted}`, fatal: false };
  const needed = Math.ceil((wanted * thresholdPct) / 100);
  if (readyNew < needed)
    return { ready: false, reason: `${readyNew} of ${needed} pods of revision ${sts.status?.updateRevision ?? '?'} ready`, fatal: false };
  return { ready: true };
}

export class RevisionDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevisionDataError';
  }
}

/**
 * The pod template a StatefulSet's ControllerRevision holds. Its data is the patch the StatefulSet controller
 * records, `{"spec":{"template":{..., "$patch":"replace"}}}`: the template whole, with the patch directive removed.
 */
export function templateOfRevision(data: unknown): PodTemplate {
  const template = (data as { spec?: { template?: unknown } } | undefined)?.spec?.template;
  if (!template || typeof template !== 'object' || Array.isArray(template))
    throw new RevisionDataError('the ControllerRevision holds no spec.template');
  const { $patch: _p, ...rest } = template as Record<string, unknown>;
  const spec = rest.spec as PodTemplate['spec'] | undefined;
  if (!spec || !Array.isArray(spec.containers)) throw new RevisionDataError('the ControllerRevision template has no containers');
  return rest as unknown as PodTemplate;
}

/** Where a rollback stands (pure): what the StatefulSet shows decides the next action. */
export type RestoreStep =
  { kind: 'write-template' } | { kind: 'wait'; reason: string } | { kind: 'arm' } | { kind: 'abandon'; reason: string };

/**
 * The next step of putting the promoted revision back. failedTemplate: the template is still the failed revision's
 * (a template someone changed since is theirs: the rollback leaves it, and the next run analyses it).
 */
export function restoreStep(sts: StatefulSet, promotedRevision: string, failedTemplate: boolean): RestoreStep {
  const st = sts.status ?? {};
  if (!observed(sts)) return { kind: 'wait', reason: 'the StatefulSet controller has not seen the last change yet' };
  if (st.updateRevision !== promotedRevision) {
    if (failedTemplate) return { kind: 'write-template' };
    return { kind: 'abandon', reason: `the template changed since the rollback (revision ${st.updateRevision ?? '?'})` };
  }
  const replicas = sts.spec.replicas ?? 1;
  if ((st.updatedReplicas ?? 0) < replicas || (st.replicas ?? 0) > replicas)
    return { kind: 'wait', reason: `${st.updatedReplicas ?? 0} of ${replicas} pods are back on revision ${promotedRevision}` };
  return { kind: 'arm' };
}

export const isPodReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * The pods a rollback must replace itself: on another revision than the promoted one, not ready and not already
 * going. The StatefulSet controller never replaces them (with OrderedReady it waits for an unready pod to become
 * ready before it updates any, kubernetes/kubernetes#67250); deleted, they come back on the promoted revision.
 */
export function stuckPods(pods: readonly Pod[], promoted: string): Pod[] {
  return pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] !== promoted && !p.metadata.deletionTimestamp && !isPodReady(p));
}

/** The names of the pods running a revision (their controller-revision-hash). */
export const podNamesOf = (pods: readonly Pod[], revision: string): string[] =>
  pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).map((p) => p.metadata.name!);
