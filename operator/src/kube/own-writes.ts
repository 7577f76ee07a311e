import type { KubeObject } from '../api/types.js';

export type ChangeKind = 'add' | 'update' | 'delete';

/** A change the watch delivered, already in the informer's cache. */
export interface Change<T> {
  kind: ChangeKind;
  obj: T;
  old: T | undefined;
}

/** What this process wrote to one object and the watch has not delivered yet. */
interface Pending<T> {
  inFlight: number;
  /** Changes delivered while a write was in flight: whether they are ours is known once it has answered. */
  held: Change<T>[];
  /** Versions our answered writes returned, oldest first. */
  versions: Set<string>;
  /** The latest object we wrote, shown instead of the cached one while the cache holds `over`, the version it replaced. */
  shown?: { over: string | undefined; obj: T };
}

/**
 * The writes this process made to the objects of one informer, until its watch delivers them. The informer's
 * get() shows the latest one, so the next reconcile does not start from the version it replaced and fail with a
 * 409; the change that carries a version we wrote is emitted as own. While a write is in flight the object's
 * changes are held back: the watch can deliver the echo before the write's own answer.
 */
export class OwnWrites<T extends KubeObject> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(private readonly emit: (c: Change<T>, own: boolean) => void) {}

  /**
   * A write of the object under key is sent. Returns what to call once it has ended: with the object written,
   * the version it replaced and the version the cache holds now; with no object if it failed.
   */
  begin(key: string): (obj: T | undefined, replaced: string | undefined, cached: string | undefined) => void {
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { inFlight: 0, held: [], versions: new Set() }));
    const entry = p;
    entry.inFlight++;
    let ended = false;
    return (obj, replaced, cached) => {
      if (ended) return;
      ended = true;
      if (obj) entry.versions.add(obj.metadata.resourceVersion ?? '');
      if (--entry.inFlight === 0) {
        for (const c of entry.held.splice(0)) this.emit(c, this.delivered(entry, c));
      }
      if (obj) this.show(entry, obj, replaced, cached);
      this.prune(key, entry);
    };
  }

  /** The object to show under key instead of the cached one (whose version is cached), if any. */
  shown(key: string, cached: string | undefined): T | undefined {
    const s = this.pending.get(key)?.shown;
    return s && s.over === cached ? s.obj : undefined;
  }

  /** The watch delivered a change: emitted now, own or not, or held while we are writing the object. */
  changed(key: string, c: Change<T>): void {
    const p = this.pending.get(key);
    if (!p) return this.emit(c, false);
    if (p.inFlight > 0) {
      p.held.push(c);
      return;
    }
    this.emit(c, this.delivered(p, c));
    this.prune(key, p);
  }

  /** After a relist the cache holds what the list showed: nothing answered is shown or awaited any more. */
  reset(): void {
    for (const [key, p] of this.pending) {
      p.versions.clear();
      p.shown = undefined;
      this.prune(key, p);
    }
  }

  /** Whether the change carries a version we wrote; ours up to it are delivered, anyone else's ends what we show. */
  private delivered(p: Pending<T>, c: Change<T>): boolean {
    const version = c.obj.metadata.resourceVersion ?? '';
    if (c.kind === 'delete' || !p.versions.has(version)) {
      p.shown = undefined;
      if (c.kind === 'delete') p.versions.clear();
      return false;
    }
    for (const v of p.versions) {
      p.versions.delete(v);
      if (v === version) break;
    }
    if (p.shown?.obj.metadata.resourceVersion === version) p.shown = undefined;
    else if (p.shown) p.shown.over = version;
    return true;
  }

  /**
   * Shows a write over what the cache holds, or over our own earlier write not delivered yet; otherwise the watch
   * has already brought this version or a later one, and the cache knows better.
   */
  private show(p: Pending<T>, obj: T, replaced: string | undefined, cached: string | undefined): void {
    if (cached === replaced) p.shown = { over: cached, obj };
    else if (p.shown && p.shown.over === cached && p.shown.obj.metadata.resourceVersion === replaced) p.shown = { over: cached, obj };
  }

  private prune(key: string, p: Pending<T>): void {
    if (p.inFlight === 0 && p.versions.size === 0 && !p.shown) this.pending.delete(key);
  }
}
