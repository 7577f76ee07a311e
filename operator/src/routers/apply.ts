import { isDeepStrictEqual } from 'node:util';
import type { Canary, KubeObject, ObjectMeta } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import type { Lister } from '../kube/informer.js';
import type { ResourceType } from '../kube/resources.js';
import { CANARY_LABEL } from '../targets/target.js';

export type EnsureAction = 'created' | 'updated' | 'unchanged';

/**
 * Creates the object when the cache does not hold it, or replaces it when build(live) differs from live.
 * build receives the live object and must return it with only the operator's fields changed, so fields
 * that other controllers and users own survive; an idle reconcile therefore writes nothing.
 * The replace carries the cached resourceVersion: a concurrent change makes it fail with 409, and the
 * next reconcile starts again from a fresh read.
 */
export async function ensureObject<T extends KubeObject>(
  client: KubeClient, lister: Lister<T>, resource: ResourceType, ref: { namespace: string; name: string },
  build: (live: T | undefined) => T, signal: AbortSignal,
): Promise<EnsureAction> {
  const live = lister.get(ref.namespace, ref.name);
  const desired = build(live);
  if (!live) {
    await client.create(resource, desired, signal);
    return 'created';
  }
  if (isDeepStrictEqual(live, desired)) return 'unchanged';
  await client.replace(resource, desired, signal);
  return 'updated';
}

/** Annotations that stop Flux from reverting or pruning what the operator generates (as Flagger sets them). */
export const GITOPS_ANNOTATIONS: Record<string, string> = {
  'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
  'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
};

/**
 * Metadata of a generated object merged into the live metadata: our labels and annotations are set,
 * everybody else's are kept; the Canary becomes the controller owner unless the object was adopted.
 */
export function mergeMetadata(live: ObjectMeta | undefined, canary: Canary, ours: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; owner?: ObjectMeta['ownerReferences'] }): ObjectMeta {
  const base: ObjectMeta = live ? { ...live } : { name: ours.name, namespace: canary.metadata.namespace };
  base.labels = { ...live?.labels, ...ours.labels, [CANARY_LABEL]: canary.metadata.name! };
  base.annotations = { ...live?.annotations, ...ours.annotations, ...GITOPS_ANNOTATIONS };
  if (!live && ours.owner) base.ownerReferences = ours.owner;
  return base;
}

/** Whether the object's controller owner is this Canary. */
export function ownedBy(obj: KubeObject | undefined, canary: Canary): boolean {
  return Boolean(obj?.metadata.ownerReferences?.some((o) => o.controller && o.uid === canary.metadata.uid));
}
