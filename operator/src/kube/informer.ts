import type { KubeObject } from '../api/types.js';
import { Backoff, sleep } from '../util/backoff.js';
import type { Logger } from '../util/log.js';
import { METADATA_ONLY, type KubeClient, type WatchEvent } from './client.js';
import { isGone, isNotFound, WatchStalledError } from './errors.js';
import { OwnWrites, type ChangeKind } from './own-writes.js';
import { withPriority } from './rate-limit.js';
import { apiVersionOf, resourceKey, resourcePath, type ResourceType } from './resources.js';

/**
 * Told of a change. `own` is true when the event is the watch delivering an object this process wrote itself
 * (the very resourceVersion its write returned, see writing()): nothing in it is news to the writer.
 */
export type Handler<T> = (obj: T, old: T | undefined, own: boolean) => void;

/** Read access to an informer's cache: the lister role of client-go. */
export interface Lister<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

export interface InformerOptions {
  client: KubeClient;
  resource: ResourceType;
  /** Namespaces to watch; empty or undefined watches the whole cluster. */
  namespaces?: string[];
  labelSelector?: string;
  /** A field selector on the list and the watch, e.g. involvedObject.kind=Canary for Events. */
  fieldSelector?: string;
  /** Every resyncMs, an update is emitted for every cached object (level-triggered safety net). */
  resyncMs?: number;
  logger: Logger;
  pageSize?: number;
  /** Reconnect backoff after a failed list or watch; 1 s doubling to 30 s by default. */
  backoff?: { initialMs: number; maxMs: number };
  /** Keep metadata.managedFields in the cache (dropped by default: the operator never reads them). */
  keepManagedFields?: boolean;
  /**
   * Cache {apiVersion, kind, metadata} alone: the API server sends metadata only (PartialObjectMetadata), and an
   * object this process writes is cached without its content too. For Secrets: their content is read on demand.
   */
  metadataOnly?: boolean;
  /**
   * With metadataOnly, the only annotations kept (none by default). Annotations may carry the content itself:
   * `kubectl apply` stores the whole manifest, a Secret's data included, in last-applied-configuration.
   */
  keepAnnotations?: readonly string[];
  /** The watch's timeoutSeconds (plus up to a fifth, random: watchTimeout), after which the server ends it. */
  watchTimeoutSeconds?: number;
  /**
   * A watch that delivers nothing (no event, no bookmark) for its timeoutSeconds plus this margin is taken for
   * stalled: it is closed and resumed from the last resourceVersion seen. By default 30 s, or half the
   * timeoutSeconds when that is shorter (a server ends a watch at its timeoutSeconds within a second or two).
   */
  watchIdleMarginMs?: number;
  /** Cuts each object to what the operator reads before it is cached (Pods: metadata and status, see trimPod). */
  transform?: (obj: KubeObject) => KubeObject;
}

/** The resource is not served by the API server (its CRD is not installed). */
export class ResourceNotServedError extends Error {
  constructor(readonly resource: ResourceType) {
    super(`${resource.plural}.${resource.group || 'core'}/${resource.version} is not served by the API server (is its CRD installed?)`);
    this.name = 'ResourceNotServedError';
  }
}

class RelistNeeded extends Error {}

/**
 * A list+watch cache of one resource. Lists, then watches from the list's resourceVersion with
 * bookmarks; relists on 410 Gone; resumes a watch that went silent past its timeoutSeconds (plus a margin) from the
 * last resourceVersion seen; reconnects with exponential backoff on any other failure.
 */
