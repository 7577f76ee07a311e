import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject } from '../api/types.js';
import { ensureObject, mergeMetadata, ownedBy, type EnsureAction } from '../kube/ensure.js';
import { isNotFound } from '../kube/errors.js';
import { apiVersionOf, type ResourceType } from '../kube/resources.js';
import type { RouterDeps } from './router.js';

/** An object a router generates: its resource, name and spec, plus its labels and annotations. */
export interface Generated {
  resource: ResourceType;
  name: string;
  spec: unknown;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /**
   * The labels and annotations are all copied from the user's object (plus ours): they replace the live ones, and a
   * change of them is a change, so one the user removes goes from the clone too. Otherwise they are merged over the
   * live ones, so what other controllers add survives.
   */
  copiedMetadata?: boolean;
}

type Obj = KubeObject & { spec?: unknown };

/**
 * Creates or corrects a generated object (see ensureObject). The Canary owns what it creates; an object
 * that existed before is adopted: its original spec is kept in an annotation for releaseGenerated.
 */
export async function ensureGenerated(deps: RouterDeps, canary: Canary, g: Generated, signal: AbortSignal): Promise<EnsureAction> {
  const lister = await deps.informers.lister<Obj>(g.resource);
  return ensureObject<Obj>(
    deps.client,
    lister,
    g.resource,
    {
      namespace: canary.metadata.namespace!,
      name: g.name,
      ...(g.copiedMetadata ? { fingerprinted: () => ({ labels: g.labels, annotations: g.annotations, spec: g.spec }) } : {}),
    },
    (live) => {
      const original = live?.metadata.annotations?.[ANNOTATIONS.originalSpec];
      const adopting = live !== undefined && !ownedBy(live, canary) && !original;
      const kept = adopting ? originalSpecOf(live) : original;
      const annotations = { ...g.annotations, ...(kept !== undefined ? { [ANNOTATIONS.originalSpec]: kept } : {}) };
      const ours = { name: g.name, owner: [deps.ownerRef(canary)], labels: g.labels ?? {}, annotations };
      const fresh = g.copiedMetadata && live ? { ...live.metadata, labels: undefined, annotations: undefined } : live?.metadata;
      return {
        apiVersion: apiVersionOf(g.resource),
        kind: g.resource.kind,
        ...live,
        metadata: mergeMetadata(fresh, canary, ours),
        spec: g.spec,
      };
    },
    signal,
  );
}

/** Where Flagger keeps the spec of an object it adopted, before its own routes (fluxcd/flagger pkg/router/istio.go). */
const FLAGGER_ORIGINAL = 'flagger.kubernetes.io/original-configuration';

/** The spec an adopted object goes back to: the one Flagger recorded when Flagger had adopted it, else the live one. */
const originalSpecOf = (live: Obj): string => live.metadata.annotations?.[FLAGGER_ORIGINAL] ?? JSON.stringify(live.spec ?? {});

/** The spec of a generated object, from the informer cache. */
export async function liveSpec(
  deps: RouterDeps,
  canary: Canary,
  resource: ResourceType,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  const lister = await deps.informers.lister<KubeObject & { spec?: Record<string, unknown> }>(resource);
  return lister.get(canary.metadata.namespace, name)?.spec;
}

/**
 * Hands a generated object back when its Canary goes away (revertOnDeletion): deleted when the Canary
 * created it, so the mesh falls back to the apex Service; given its original spec back when it was adopted.
 */
export async function releaseGenerated(
  deps: RouterDeps,
  canary: Canary,
  resource: ResourceType,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  const lister = await deps.informers.lister<Obj>(resource);
  const live = lister.get(canary.metadata.namespace, name);
  if (!live) return;
  if (ownedBy(live, canary)) {
    await deleteIfThere(deps, resource, canary.metadata.namespace, name, signal);
    return;
  }
  const original = live.metadata.annotations?.[ANNOTATIONS.originalSpec];
  if (original === undefined) return;
  const annotations = Object.fromEntries(
    Object.entries(live.metadata.annotations ?? {}).filter(([k]) => k !== ANNOTATIONS.originalSpec && k !== ANNOTATIONS.applied),
  );
  await deps.client.replace(
    resource,
    { ...live, metadata: { ...live.metadata, annotations }, spec: JSON.parse(original) as unknown },
    signal,
  );
}

/** Deletes an object; one already gone is no error. */
export async function deleteIfThere(
  deps: Pick<RouterDeps, 'client'>,
  resource: ResourceType,
  namespace: string | undefined,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  await deps.client
    .delete(resource, namespace, name, undefined, signal)
    .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
}
