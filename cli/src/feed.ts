import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { silentLogger } from '@tollgate/operator/util/log';
import { isAbout, sortEvents, type CoreEvent } from './canary.js';
import type { Snapshot } from './format.js';
import type { Io } from './io.js';
import { canaryEvents, findCanary } from './kube.js';

interface FeedOptions {
  kube: KubeClient;
  io: Io;
  namespace: string;
  name: string;
  /** Follow the Canary's Events too. */
  events: boolean;
  /** Ends the feed. */
  signal: AbortSignal;
}

/** Snapshots of one Canary (and its Events): the current one first, then one after each change, until the signal aborts. */
export type Feed = (o: FeedOptions) => AsyncIterable<Snapshot>;

/** Follows the Canary with list+watch caches (the operator's Informer): reconnects and relists on its own. */
export const watchFeed: Feed = async function* (o) {
  const canaries = new Informer<Canary>({
    client: o.kube,
    resource: Resources.canaries,
    namespaces: [o.namespace],
    logger: silentLogger(),
  });
  const events = o.events
    ? new Informer<CoreEvent & KubeObject>({
        client: o.kube,
        resource: Resources.events,
        namespaces: [o.namespace],
        logger: silentLogger(),
      })
    : undefined;
  const wake = new Wakeup();
  const touch = (obj: KubeObject): void => {
    if (obj.metadata.name === o.name || isAbout(obj as CoreEvent, o.name)) wake.ring();
  };
  for (const i of [canaries, events]) i?.on('add', touch).on('update', touch).on('delete', touch);
  const snapshot = (): Snapshot => {
    const canary = canaries.get(o.namespace, o.name);
    const mine = events?.list(o.namespace).filter((e) => isAbout(e, o.name, canary?.metadata.uid)) ?? [];
    return { canary, events: sortEvents(mine) };
  };
  try {
    const synced = Promise.all([canaries.start(), events?.start()]);
    synced.catch(() => undefined); // stop() rejects it when the signal aborts first: not an unhandled rejection
    const aborted = new Promise<'aborted'>((resolve) => {
      if (o.signal.aborted) resolve('aborted');
      o.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    if ((await Promise.race([synced, aborted])) === 'aborted') return;
    wake.reset();
    yield snapshot();
    while (await wake.next(o.signal)) yield snapshot();
  } finally {
    canaries.stop();
    events?.stop();
  }
};

/** Follows the Canary by reading it every intervalMs (for tests, and API servers that refuse watches). */
export function pollFeed(intervalMs = 1000): Feed {
  return async function* (o) {
    while (!o.signal.aborted) {
      const canary = await findCanary(o.kube, o.namespace, o.name, o.signal);
      const events = o.events && canary ? await canaryEvents(o.kube, o.namespace, o.name, canary.metadata.uid, o.signal) : [];
      yield { canary, events };
      await o.io.sleep(intervalMs, o.signal);
    }
  };
}

/** Coalesces change notifications: next() resolves once after any number of ring()s, or with false on abort. */
class Wakeup {
  private rung = false;
  private waiter: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.waiter?.();
  }

  reset(): void {
    this.rung = false;
  }

  async next(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    if (!this.rung) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.waiter = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiter = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal.aborted) return false;
    this.rung = false;
    return true;
  }
}

/**
 * The snapshots of source, and the last one again every everyMs while nothing changes, so a decision that depends
 * on time (how long a stall has lasted) is taken even when the Canary does not change.
 */
export async function* ticking(source: AsyncIterable<Snapshot>, io: Io, everyMs: number, signal: AbortSignal): AsyncGenerator<Snapshot> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  let last: Snapshot | undefined;
  try {
    while (!signal.aborted) {
      const tick = new AbortController();
      const r = await Promise.race([next, io.sleep(everyMs, AbortSignal.any([signal, tick.signal])).then(() => undefined)]);
      tick.abort();
      if (r === undefined) {
        if (last && !signal.aborted) yield last;
        continue;
      }
      if (r.done) return;
      last = r.value;
      next = it.next();
      yield last;
    }
  } finally {
    // Not awaited: the source may be waiting for a change; it ends when the caller's signal aborts.
    void it.return?.(undefined);
  }
}
