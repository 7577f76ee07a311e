import type { KubeObject } from '../api/types.js';
import { Backoff, sleep } from '../util/backoff.js';
import { messageOf } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { KubeClient, WatchEvent } from './client.js';
import { isGone, isNotFound } from './errors.js';
import { resourceKey, resourcePath, type ResourceType } from './resources.js';

/**
 * Told of a change. `own` is true when the event is the watch delivering an object this process wrote itself
 * (the very resourceVersion its write returned, recorded by wrote()): nothing in it is news to the writer.
 */
type Event = 'add' | 'update' | 'delete';

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
  /** Every resyncMs, an update is emitted for every cached object (level-triggered safety net). */
  resyncMs?: number;
  logger: Logger;
  pageSize?: number;
  /** Reconnect backoff after a failed list or watch; 1 s doubling to 30 s by default. */
  backoff?: { initialMs: number; maxMs: number };
  /** Keep metadata.managedFields in the cache (dropped by default: the operator never reads them). */
  keepManagedFields?: boolean;
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
 * bookmarks; relists on 410 Gone; reconnects with exponential backoff on any other failure.
 */
export class Informer<T extends KubeObject> implements Lister<T> {
  private readonly cache = new Map<string, Map<string, T>>();
  /**
   * Our own writes the watch has not delivered yet, by namespace/name (see wrote): the latest object written,
   * the version the cache holds under it, and every version we wrote since (a reconcile may write an object twice).
   */
  private readonly written = new Map<string, { replaced: string | undefined; obj: T; versions: Set<string> }>();
  /**
   * Our writes in flight, by namespace/name: the events of the object are held back until they end, so an echo
   * that the watch delivers before the write's own answer is still known as ours.
   */
  private readonly inflight = new Map<string, { writes: number; held: Array<[Event, T, T | undefined, boolean]>; versions: Set<string> }>();
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
    for (const s of scopes) void this.run(s);
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
    const own = this.written.get(`${namespace ?? ''}/${name}`);
    return own && cached?.metadata.resourceVersion === own.replaced ? own.obj : cached;
  }

  /**
   * Records an object this process has just written (created, or replaced over the resourceVersion `replaced`),
   * so that get() returns it until the watch delivers it: the next reconcile does not start from the version it
   * replaced and fail with a 409. Objects outside the watched namespaces are ignored.
   */
  wrote(obj: T, replaced: string | undefined): void {
    const ns = obj.metadata.namespace ?? '';
    if (!this.watches(ns)) return;
    const key = `${ns}/${obj.metadata.name}`;
    const cached = this.cache.get(ns)?.get(obj.metadata.name!)?.metadata.resourceVersion;
    const prior = this.written.get(key);
    const version = obj.metadata.resourceVersion ?? '';
    // Only over what the cache holds, or over our own write not yet delivered: any other version came from the
    // watch, newer or equal, and the cache already knows better.
    if (cached === replaced) this.written.set(key, { replaced, obj: this.trimmed(obj), versions: new Set([version]) });
    else if (prior && prior.replaced === cached && prior.obj.metadata.resourceVersion === replaced) {
      this.written.set(key, { replaced: cached, obj: this.trimmed(obj), versions: prior.versions.add(version) });
    }
  }

  /**
   * A write of namespace/name is being sent: returns what to call when it ends, with the object written and the
   * version it replaced, or undefined if it failed. Until then the object's events are held back; then they are
   * emitted, own if they carry a version we wrote.
   */
  writing(namespace: string | undefined, name: string): (obj: T | undefined, replaced?: string) => void {
    const key = `${namespace ?? ''}/${name}`;
    if (!this.watches(namespace ?? '')) return () => undefined;
    let f = this.inflight.get(key);
    if (!f) this.inflight.set(key, (f = { writes: 0, held: [], versions: new Set() }));
    f.writes++;
    let ended = false;
    return (obj, replaced) => {
      if (ended) return;
      ended = true;
      if (obj) {
        f.versions.add(obj.metadata.resourceVersion ?? '');
        this.wrote(obj, replaced);
      }
      if (--f.writes > 0) return;
      this.inflight.delete(key);
      for (const [event, o, old, own] of f.held) this.emit(event, o, old, own || f.versions.has(o.metadata.resourceVersion ?? ''));
    };
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
    for (const w of waiters) (err ? w.reject(err) : w.resolve());
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
        this.log.warn({ err: messageOf(err), scope: scope || '*', retryInMs: delay }, 'list/watch failed');
        await sleep(delay, signal);
      }
    }
  }

  private async relist(scope: string, signal: AbortSignal): Promise<string> {
    const seen = new Map<string, Map<string, T>>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.opts.client.list<T>(this.opts.resource, scope || undefined, {
        labelSelector: this.opts.labelSelector, limit: this.opts.pageSize ?? 500, continue: cont,
      }, signal);
      for (const item of page.items) {
        const ns = item.metadata.namespace ?? '';
        if (!seen.has(ns)) seen.set(ns, new Map());
        seen.get(ns)!.set(item.metadata.name!, item);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    this.replace(scope, seen);
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
      try {
        await this.opts.client.watch<T>(path, {
          resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 240 + Math.floor(Math.random() * 60),
          labelSelector: this.opts.labelSelector,
        }, (e) => { rv = this.apply(e) ?? rv; }, signal);
      } catch (err) {
        if (err instanceof RelistNeeded || isGone(err)) return;
        throw err;
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
    return this.opts.keepManagedFields ? obj : withoutManagedFields(obj);
  }

  private upsert(received: T): void {
    const obj = this.trimmed(received);
    const ns = obj.metadata.namespace ?? '';
    const own = this.delivered(`${ns}/${obj.metadata.name}`, obj.metadata.resourceVersion);
    let byName = this.cache.get(ns);
    if (!byName) this.cache.set(ns, (byName = new Map()));
    const old = byName.get(obj.metadata.name!);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    byName.set(obj.metadata.name!, obj);
    this.notify(old ? 'update' : 'add', obj, old, own);
  }

  /**
   * The watch delivers a version: whether it is one we wrote. Our write still ahead of it stays shown (the cache
   * now holds what it replaced); the last of ours, or anyone else's version, ends the overlay.
   */
  private delivered(key: string, version: string | undefined): boolean {
    const entry = this.written.get(key);
    const own = version !== undefined && entry?.versions.has(version) === true;
    if (own && entry!.obj.metadata.resourceVersion !== version) entry!.replaced = version;
    else this.written.delete(key);
    return own;
  }

  private remove(obj: T): void {
    const ns = obj.metadata.namespace ?? '';
    this.written.delete(`${ns}/${obj.metadata.name}`);
    const byName = this.cache.get(ns);
    const old = byName?.get(obj.metadata.name!);
    if (!old) return;
    byName!.delete(obj.metadata.name!);
    if (byName!.size === 0) this.cache.delete(ns);
    this.notify('delete', old, undefined, false);
  }

  /** The resource is no longer served (its CRD was deleted or replaced): nothing of it exists any more. */
  private forgetScope(scope: string): void {
    for (const obj of this.list(scope || undefined)) this.remove(obj);
  }

  private resync(): void {
    for (const obj of this.list()) this.emit('update', obj, obj);
  }

  /** Emits a watch event, or holds it back while a write of ours to the object is in flight (see writing). */
  private notify(event: Event, obj: T, old: T | undefined, own: boolean): void {
    const f = this.inflight.get(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
    if (f) f.held.push([event, obj, old, own]);
    else this.emit(event, obj, old, own);
  }

  private emit(event: Event, obj: T, old?: T, own = false): void {
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
 * The object without metadata.managedFields (a third to a half of a cached object, and never read here). A
 * replace built from it keeps the server's managedFields: the server resets them only when told to explicitly.
 */
function withoutManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as T['metadata'] & { managedFields?: unknown };
  if (meta.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = meta;
  return { ...obj, metadata };
}
