import { primaryName } from '@tollgate/contract/metadata';
import type { KubeObject } from '../api/types.js';
import { escapeRegex } from '../util/regex.js';

/** One trigger of a KEDA ScaledObject: its type, optional name, and metadata (the scaler's settings). */
interface ScaleTrigger {
  type: string;
  name?: string;
  metadata: Record<string, string>;
  [k: string]: unknown;
}

/** The fields of a KEDA ScaledObject (keda.sh/v1alpha1) the operator reads or changes; the rest is copied. */
export type ScaledObject = KubeObject & {
  spec: {
    scaleTargetRef: { name: string; kind?: string; apiVersion?: string; envSourceContainerName?: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    advanced?: { horizontalPodAutoscalerConfig?: { name?: string; [k: string]: unknown }; [k: string]: unknown };
    triggers: ScaleTrigger[];
    [k: string]: unknown;
  };
};

/** What autoscalerRef says about the primary's ScaledObject. */
export interface PrimaryScalerRef {
  primaryScalerQueries?: Record<string, string>;
  primaryScalerReplicas?: { minReplicas?: number; maxReplicas?: number };
}

/** KEDA's default maxReplicaCount (its CRD documents 100 when unset). */
export const KEDA_DEFAULT_MAX = 100;

/**
 * A trigger query rewritten for the primary, as Flagger's primary ScaledObject does when primaryScalerQueries has no
 * entry for the trigger: the target's name, and its `-canary` name, become `<target>-primary`. Unlike Flagger's plain
 * substring replace, only whole names are rewritten: `podinfo-primary` stays as it is, and so do `mypodinfo` and
 * `podinfo_total`. `podinfo-.*` becomes `podinfo-primary-.*`, the primary's pods.
 */
export function primaryQuery(query: string, target: string): string {
  const name = new RegExp(`(?<![\\w-])${escapeRegex(target)}(?:-canary)?(?![\\w]|-primary(?![\\w-]))`, 'g');
  return query.replace(name, primaryName(target));
}

/**
 * The trigger of the primary's ScaledObject: its `metadata.query` replaced by primaryScalerQueries[trigger name] when
 * there is one, otherwise rewritten for the primary (primaryQuery); a trigger without a query is copied unchanged.
 */
function primaryTrigger(t: ScaleTrigger, target: string, queries: Record<string, string>): ScaleTrigger {
  const given = t.name !== undefined && Object.hasOwn(queries, t.name) ? queries[t.name] : undefined;
  if (given === undefined && t.metadata?.query === undefined) return t;
  return { ...t, metadata: { ...t.metadata, query: given ?? primaryQuery(t.metadata.query!, target) } };
}

/**
 * The spec of `<name>-primary`, the copy of the user's ScaledObject that scales the primary: everything copied, the
 * scale target the primary workload (`<target>-primary`, whatever the ScaledObject's own name: Flagger suffixes the
 * ScaledObject's name, which names no workload when the two differ), the triggers' queries made the primary's, the replica bounds overridden by
 * primaryScalerReplicas, and a named HPA (advanced.horizontalPodAutoscalerConfig.name) suffixed -primary so the two
 * ScaledObjects' HPAs do not clash. Pure.
 */
export function primaryScaledObjectSpec(user: ScaledObject['spec'], ref: PrimaryScalerRef, target: string): ScaledObject['spec'] {
  const hpa = user.advanced?.horizontalPodAutoscalerConfig;
  const replicas = ref.primaryScalerReplicas;
  return {
    ...user,
    scaleTargetRef: { ...user.scaleTargetRef, name: primaryName(target) },
    triggers: (user.triggers ?? []).map((t) => primaryTrigger(t, target, ref.primaryScalerQueries ?? {})),
    ...(replicas?.minReplicas ? { minReplicaCount: replicas.minReplicas } : {}),
    ...(replicas?.maxReplicas ? { maxReplicaCount: replicas.maxReplicas } : {}),
    ...(hpa?.name ? { advanced: { ...user.advanced, horizontalPodAutoscalerConfig: { ...hpa, name: primaryName(hpa.name) } } } : {}),
  };
}
