import { primaryName } from '@tollgate/contract/metadata';
import type { Canary, OwnerReference } from '../api/types.js';
import type { ReplicaBounds } from '../core/replica-ratio.js';
import type { KubeClient } from '../kube/client.js';
import { ensureObject, mergeMetadata } from '../kube/ensure.js';
import type { Lister } from '../kube/informer.js';
import { ResourceNotServedError } from '../kube/informer.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import { Resources } from '../kube/resources.js';
import type { Autoscaler } from './autoscaler.js';
import { KEDA_DEFAULT_MAX, primaryScaledObjectSpec, type PrimaryScalerRef, type ScaledObject } from './scaled-object-spec.js';
import { TargetError } from './target.js';

/** KEDA holds a ScaledObject's target at this many replicas while the annotation is set (KEDA 2.8+). */
export const PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas';

type Ref = PrimaryScalerRef & { name: string };
/** autoscalerRef, of a Canary the CRD schema has checked (name is required, the two maps are typed). */
const refOf = (c: Canary): Ref => c.spec.autoscalerRef as unknown as Ref;

/**
 * The `-primary` copy of the user's KEDA ScaledObject (autoscalerRef kind ScaledObject), aimed at the primary, its
 * triggers' queries the primary's (scaled-object-spec.ts), kept in step with the user's. Between runs the user's
 * ScaledObject, which scales the target, is paused at zero replicas (the annotation autoscaling.keda.sh/paused-replicas:
 * "0", as Flagger does), so KEDA does not scale the target back up; the pause is lifted while a run needs the canary.
 */
export class ScaledObjectReconciler implements Autoscaler {
  constructor(
    private readonly deps: {
      client: KubeClient;
      informers: InformerRegistry;
      ownerRef: (c: Canary) => OwnerReference;
      fieldManager: string;
    },
  ) {}

  applies(canary: Canary): boolean {
    return canary.spec.autoscalerRef?.kind === 'ScaledObject';
  }

  async ensurePrimary(canary: Canary, signal: AbortSignal): Promise<void> {
    if (!this.applies(canary)) return;
    const lister = await this.lister();
    const user = this.user(canary, lister);
    const ref = refOf(canary);
    const ns = canary.metadata.namespace!;
    const name = primaryName(ref.name);
    const spec = primaryScaledObjectSpec(user.spec, ref, canary.spec.targetRef.name);
    await ensureObject<ScaledObject>(
      this.deps.client,
      lister,
      Resources.scaledObjects,
      { namespace: ns, name },
      (live) => ({
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        ...live,
        metadata: mergeMetadata(live?.metadata, canary, { name, owner: [this.deps.ownerRef(canary)] }),
        spec,
      }),
      signal,
    );
  }

  async bounds(canary: Canary): Promise<{ canary?: ReplicaBounds; primary?: ReplicaBounds }> {
    if (!this.applies(canary)) return {};
    const user = (await this.lister()).get(canary.metadata.namespace, refOf(canary).name);
    if (!user) return {};
    const own = { min: user.spec.minReplicaCount ?? 0, max: user.spec.maxReplicaCount ?? KEDA_DEFAULT_MAX };
    const over = refOf(canary).primaryScalerReplicas;
    return { canary: own, primary: { min: over?.minReplicas || own.min, max: over?.maxReplicas || own.max } };
  }

  /** Pauses the user's ScaledObject at zero (held) or lifts the pause; a merge patch of that annotation alone, on change. */
  async hold(canary: Canary, held: boolean, signal: AbortSignal): Promise<void> {
    if (!this.applies(canary)) return;
    const user = this.user(canary, await this.lister());
    const paused = user.metadata.annotations?.[PAUSED_REPLICAS];
    if (held ? paused === '0' : paused === undefined) return;
    await this.deps.client.patch(
      Resources.scaledObjects,
      user.metadata.namespace,
      user.metadata.name!,
      { metadata: { annotations: { [PAUSED_REPLICAS]: held ? '0' : null } } },
      { type: 'merge', signal, fieldManager: this.deps.fieldManager, replaces: user.metadata.resourceVersion },
    );
  }

  private user(canary: Canary, lister: Lister<ScaledObject>): ScaledObject {
    const ns = canary.metadata.namespace!;
    const name = refOf(canary).name;
    const user = lister.get(ns, name);
    if (!user) throw new TargetError('TargetInvalid', `ScaledObject ${ns}/${name} (autoscalerRef) not found`);
    return user;
  }

  /** The ScaledObject cache; a cluster without KEDA's CRD is a clear TargetInvalid, not a retried error. */
  private async lister(): Promise<Lister<ScaledObject>> {
    try {
      return await this.deps.informers.lister<ScaledObject>(Resources.scaledObjects);
    } catch (err) {
      if (!(err instanceof ResourceNotServedError)) throw err;
      throw new TargetError('TargetInvalid', `autoscalerRef kind ScaledObject: ${err.message} (KEDA's keda.sh/v1alpha1 CRD)`);
    }
  }
}