export class Informer<T extends KubeObject> implements Lister<T> {
  private readonly cache = new Map<string, Map<string, T>>();
  /** Our own writes the watch has not delivered yet, by namespace/name (see writing). */
  private readonly own = new OwnWrites<T>((c, own) => this.emit(c.kind, c.obj, c.old, own));
  private readonly handlers = { add: [] as Handler<T>[], update: [] as Handler<T>[], delete: [] as Handler<T>[] };
  private readonly abort = new AbortController();
  private readonly pending = new Set<string>();
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: InformerOptions) {
    this.log = opts.logger.child({ informer: resourceKey(opts.resource) });
  }

  on(event: keyof Informer<T>['handlers'], handler: Handler<T>): this {
    this.handlers[event].push(handler);
    return this;
  }

  get synced(): boolean {
    return this.pending.size === 0 && this.started;
  }

  private started = false;

  /** Starts the loops; resolves once every scope has been listed. Rejects if the resource is not served. */
  start(): Promise<void> {
    if (this.started) return this.whenSynced();
    this.started = true;
    const scopes = this.opts.namespaces?.length ? this.opts.namespaces : [''];
    for (const s of scopes) this.pending.add(s);
    // At 'event' priority even when first asked for inside a due step's handler, whose context it would keep forever.
    for (const s of scopes) void withPriority('event', () => this.run(s));
    if (this.opts.resyncMs) this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs).unref();
    return this.whenSynced();
  }

  stop(): void {
    this.abort.abort();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.settle(new Error('informer stopped'));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const cached = this.cache.get(namespace ?? '')?.get(name);
    return this.own.shown(`${namespace ?? ''}/${name}`, cached?.metadata.resourceVersion) ?? cached;
  }

  /**
   * A write of namespace/name is being sent: returns what to call when it has ended, with the object written and
   * the version it replaced, or with nothing if it failed. Until then the object's changes are held back; after
   * it, get() shows what was written until the watch delivers it, and that change is emitted as own.
   */
  writing(namespace: string | undefined, name: string): (obj: T | undefined, replaced?: string) => void {
    const ns = namespace ?? '';
    if (!this.watches(ns)) return () => undefined;
    const end = this.own.begin(`${ns}/${name}`);
    return (obj, replaced) => end(obj && this.trimmed(obj), replaced, this.cache.get(ns)?.get(name)?.metadata.resourceVersion);
  }

  private watches(namespace: string): boolean {
    const watched = this.opts.namespaces ?? [];
    return watched.length === 0 || watched.includes(namespace);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.cache.get(namespace)?.values() ?? [])];
    return [...this.cache.values()].flatMap((m) => [...m.values()]);
  }

  private whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private settle(err?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) err ? w.reject(err) : w.resolve();
  }

  private async run(scope: string): Promise<void> {
    const backoff = new Backoff(this.opts.backoff?.initialMs ?? 1000, this.opts.backoff?.maxMs ?? 30_000);
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const rv = await this.relist(scope, signal);
        if (this.pending.delete(scope) && this.pending.size === 0) this.settle();
        backoff.reset();
        await this.watchUntilRelist(scope, rv, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isNotFound(err)) {
          if (this.pending.has(scope)) this.settle(new ResourceNotServedError(this.opts.resource));
          this.forgetScope(scope);
        }
        const delay = backoff.next();
        this.log.warn({ err, scope: scope || '*', retryInMs: delay }, 'list/watch failed');
        await sleep(delay, signal);
      }
    }
  }

  private async relist(scope: string, signal: AbortSignal): Promise<string> {
    const seen = new Map<string, Map<string, T>>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.opts.client.list<T>(
        this.opts.resource,
        scope || undefined,
        {
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          limit: this.opts.pageSize ?? 500,
          continue: cont,
        },
        signal,
        this.opts.metadataOnly ? METADATA_ONLY.list : undefined,
      );
      for (const item of page.items) {
        const ns = item.metadata.namespace ?? '';
        if (!seen.has(ns)) seen.set(ns, new Map());
        seen.get(ns)!.set(item.metadata.name!, item);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    this.replace(scope, seen);
    // The list superseded whatever of our writes the watch had not delivered.
    this.own.reset();
    return rv;
  }

  private replace(scope: string, fresh: Map<string, Map<string, T>>): void {
    for (const [ns, byName] of this.cache) {
      if (scope && ns !== scope) continue;
      for (const [name, old] of byName) {
        if (!fresh.get(ns)?.has(name)) this.remove(old);
      }
    }
    for (const items of fresh.values()) for (const item of items.values()) this.upsert(item);
  }

  private async watchUntilRelist(scope: string, startRv: string, signal: AbortSignal): Promise<void> {
    let rv = startRv;
    const path = resourcePath(this.opts.resource, scope || undefined);
    for (;;) {
      const timeoutSeconds = watchTimeout(this.opts.watchTimeoutSeconds);
      try {
        await this.opts.client.watch<T>(
          path,
          {
            resourceVersion: rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          },
          (e) => {
            rv = this.apply(e) ?? rv;
          },
          signal,
          {
            ...(this.opts.metadataOnly ? { accept: METADATA_ONLY.watch } : {}),
            idleTimeoutMs: timeoutSeconds * 1000 + (this.opts.watchIdleMarginMs ?? Math.min(30_000, timeoutSeconds * 500)),
          },
        );
      } catch (err) {
        if (err instanceof RelistNeeded || isGone(err)) return;
        if (!(err instanceof WatchStalledError)) throw err;
        this.log.warn({ err, scope: scope || '*', resourceVersion: rv }, 'watch stalled: resuming it');
      }
      if (signal.aborted) return;
    }
  }

  /** Applies one watch event; returns the resourceVersion to resume from. */
  private apply(e: WatchEvent<T>): string | undefined {
    if (e.type === 'ERROR') {
      const status = e.object as unknown as { code?: number; message?: string };
      if (status.code === 410) throw new RelistNeeded();
      throw new Error(`watch error: ${status.message ?? JSON.stringify(status)}`);
    }
    if (e.type === 'DELETED') this.remove(e.object);
    else if (e.type !== 'BOOKMARK') this.upsert(e.object);
    return e.object.metadata.resourceVersion;
  }

  private trimmed(obj: T): T {
    if (this.opts.metadataOnly) return metadataOf(withoutManagedFields(obj), this.opts.resource, this.opts.keepAnnotations ?? []);
    const kept = this.opts.keepManagedFields ? obj : withoutManagedFields(obj);
    return this.opts.transform ? (this.opts.transform(kept) as T) : kept;
  }

  private upsert(received: T): void {
    const obj = this.trimmed(received);
    const ns = obj.metadata.namespace ?? '';
    let byName = this.cache.get(ns);
    if (!byName) this.cache.set(ns, (byName = new Map()));
    const old = byName.get(obj.metadata.name!);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    byName.set(obj.metadata.name!, obj);
    this.own.changed(`${ns}/${obj.metadata.name}`, { kind: old ? 'update' : 'add', obj, old });
  }

  private remove(obj: T): void {
    const ns = obj.metadata.namespace ?? '';
    const byName = this.cache.get(ns);
    const old = byName?.get(obj.metadata.name!);
    if (!old) return;
    byName!.delete(obj.metadata.name!);
    if (byName!.size === 0) this.cache.delete(ns);
    this.own.changed(`${ns}/${obj.metadata.name}`, { kind: 'delete', obj: old, old: undefined });
  }

  /** The resource is no longer served (its CRD was deleted or replaced): nothing of it exists any more. */
  private forgetScope(scope: string): void {
    for (const obj of this.list(scope || undefined)) this.remove(obj);
  }

  private resync(): void {
    for (const obj of this.list()) this.emit('update', obj, obj);
  }

  private emit(event: ChangeKind, obj: T, old?: T, own = false): void {
    for (const h of this.handlers[event]) {
      try {
        h(obj, old, own);
      } catch (err) {
        this.log.error({ err }, 'informer handler failed');
      }
    }
  }
}

