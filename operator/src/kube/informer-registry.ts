import type { KubeObject } from '../api/types.js';
import type { Logger } from '../util/log.js';
import type { KubeClient } from './client.js';
import { Informer, type Lister } from './informer.js';
import { resourceKey, type ResourceType } from './resources.js';

const NO_END = (): void => undefined;

/** A change of a watched object; `own` when it is the watch echoing this process's own write (see Handler). */
export type ObjectEventHandler = (resource: ResourceType, obj: KubeObject, own: boolean) => void;

const RETRY_AFTER_FAILURE_MS = 15_000;

/** How one resource is watched unlike the others (Secrets: metadata only, and only where Secrets are tracked). */
export interface ResourceOverride {
  /** The namespaces to watch instead of the registry's; [] is every namespace. */
  namespaces?: string[];
  /** Watched nowhere: its lister and informer are refused (ResourceNotWatchedError), never started. */
  unwatched?: boolean;
  metadataOnly?: boolean;
  /** With metadataOnly, the only annotations cached (see InformerOptions.keepAnnotations). */
  keepAnnotations?: readonly string[];
  /** Cuts each object before it is cached (Pods: metadata and status alone). */
  transform?: (obj: KubeObject) => KubeObject;
}

/** The resource is watched in no namespace by configuration (see ResourceOverride.unwatched). */
export class ResourceNotWatchedError extends Error {
  constructor(readonly resource: ResourceType) {
    super(`${resourceKey(resource)} is not watched in any namespace by this operator's configuration`);
    this.name = 'ResourceNotWatchedError';
  }
}

/**
 * Informers started on first use, so a mesh whose CRDs are not installed costs nothing until a Canary
 * asks for it. A resource that is not served fails fast and is tried again after 15 s.
 */
export class InformerRegistry {
  private readonly informers = new Map<string, { informer: Informer<KubeObject>; ready: Promise<void> }>();
  private readonly failedAt = new Map<string, { at: number; err: Error }>();

  constructor(
    private readonly opts: {
      client: KubeClient;
      logger: Logger;
      namespaces: string[];
      resyncMs: number;
      /** The watches' timeoutSeconds (InformerOptions.watchTimeoutSeconds); 4 to 5 minutes, random, when unset. */
      watchTimeoutSeconds?: number;
      onEvent: ObjectEventHandler;
      /** Per resource (by resourceKey): the namespaces to watch instead of `namespaces`, and whether to cache metadata alone. */
      overrides?: Readonly<Record<string, ResourceOverride>>;
    },
  ) {
    // Every write of the operator is shown by its informer at once until the watch delivers it, and its echo is own.
    opts.client.onWrite(
      (resource, namespace, name) => this.informers.get(resourceKey(resource))?.informer.writing(namespace, name) ?? NO_END,
    );
  }

  /** The lister of a resource, once its informer has synced. Throws ResourceNotServedError and the like. */
  async lister<T extends KubeObject>(resource: ResourceType): Promise<Lister<T>> {
    const key = resourceKey(resource);
    const failed = this.failedAt.get(key);
    if (failed && Date.now() - failed.at < RETRY_AFTER_FAILURE_MS) throw failed.err;
    let entry = this.informers.get(key);
    if (!entry) entry = this.start(resource);
    try {
      await entry.ready;
    } catch (err) {
      this.informers.delete(key);
      entry.informer.stop();
      this.failedAt.set(key, { at: Date.now(), err: err as Error });
      throw err;
    }
    this.failedAt.delete(key);
    return entry.informer as unknown as Lister<T>;
  }

  /** Starts an informer eagerly (the operator's own resources) and returns it. */
  informer<T extends KubeObject>(resource: ResourceType): Informer<T> {
    const key = resourceKey(resource);
    const entry = this.informers.get(key) ?? this.start(resource);
    return entry.informer as unknown as Informer<T>;
  }

  get synced(): boolean {
    return [...this.informers.values()].every((e) => e.informer.synced);
  }

  stopAll(): void {
    for (const e of this.informers.values()) e.informer.stop();
    this.informers.clear();
  }

  private start(resource: ResourceType): { informer: Informer<KubeObject>; ready: Promise<void> } {
    const override = this.opts.overrides?.[resourceKey(resource)];
    if (override?.unwatched) throw new ResourceNotWatchedError(resource);
    const informer = new Informer<KubeObject>({
      client: this.opts.client,
      resource,
      logger: this.opts.logger,
      resyncMs: this.opts.resyncMs,
      ...(this.opts.watchTimeoutSeconds ? { watchTimeoutSeconds: this.opts.watchTimeoutSeconds } : {}),
      namespaces: resource.namespaced ? (override?.namespaces ?? this.opts.namespaces) : [],
      ...(override?.metadataOnly ? { metadataOnly: true, keepAnnotations: override.keepAnnotations ?? [] } : {}),
      ...(override?.transform ? { transform: override.transform } : {}),
    });
    const notify = (o: KubeObject, _old: KubeObject | undefined, own: boolean): void => this.opts.onEvent(resource, o, own);
    informer.on('add', notify).on('update', notify).on('delete', notify);
    const ready = informer.start();
    ready.catch(() => undefined);
    const entry = { informer, ready };
    this.informers.set(resourceKey(resource), entry);
    return entry;
  }
}
