/**
 * What the dashboard knows of the cluster: one watch (list+watch cache, the operator's Informer) of the Canaries
 * and one of their Events, over the namespaces the user can list, and the weights the watch saw. Browsers are
 * told of changes by subscribe(). After start, the dashboard reads the cluster through these two watches, but for
 * the one GET of a button's request (the phase is checked on a fresh resourceVersion); its acknowledgement is
 * read from the watch.
 */
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { silentLogger } from '@tollgate/operator/util/log';
import { isAbout, sortEvents, type CoreEvent } from '../canary.js';
import { describeError, isForbidden } from '../errors.js';
import { Observed, timeline, type Point } from './timeline.js';

type EventObject = CoreEvent & KubeObject;

/** Which namespaces are watched: all of them (empty list), or some; and why, for the page. */
export interface Scope {
  namespaces: string[];
  note?: string;
}

const EVENTS_OF_CANARIES = 'involvedObject.kind=Canary';

/**
 * The namespaces to watch: the one of -n when given; else every namespace when the user may list Canaries
 * cluster-wide, else the context's namespace (a user with rights in one namespace only).
 */
export async function resolveScope(kube: KubeClient, explicit: string | undefined, fallback: string, signal?: AbortSignal): Promise<Scope> {
  if (explicit) return { namespaces: [explicit] };
  try {
    await kube.list(Resources.canaries, undefined, { limit: 1 }, signal);
    return { namespaces: [] };
  } catch (err) {
    if (!isForbidden(err)) throw err;
    return { namespaces: [fallback], note: `Canaries of namespace ${fallback} only: listing them in all namespaces is not allowed` };
  }
}

/** Whether the user may list the Events of Canaries in the scope (a 403 is a no; other errors are thrown). */
async function mayListEvents(kube: KubeClient, scope: Scope, signal?: AbortSignal): Promise<boolean> {
  try {
    for (const ns of scope.namespaces.length ? scope.namespaces : [undefined])
      await kube.list(Resources.events, ns, { limit: 1, fieldSelector: EVENTS_OF_CANARIES }, signal);
    return true;
  } catch (err) {
    if (isForbidden(err)) return false;
    throw err;
  }
}

export interface HubOptions {
  kube: KubeClient;
  scope: Scope;
  now: () => number;
}

/** What changed: the Canary namespace/name itself (canary), or only what its page shows besides (its Events). */
export interface Change {
  key: string;
  canary: boolean;
}

type Listener = (change: Change) => void;

export class Hub {
  private readonly canaries: Informer<Canary>;
  private events: Informer<EventObject> | undefined;
  private readonly observed = new Observed();
  private readonly listeners = new Set<Listener>();
  /** Why Events are not shown, when they are not. */
  eventsNote: string | undefined;

  constructor(private readonly o: HubOptions) {
    this.canaries = new Informer<Canary>({
      client: o.kube,
      resource: Resources.canaries,
      namespaces: o.scope.namespaces,
      logger: silentLogger(),
    });
    const changed = (c: Canary): void => {
      const key = keyOf(c);
      this.observed.saw(key, c, this.o.now());
      this.notify({ key, canary: true });
    };
    this.canaries
      .on('add', changed)
      .on('update', changed)
      .on('delete', (c) => {
        this.observed.forget(keyOf(c));
        this.notify({ key: keyOf(c), canary: true });
      });
  }

  get scope(): Scope {
    return this.o.scope;
  }

  /**
   * Resolves once the Canaries are listed; the Events follow in the background (a page shows them once they come).
   * The signal stops the watches, and start() with them while the list still fails (an API server that answers 500).
   */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.stop(), { once: true });
    let allowed = false;
    try {
      allowed = await mayListEvents(this.o.kube, this.o.scope, signal);
      if (!allowed) this.eventsNote = 'Events are not shown: listing them is not allowed (403)';
    } catch (err) {
      this.eventsNote = `Events are not shown: ${describeError(err)}`;
    }
    if (allowed) {
      this.events = new Informer<EventObject>({
        client: this.o.kube,
        resource: Resources.events,
        namespaces: this.o.scope.namespaces,
        fieldSelector: EVENTS_OF_CANARIES,
        logger: silentLogger(),
      });
      const touch = (e: EventObject): void => {
        if (e.involvedObject?.kind === 'Canary')
          this.notify({ key: `${e.metadata.namespace ?? ''}/${e.involvedObject.name ?? ''}`, canary: false });
      };
      this.events.on('add', touch).on('update', touch).on('delete', touch);
      this.events.start().catch((err: unknown) => {
        this.eventsNote = `Events are not shown: ${describeError(err)}`;
        for (const c of this.canaries.list()) this.notify({ key: keyOf(c), canary: false });
      });
    }
    await this.canaries.start();
  }

  stop(): void {
    this.canaries.stop();
    this.events?.stop();
  }

  /** Every Canary, by namespace then name. */
  list(): Canary[] {
    return this.canaries
      .list()
      .sort(
        (a, b) =>
          (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
          (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
      );
  }

  get(namespace: string, name: string): Canary | undefined {
    return this.canaries.get(namespace, name);
  }

  /** The Canary's Events, oldest first. */
  eventsOf(c: Canary): CoreEvent[] {
    const name = c.metadata.name ?? '';
    return sortEvents((this.events?.list(c.metadata.namespace ?? '') ?? []).filter((e) => isAbout(e, name, c.metadata.uid)));
  }

  /** The weight over time of the current and the last release (events: eventsOf(c)). */
  timelineOf(c: Canary, events: CoreEvent[]): Point[] {
    return timeline(c, events, this.observed.of(keyOf(c)), this.o.now());
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(change: Change): void {
    for (const fn of this.listeners) fn(change);
  }
}

const keyOf = (c: Canary): string => `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