/**
 * The object's metadata alone, under the resource's own apiVersion and kind (not PartialObjectMetadata's), with
 * only the annotations in `keep`.
 */
function metadataOf<T extends KubeObject>(obj: T, resource: ResourceType, keep: readonly string[]): T {
  const { annotations, ...rest } = obj.metadata;
  const kept = Object.entries(annotations ?? {}).filter(([k]) => keep.includes(k));
  const metadata = kept.length ? { ...rest, annotations: Object.fromEntries(kept) } : rest;
  return { apiVersion: apiVersionOf(resource), kind: resource.kind, metadata } as T;
}

/**
 * The object without metadata.managedFields (a third to a half of a cached object, and never read here). A
 * replace built from it keeps the server's managedFields: the server resets them only when told to explicitly.
 */
function withoutManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as T['metadata'] & { managedFields?: unknown };
  if (meta.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = meta;
  return { ...obj, metadata };
}

/**
 * The timeoutSeconds of one watch: 240 to 300 s by default; a given one plus up to a fifth of it. Random, so that
 * informers started together do not all end their watches (and take a limiter token) in the same second.
 */
function watchTimeout(given: number | undefined): number {
  if (given === undefined) return 240 + Math.floor(Math.random() * 60);
  return given + Math.floor(Math.random() * (given / 5));
}
