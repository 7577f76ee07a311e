import { canaryKey, LABELS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject } from '../api/types.js';
import type { Informer } from '../kube/informer.js';
import { resourceKey, Resources, type ResourceType } from '../kube/resources.js';
import { SERVICE_LABEL } from '../targets/knative.js';
import { WorkQueue } from '../kube/work-queue.js';
import { ingressRefName } from '../meshes/ingress.js';
import type { ControllerDeps } from './deps.js';
import { OWN_EVERYTHING, type Ownership } from './ownership.js';
import { Reconciler } from './reconciler.js';
import { holdsQueue } from './release-queue.js';
import { shardOf } from './shards.js';

const keyOf = (o: KubeObject): string => `${o.metadata.namespace}/${o.metadata.name}`;
/** A queue key (<namespace>/<name>) as logs spell a Canary (<name>.<namespace>). */
const canaryKeyOf = (key: string): string => {
  const [namespace = '', name = ''] = key.split('/');
  return canaryKey({ name, namespace });
};
/** Kinds a Canary reads without owning them, unindexed: a change wakes the namespace's Canaries. */
const NAMESPACE_WIDE: ReadonlySet<string> = new Set(['ConfigMap', 'Secret', 'HorizontalPodAutoscaler', 'ScaledObject']);

/** The objects a Canary reads by name, as index keys: its target workload and the Ingress spec.ingressRef names. */
function refsOf(c: Canary): string[] {
  const ingress = ingressRefName(c);
  return [`target:${c.metadata.namespace}/${c.spec.targetRef.name}`, ...(ingress ? [`Ingress:${c.metadata.namespace}/${ingress}`] : [])];
}

const isResource = (a: ResourceType, b: ResourceType): boolean => resourceKey(a) === resourceKey(b);

/** The index key a watched object is found under; undefined for kinds not indexed. */
function refOf(resource: ResourceType, obj: KubeObject): string | undefined {
  if (
    isResource(resource, Resources.deployments) ||
    isResource(resource, Resources.daemonSets) ||
    isResource(resource, Resources.statefulSets)
  )
    return `target:${keyOf(obj)}`;
  if (isResource(resource, Resources.knativeServices)) return `target:${keyOf(obj)}`;
  // A Knative Revision's readiness is its Service's canary's or primary's: the label names the Service.
  const svc = obj.metadata.labels?.[SERVICE_LABEL];
  if (isResource(resource, Resources.knativeRevisions)) return svc ? `target:${obj.metadata.namespace}/${svc}` : undefined;
  return resource.kind === 'Ingress' ? `Ingress:${keyOf(obj)}` : undefined;
}

/**
 * Feeds a work queue from the informers: a Canary's own changes, changes of its target workload or ingressRef, and
 * changes of every object it owns (primary, Services, mesh objects) all enqueue the Canary. The queue
 * never runs one Canary twice at once; the reconcile's requeueAfter is the per-canary analysis timer.
 */
export class CanaryController {
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  /** refsOf keys -> canary keys, so a change of a Deployment or an Ingress finds the Canaries that read it. */
  private readonly byRef = new Map<string, Set<string>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly deps: ControllerDeps,
    private readonly opts: { workers: number; canaryInformer: Informer<Canary>; ownership?: Ownership },
  ) {
    this.reconciler = new Reconciler(deps);
    this.queue = new WorkQueue({
      workers: opts.workers,
      handler: (key) => this.handle(key),
      onError: (key, err, retryInMs) => {
        deps.metrics.reconcileErrors.inc({ reason: err instanceof Error ? err.name : 'Error' });
        deps.logger.warn({ canary: canaryKeyOf(key), err, retryInMs }, 'reconcile failed');
      },
      onDepth: (d) => deps.metrics.queueDepth.set(d),
      // A quarter of the workers wait for due analysis steps only (issue 17: due steps before event-woken work).
      reservedForDue: Math.floor(opts.workers / 4),
    });
    opts.canaryInformer
      .on('add', (c, _old, own) => this.onCanary(c, undefined, own))
      .on('update', (c, old, own) => this.onCanary(c, old, own))
      .on('delete', (c) => this.onCanaryDeleted(c));
  }

  start(): void {
    this.queue.start();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.queue.shutdown();
  }

  /**
   * Routes a change of any other watched object to the Canaries it concerns. The echo of the operator's own
   * write is not routed: the reconcile that wrote it had that object already and scheduled its next step.
   */
  onObject(resource: ResourceType, obj: KubeObject, own: boolean): void {
    if (own) return;
    const owner = obj.metadata.ownerReferences?.find((o) => o.kind === 'Canary' && o.apiVersion.startsWith('tollgate.dev/'));
    if (owner) this.queue.add(`${obj.metadata.namespace}/${owner.name}`);
    else if (obj.metadata.labels?.[LABELS.canary]) this.queue.add(`${obj.metadata.namespace}/${obj.metadata.labels[LABELS.canary]}`);
    const ref = refOf(resource, obj);
    for (const key of ref ? (this.byRef.get(ref) ?? []) : []) this.queue.add(key);
    // Tracked configs and autoscalers are not indexed: a change wakes the namespace's Canaries, which recheck.
    if (!owner && NAMESPACE_WIDE.has(resource.kind)) {
      for (const c of this.deps.canaries.list(obj.metadata.namespace)) this.queue.add(keyOf(c));
    }
  }

  /** A shard this replica now owns: its Canaries are reconciled at once. */
  shardAcquired(shard: number, shards: number): void {
    for (const c of this.opts.canaryInformer.list()) if (shardOf(keyOf(c), shards) === shard) this.queue.add(keyOf(c));
  }

  /** A shard lost: its timers go; work in flight was aborted by the shard's signal. */
  shardLost(shard: number, shards: number): void {
    for (const c of this.opts.canaryInformer.list()) if (shardOf(keyOf(c), shards) === shard) this.queue.forget(keyOf(c));
  }

  private async handle(key: string): Promise<{ requeueAfterMs?: number }> {
    const ownership = this.opts.ownership ?? OWN_EVERYTHING;
    if (!ownership.owns(key)) return {};
    const end = this.deps.metrics.reconcileDuration.startTimer();
    try {
      return await this.reconciler.reconcile(key, AbortSignal.any([this.abort.signal, ownership.signalFor(key)]));
    } finally {
      end();
    }
  }

  private onCanary(c: Canary, old: Canary | undefined, own: boolean): void {
    if (old) this.index(old, false);
    this.index(c, true);
    this.deps.releaseQueue?.observe(c);
    if (old && holdsQueue(old) && !holdsQueue(c)) this.wakeQueue();
    // Our own write was observed by the reconcile that made it (Run.commit).
    if (own) return;
    this.deps.metrics.observeCanary(c);
    this.queue.add(keyOf(c));
  }

  private onCanaryDeleted(c: Canary): void {
    this.index(c, false);
    if (holdsQueue(c)) this.wakeQueue();
    this.queue.forget(keyOf(c));
    this.deps.metrics.forgetCanary(c.metadata.namespace!, c.metadata.name!, c.spec.targetRef.name);
  }

  /** A release ended or left the queue: the waiting releases that may start now are reconciled at once. */
  private wakeQueue(): void {
    for (const key of this.deps.releaseQueue?.admissible() ?? []) this.queue.add(key);
  }

  private index(c: Canary, add: boolean): void {
    for (const ref of refsOf(c)) {
      const set = this.byRef.get(ref) ?? new Set<string>();
      if (add) set.add(keyOf(c));
      else set.delete(keyOf(c));
      if (set.size) this.byRef.set(ref, set);
      else this.byRef.delete(ref);
    }
  }
}
