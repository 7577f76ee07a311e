import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject, ObjectMeta } from '../api/types.js';
import { revisionOf } from '../core/revision.js';
import type { KubeClient } from './client.js';
import type { Lister } from './informer.js';
import type { ResourceType } from './resources.js';
import { ownersAfterTakeover, takenOver } from './takeover.js';

/*
 * Writing the objects the operator generates (Services, mesh objects, -primary autoscalers): create or replace
 * from the cache, keeping what other writers own. Used by meshes/ and targets/.
 */

export type EnsureAction = 'created' | 'updated' | 'unchanged';

/**
 * Whether live carries every field of desired. Fields only live has (server defaults, other controllers'
 * additions) are ignored; arrays must match element by element. An empty string matches an absent value,
 * as the 1.20 API server stores "" as null in some CRDs.
 */
export function covers(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === '' && (live === null || live === undefined)) return true;
  if (Array.isArray(desired)) return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => covers(live[i], d));
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => covers((live as Record<string, unknown>)[k], v));
  }
  return live === desired;
}

/**
 * Creates the object when the cache does not hold it, or replaces it when live does not carry what
 * build(live) asks for. build receives the live object and returns it with only the operator's fields
 * changed, so what other controllers and users own survives. The fingerprint annotation (of the spec, or of
 * what ref.fingerprinted picks) makes removals from it count as changes; server-side defaults do not, so an idle
 * reconcile writes nothing.
 * The replace carries the cached resourceVersion: a concurrent change fails with 409 and the next reconcile
 * starts from a fresh read.
 */
export async function ensureObject<T extends KubeObject & { spec?: unknown }>(
  client: KubeClient,
  lister: Lister<T>,
  resource: ResourceType,
  ref: { namespace: string; name: string; fingerprinted?: (desired: T) => unknown },
  build: (live: T | undefined) => T,
  signal: AbortSignal,
): Promise<EnsureAction> {
  const live = lister.get(ref.namespace, ref.name);
  const desired = build(live);
  const fingerprinted = ref.fingerprinted ? ref.fingerprinted(desired) : (desired.spec ?? null);
  desired.metadata.annotations = { ...desired.metadata.annotations, [ANNOTATIONS.applied]: revisionOf(fingerprinted) };
  if (!live) {
    await client.create(resource, desired, signal);
    return 'created';
  }
  if (covers(live, desired)) return 'unchanged';
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
 * everybody else's are kept; the Canary becomes the controller owner unless the object was adopted. An object a
 * flagger.app Canary controls is taken over (its controller reference moved) or refused (kube/takeover.ts).
 */
export function mergeMetadata(
  live: ObjectMeta | undefined,
  canary: Canary,
  ours: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; owner?: ObjectMeta['ownerReferences'] },
): ObjectMeta {
  const base: ObjectMeta = live ? { ...live } : { name: ours.name, namespace: canary.metadata.namespace };
  base.labels = { ...live?.labels, ...ours.labels, [LABELS.canary]: canary.metadata.name! };
  base.annotations = { ...live?.annotations, ...ours.annotations, ...GITOPS_ANNOTATIONS };
  if (!live && ours.owner) base.ownerReferences = ours.owner;
  const moved = live && ours.owner?.[0] ? ownersAfterTakeover(live, canary, ours.owner[0], ours.name) : undefined;
  if (moved) base.ownerReferences = moved;
  return base;
}

/** Whether the object's controller owner is this Canary, or the flagger.app Canary it takes over. */
export function ownedBy(obj: KubeObject | undefined, canary: Canary): boolean {
  return (
    Boolean(obj?.metadata.ownerReferences?.some((o) => o.controller && o.uid === canary.metadata.uid)) || takenOver(obj?.metadata, canary)
  );
}
