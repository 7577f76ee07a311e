import { isReleasing } from '@tollgate/contract/phases';
import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { Canary } from '../api/types.js';
import type { Lister } from '../kube/informer.js';
import { decideQueue, parsePriority, type Place, type QueueCaps, type Running, type Waiter } from '../core/queue.js';

/** What the queue says to one release: start now, or wait at a place. */
export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly place: Place };

const keyOf = (c: Canary): string => `${c.metadata.namespace}/${c.metadata.name}`;

const stalled = (c: Canary): boolean => c.status?.conditions?.some((x) => x.type === 'Stalled' && x.status === 'True') ?? false;

/** The status says the release waits in the queue (its order is queuedSince). */
export const isQueuedStatus = (s: Canary['status']): boolean => s?.phase === 'Waiting' && s.queuedSince !== undefined;

/** Whether the tollgate.dev/priority annotation asks to jump the queue. */
export const isUrgent = (c: Canary): boolean => parsePriority(c.metadata.annotations?.[ANNOTATIONS.priority], ANNOTATIONS.priority).urgent;

/** A Canary whose status says it waits in the queue, and can start when admitted (not suspended, blocked or deleted). */
function waiterOf(c: Canary): Waiter | undefined {
  const since = c.status?.queuedSince ? Date.parse(c.status.queuedSince) : NaN;
  if (!isQueuedStatus(c.status) || Number.isNaN(since)) return undefined;
  if (c.spec.suspend || c.metadata.deletionTimestamp || stalled(c)) return undefined;
  return { key: keyOf(c), namespace: c.metadata.namespace!, since, urgent: isUrgent(c) };
}

const isRunning = (c: Canary): boolean => isReleasing(c.status?.phase) && !c.metadata.deletionTimestamp;

/** The Canary takes a slot or a place in the queue: its end (or departure) may let another release start. */
export const holdsQueue = (c: Canary): boolean => isRunning(c) || waiterOf(c) !== undefined;

/**
 * The release queue of this process: the releases in analysis and the waiting ones, read from the Canaries'
 * status in the cache (with this process's own writes shown before their echo), so the order survives a restart.
 * A release admitted here holds its slot from the decision until its status write has answered (settle()):
 * decisions are synchronous, so two reconciles of this process can never take the same last slot.
 */
export class ReleaseQueue {
  /** Admitted releases whose Progressing status is not written yet: key -> namespace. */
  private readonly reserved = new Map<string, string>();
  /**
   * The Canaries that may hold a slot or a place (a superset: pruned as they are read), so that a decision reads
   * the running and waiting releases, not every Canary of the cache.
   */
  private readonly candidates = new Set<string>();
  private seeded = false;

  constructor(
    readonly caps: QueueCaps,
    private readonly canaries: Lister<Canary>,
    private readonly onLength: (waiting: number) => void = () => undefined,
  ) {}

  /** Decides for one waiting release (its own entry replaces what the cache shows of it); reserves its slot when admitted. */
  decide(self: Waiter): Admission {
    this.candidates.add(self.key);
    const { running, waiting } = this.view(self.key);
    waiting.push(self);
    this.onLength(waiting.length);
    const d = decideQueue(this.caps, running, waiting);
    if (d.admitted.includes(self.key)) {
      this.reserved.set(self.key, self.namespace);
      this.onLength(waiting.length - 1);
      return { admitted: true };
    }
    return { admitted: false, place: d.places.get(self.key)! };
  }

  /** The turn that decided for key has ended (its status written, or failed): the cache speaks for it again. */
  settle(key: string): void {
    this.reserved.delete(key);
  }

  /** A Canary seen by the informer (added or changed): a candidate while it holds a slot or a place. */
  observe(c: Canary): void {
    if (holdsQueue(c)) this.candidates.add(keyOf(c));
  }

  /** The waiting releases that may start now: the controller wakes them when a slot frees. */
  admissible(): readonly string[] {
    const { running, waiting } = this.view();
    this.onLength(waiting.length);
    return decideQueue(this.caps, running, waiting).admitted;
  }

  private view(except?: string): { running: Running[]; waiting: Waiter[] } {
    const running: Running[] = [];
    const waiting: Waiter[] = [];
    const reserved = new Map(this.reserved);
    if (!this.seeded) {
      // Once, from the whole cache (the state a restarted process starts from); then the informer feeds observe().
      this.seeded = true;
      for (const c of this.canaries.list()) this.observe(c);
    }
    for (const key of this.candidates) {
      if (key === except) continue;
      const slash = key.indexOf('/');
      const c = this.canaries.get(key.slice(0, slash), key.slice(slash + 1));
      if (reserved.delete(key) || (c && isRunning(c))) {
        running.push({ key, namespace: key.slice(0, slash) });
        continue;
      }
      const w = c && waiterOf(c);
      if (w) waiting.push(w);
      else this.candidates.delete(key);
    }
    for (const [key, namespace] of reserved) if (key !== except) running.push({ key, namespace });
    return { running, waiting };
  }
}
