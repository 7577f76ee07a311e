import { LAST_APPLIED } from '@tollgate/contract/metadata';
import type { Deployment, DeploymentCondition } from '../api/k8s.js';
import type { KubeObject, ObjectMeta } from '../api/types.js';
import type { ResourceOverride } from './informer-registry.js';
import { PODS_INFORMER } from './pods.js';
import { Resources, resourceKey, type ResourceType } from './resources.js';

/*
 * What the informers cache of each kind, beyond dropping managedFields (informer.ts): the fields no code reads, cut
 * before an object is cached. bench/heap-per-canary.mjs measures what each cut saves.
 *
 * The operator writes some of these objects back whole (a replace built from the cached copy: kube/ensure.ts, the
 * primary's promote), so a cut must never remove what a replace would then delete:
 * - status: every kind cut here has a status subresource, and a replace of the object ignores its status;
 * - kubectl's last-applied-configuration annotation: cut only from objects no Canary controls. Those the operator
 *   writes only by patch (the target workload) or not at all (the user's HPA); a Canary only through its status
 *   subresource (which ignores metadata) and by merge patch (its finalizer). What a Canary controls (-primary
 *   workloads, generated HPAs) keeps every annotation, as it may be replaced from the cache.
 */

const controlledByCanary = (meta: ObjectMeta): boolean => meta.ownerReferences?.some((o) => o.controller && o.kind === 'Canary') ?? false;

/** The metadata without kubectl's copy of the whole applied manifest (unless `keep`). */
function withoutLastApplied(meta: ObjectMeta, keep = false): ObjectMeta {
  if (keep || meta.annotations?.[LAST_APPLIED] === undefined) return meta;
  const { [LAST_APPLIED]: _dropped, ...annotations } = meta.annotations;
  return { ...meta, annotations };
}

/** metadata for the cache: last-applied cut unless a Canary controls the object (it may be replaced from the cache). */
const userMetadata = (meta: ObjectMeta): ObjectMeta => withoutLastApplied(meta, controlledByCanary(meta));

/**
 * A Canary as cached: without last-applied-configuration (a second copy of its spec). Its spec, status and every
 * other annotation are read.
 */
export function trimCanary(obj: KubeObject): KubeObject {
  return { ...obj, metadata: withoutLastApplied(obj.metadata) };
}

/** The Progressing condition alone, without its timestamps: all deploymentReadiness reads of the conditions. */
const progressing = (conditions: DeploymentCondition[] | undefined): DeploymentCondition[] | undefined => {
  const c = conditions?.find((x) => x.type === 'Progressing');
  if (!c) return undefined;
  return [{ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) }];
};

/**
 * A Deployment as cached: its spec whole (the target's template is copied to the primary), its status counts, the
 * Progressing condition without timestamps (the progress deadline), and last-applied cut where userMetadata says.
 */
export function trimDeployment(obj: KubeObject): KubeObject {
  const d = obj as Deployment;
  const { conditions, ...counts } = d.status ?? {};
  const kept = progressing(conditions);
  const status = d.status ? { status: { ...counts, ...(kept ? { conditions: kept } : {}) } } : {};
  return { ...d, metadata: userMetadata(d.metadata), ...status } as Deployment;
}

/** A DaemonSet as cached: no status conditions (daemonSetReadiness reads the counts alone). */
export function trimDaemonSet(obj: KubeObject): KubeObject {
  const ds = obj as KubeObject & { status?: Record<string, unknown> };
  const { conditions: _dropped, ...counts } = ds.status ?? {};
  return { ...ds, metadata: userMetadata(ds.metadata), ...(ds.status ? { status: counts } : {}) } as KubeObject;
}

/**
 * An HPA as cached: metadata and spec (the replica bounds, and the spec its -primary copy takes); no status (current
 * metrics and conditions with their messages), which nothing reads.
 */
export function trimAutoscaler(obj: KubeObject): KubeObject {
  const { status: _dropped, ...rest } = obj as KubeObject & { status?: unknown };
  return { ...rest, metadata: userMetadata(obj.metadata) };
}

const transform = (f: (obj: KubeObject) => KubeObject): ResourceOverride => ({ transform: f });

const TRIMS: [ResourceType, ResourceOverride][] = [
  [Resources.canaries, transform(trimCanary)],
  [Resources.deployments, transform(trimDeployment)],
  [Resources.daemonSets, transform(trimDaemonSet)],
  [Resources.horizontalPodAutoscalersV2, transform(trimAutoscaler)],
  [Resources.horizontalPodAutoscalersV2beta2, transform(trimAutoscaler)],
  [Resources.pods, PODS_INFORMER],
];

/** The informer registry's overrides that trim what is cached, by resourceKey. */
export const CACHE_TRIMS: Readonly<Record<string, ResourceOverride>> = Object.fromEntries(TRIMS.map(([r, o]) => [resourceKey(r), o]));
