import { primaryName } from '@tollgate/contract/metadata';
import type { Canary, KubeObject, OwnerReference } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import { Resources, type ResourceType } from '../kube/resources.js';
import { ensureObject, mergeMetadata } from '../kube/ensure.js';
import type { ReplicaBounds } from '../core/replica-ratio.js';
import { TargetError } from './target.js';

type Hpa = KubeObject & {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    [k: string]: unknown;
  };
};

/** HPA API versions in order of preference: v2 (Kubernetes 1.23+), then v2beta2 (1.20 to 1.25). */
const BY_VERSION: Record<string, ResourceType> = {
  v2: Resources.horizontalPodAutoscalersV2,
  v2beta2: Resources.horizontalPodAutoscalersV2beta2,
};
const PREFERRED = Object.keys(BY_VERSION);

/** An autoscalerRef kind: its `-primary` copy aimed at the primary, and what it asks of the workloads' sizes. */
export interface Autoscaler {
  applies(canary: Canary): boolean;
  /** Creates or updates the `-primary` copy from the user's object (cache reads; a write only on change). */
  ensurePrimary(canary: Canary, signal: AbortSignal): Promise<void>;
  /** The replica bounds on each side (replica-ratio releases); none when the kind does not apply. */
  bounds(canary: Canary): Promise<{ canary?: ReplicaBounds; primary?: ReplicaBounds }>;
  /** Holds the user's autoscaler off the target while it is at zero (held), or lets it scale the target again. */
  hold(canary: Canary, held: boolean, signal: AbortSignal): Promise<void>;
}

/** The autoscalers of every kind, as one: each call goes to the kind the Canary's autoscalerRef names. */
export class Autoscalers implements Autoscaler {
  constructor(private readonly kinds: readonly Autoscaler[]) {}

  private of(canary: Canary): Autoscaler | undefined {
    return this.kinds.find((k) => k.applies(canary));
  }

  applies(canary: Canary): boolean {
    return this.of(canary) !== undefined;
  }

  ensurePrimary(canary: Canary, signal: AbortSignal): Promise<void> {
    return this.of(canary)?.ensurePrimary(canary, signal) ?? Promise.resolve();
  }

  bounds(canary: Canary): Promise<{ canary?: ReplicaBounds; primary?: ReplicaBounds }> {
    return this.of(canary)?.bounds(canary) ?? Promise.resolve({});
  }

  hold(canary: Canary, held: boolean, signal: AbortSignal): Promise<void> {
    return this.of(canary)?.hold(canary, held, signal) ?? Promise.resolve();
  }
}

/**
 * The `-primary` copy of the user's HorizontalPodAutoscaler, aimed at the primary workload and kept in step
 * with the user's (its replica bounds overridable by autoscalerRef.primaryScalerReplicas). The API version
 * is the newest the cluster serves; the user's HPA is read and the copy written in that same version.
 */
export class AutoscalerReconciler implements Autoscaler {
  private version: Promise<string> | undefined;

  constructor(private readonly deps: { client: KubeClient; informers: InformerRegistry; ownerRef: (c: Canary) => OwnerReference }) {}

  applies(canary: Canary): boolean {
    return canary.spec.autoscalerRef?.kind === 'HorizontalPodAutoscaler';
  }

  /**
   * The replica bounds the autoscalers put on each side (replica-ratio releases): the user's HPA scales the target,
   * its -primary copy (with primaryScalerReplicas) the primary. None without an HPA, or before it is found.
   */
  async bounds(canary: Canary): Promise<{ canary?: ReplicaBounds; primary?: ReplicaBounds }> {
    if (!this.applies(canary)) return {};
    const lister = await this.deps.informers.lister<Hpa>(BY_VERSION[await this.servedVersion()]!);
    const ref = canary.spec.autoscalerRef as { name: string; primaryScalerReplicas?: { minReplicas?: number; maxReplicas?: number } };
    const user = lister.get(canary.metadata.namespace, ref.name);
    if (!user) return {};
    const own = { min: user.spec.minReplicas ?? 1, max: user.spec.maxReplicas };
    return {
      canary: own,
      primary: { min: ref.primaryScalerReplicas?.minReplicas || own.min, max: ref.primaryScalerReplicas?.maxReplicas || own.max },
    };
  }

  /** An HPA does not act on a Deployment scaled to zero: nothing to hold. */
  hold(): Promise<void> {
    return Promise.resolve();
  }

  async ensurePrimary(canary: Canary, signal: AbortSignal): Promise<void> {
    if (!this.applies(canary)) return;
    const resource = BY_VERSION[await this.servedVersion()]!;
    const lister = await this.deps.informers.lister<Hpa>(resource);
    const ns = canary.metadata.namespace!;
    const ref = canary.spec.autoscalerRef as { name: string; primaryScalerReplicas?: { minReplicas?: number; maxReplicas?: number } };
    const user = lister.get(ns, ref.name);
    if (!user) throw new TargetError('TargetInvalid', `HorizontalPodAutoscaler ${ns}/${ref.name} (autoscalerRef) not found`);
    const name = primaryName(ref.name);
    const spec = {
      ...user.spec,
      scaleTargetRef: { ...user.spec.scaleTargetRef, name: primaryName(canary.spec.targetRef.name) },
      ...(ref.primaryScalerReplicas?.minReplicas ? { minReplicas: ref.primaryScalerReplicas.minReplicas } : {}),
      ...(ref.primaryScalerReplicas?.maxReplicas ? { maxReplicas: ref.primaryScalerReplicas.maxReplicas } : {}),
    };
    await ensureObject<Hpa>(
      this.deps.client,
      lister,
      resource,
      { namespace: ns, name },
      (live) => ({
        apiVersion: `autoscaling/${resource.version}`,
        kind: 'HorizontalPodAutoscaler',
        ...live,
        metadata: mergeMetadata(live?.metadata, canary, { name, owner: [this.deps.ownerRef(canary)] }),
        spec,
      }),
      signal,
    );
  }

  private servedVersion(): Promise<string> {
    this.version ??= this.deps.client.request<{ versions?: { version: string }[] }>('GET', '/apis/autoscaling').then((g) => {
      const served = new Set((g.versions ?? []).map((v) => v.version));
      const v = PREFERRED.find((p) => served.has(p));
      if (!v)
        throw new TargetError('TargetInvalid', `the cluster serves no autoscaling API the operator supports (${PREFERRED.join(', ')})`);
      return v;
    });
    this.version.catch(() => {
      this.version = undefined;
    });
    return this.version;
  }
}
