import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { DaemonSet, Deployment, PodTemplate, Workload } from '../api/k8s.js';
import { Resources, type ResourceType } from '../kube/resources.js';
import { KNATIVE_SERVICE_KEY } from './knative.js';
import { deploymentReadiness, deploymentSpecFields } from './deployment-spec.js';
import type { Readiness } from './target.js';

/** What differs between the workload kinds a Canary can release. */
export interface WorkloadKind<W extends Workload = Workload> {
  kind: string;
  resource: ResourceType;
  /** The pod template that is the revision (without what the operator itself sets to scale it down). */
  revisionTemplate(w: W): PodTemplate;
  /** Spec fields of a new primary besides selector and template. */
  primarySpec(target: W): Record<string, unknown>;
  readiness(w: W | undefined, thresholdPct: number): Readiness;
  /** A merge patch that scales the target up (to the primary's size) or down; undefined when it is there. */
  scalePatch(target: W, up: boolean, primary: W | undefined): unknown;
  /** The size a promoted primary starts at, when the kind has one. */
  promotedReplicas?(target: W, primary: W, autoscaled: boolean): number | undefined;
  /**
   * Kinds with replicas (replica-ratio releases): a merge patch sizing the workload to `replicas`, its pods in the
   * ratio pool (LABELS.pool: `pool`), its `annotations` set (null: removed); undefined when it is there already.
   */
  ratioPatch?(w: W, replicas: number, pool: string, annotations: Readonly<Record<string, string | null>>): unknown;
}

/** The primary's full size recorded by a replica-ratio release that scaled it down (ANNOTATIONS.fullReplicas). */
export function fullReplicasOf(w: Workload | undefined): number | undefined {
  const n = Number(w?.metadata.annotations?.[ANNOTATIONS.fullReplicas]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** A Deployment's template without the ratio pool label, which the operator adds and is no part of the revision. */
function withoutPool(t: PodTemplate): PodTemplate {
  const labels = t.metadata?.labels;
  if (!labels || !(LABELS.pool in labels)) return t;
  const { [LABELS.pool]: _p, ...rest } = labels;
  return { ...t, metadata: { ...t.metadata, labels: rest } };
}

function deploymentRatioPatch(
  d: Deployment & Workload,
  replicas: number,
  pool: string,
  annotations: Readonly<Record<string, string | null>>,
): unknown {
  const pooled = d.spec.template.metadata?.labels?.[LABELS.pool] === pool;
  const notes = Object.entries(annotations).filter(([k, v]) => (d.metadata.annotations?.[k] ?? null) !== v);
  if ((d.spec.replicas ?? 1) === replicas && pooled && notes.length === 0) return undefined;
  return {
    ...(notes.length ? { metadata: { annotations: Object.fromEntries(notes) } } : {}),
    spec: { replicas, ...(pooled ? {} : { template: { metadata: { labels: { [LABELS.pool]: pool } } } }) },
  };
}

export const DEPLOYMENT: WorkloadKind<Deployment & Workload> = {
  kind: 'Deployment',
  resource: Resources.deployments,
  revisionTemplate: (d) => withoutPool(d.spec.template),
  primarySpec: (d) => deploymentSpecFields(d),
  readiness: (d, pct) => deploymentReadiness(d, pct),
  // Up: to the primary's size, or to its full size when a replica-ratio release has scaled it down.
  scalePatch(d, up, primary) {
    const current = d.spec.replicas ?? 1;
    const full = fullReplicasOf(primary) ?? 0;
    const want = up ? Math.max(current > 0 ? current : Math.max(1, primary?.spec.replicas ?? 1), full) : 0;
    return want === current ? undefined : { spec: { replicas: want } };
  },
  ratioPatch: deploymentRatioPatch,
  // Without an autoscaler the target's replicas are what the user asked for. With one, the primary starts at no
  // fewer pods than the canary runs now, so it does not take the full load at its old size (Flagger #1600).
  promotedReplicas: (d, primary, autoscaled) =>
    autoscaled
      ? Math.max(d.status?.readyReplicas ?? 0, d.spec.replicas ?? 0, primary.spec.replicas ?? 1)
      : d.spec.replicas && d.spec.replicas > 0
        ? d.spec.replicas
        : primary.spec.replicas,
};

/** The template without the scale-to-zero selector (and without the empty selector removing it may leave). */
const withoutScaleToZero = (t: PodTemplate): PodTemplate => {
  if (t.spec.nodeSelector === undefined) return t;
  const sel = { ...(t.spec.nodeSelector as Record<string, string>) };
  delete sel[LABELS.scaleToZero];
  const { nodeSelector: _n, ...spec } = t.spec;
  return { ...t, spec: Object.keys(sel).length ? { ...spec, nodeSelector: sel } : (spec as PodTemplate['spec']) };
};

function daemonSetReadiness(ds: DaemonSet | undefined, pct: number): Readiness {
  if (!ds) return { ready: false, reason: 'daemonset not found', fatal: false };
  const st = ds.status ?? {};
  if ((st.observedGeneration ?? 0) < (ds.metadata.generation ?? 0))
    return { ready: false, reason: 'rollout not yet observed', fatal: false };
  const desired = st.desiredNumberScheduled ?? 0;
  if (desired === 0) return { ready: false, reason: `${ds.metadata.name} runs on no node`, fatal: false };
  if ((st.updatedNumberScheduled ?? 0) < desired)
    return { ready: false, reason: `${st.updatedNumberScheduled ?? 0} of ${desired} pods updated`, fatal: false };
  const needed = Math.ceil((desired * pct) / 100);
  if ((st.numberAvailable ?? 0) < needed)
    return { ready: false, reason: `${st.numberAvailable ?? 0} of ${needed} pods available`, fatal: false };
  return { ready: true };
}

export const DAEMONSET: WorkloadKind<DaemonSet> = {
  kind: 'DaemonSet',
  resource: Resources.daemonSets,
  revisionTemplate: (ds) => withoutScaleToZero(ds.spec.template),
  primarySpec: (ds) => ({
    ...(ds.spec.updateStrategy !== undefined ? { updateStrategy: ds.spec.updateStrategy } : {}),
    ...(ds.spec.minReadySeconds !== undefined ? { minReadySeconds: ds.spec.minReadySeconds } : {}),
    ...(ds.spec.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: ds.spec.revisionHistoryLimit } : {}),
  }),
  readiness: daemonSetReadiness,
  scalePatch(ds, up) {
    const down = LABELS.scaleToZero in ((ds.spec.template.spec.nodeSelector ?? {}) as object);
    if (up === !down) return undefined;
    return { spec: { template: { spec: { nodeSelector: { [LABELS.scaleToZero]: up ? null : 'true' } } } } };
  },
};

/** Released in place (statefulset-target.ts): one workload, no primary copy. */
export const STATEFULSET_KIND = 'StatefulSet';

/** The kinds a Canary's targetRef may name (targetKeyOf): the keys of createTargets' table, and what offline validation accepts. */
export const TARGET_KINDS: readonly string[] = [DEPLOYMENT.kind, DAEMONSET.kind, STATEFULSET_KIND, KNATIVE_SERVICE_KEY];
/** The kinds of TARGET_KINDS released in place (model in-place): what offline validation checks as such. */
export const IN_PLACE_KINDS: readonly string[] = [STATEFULSET_KIND];
