/**
 * The server-sent event streams, one per open page: the list's rows, or a Canary's detail and chart, again after
 * each change the Hub reports. A fragment is rendered once per change and shared by every page that shows it.
 */
import type { Request, Response } from 'express';
import type { Canary } from '@tollgate/operator/api/types';
import type { CoreEvent } from '../canary.js';
import type { Change, Scope } from './hub.js';
import type { Point } from './timeline.js';
import { canaryDetail, chartData, listRows } from './views.js';

/** What the server reads the cluster through (the Hub; a fake in tests). */
export interface HubView {
  readonly scope: Scope;
  readonly eventsNote: string | undefined;
  list(): Canary[];
  get(namespace: string, name: string): Canary | undefined;
  eventsOf(c: Canary): CoreEvent[];
  timelineOf(c: Canary, events: CoreEvent[]): Point[];
  subscribe(fn: (change: Change) => void): () => void;
}

/** One server-sent event: its name, and its data as one JSON line. */
const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The cache key of the list (a Canary's is namespace/name, which always holds a slash). */
const LIST = 'list';

/** The events the streams push, each rendered at most once per change of what it shows. */
export class Fragments {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly hub: HubView,
    private readonly now: () => number,
  ) {
    hub.subscribe(({ key, canary }) => {
      this.cache.delete(key);
      if (canary) this.cache.delete(LIST);
    });
  }

  list(): string {
    return this.memo(LIST, () => sse('list', { html: listRows(this.hub.list(), this.now()).text }));
  }

  canary(namespace: string, name: string): string {
    const c = this.hub.get(namespace, name);
    if (!c) return sse('canary', { gone: true });
    return this.memo(`${namespace}/${name}`, () => {
      const events = this.hub.eventsOf(c);
      const html = canaryDetail(c, events, this.now(), this.hub.eventsNote).text;
      return sse('canary', { html, points: chartData(this.hub.timelineOf(c, events)) });
    });
  }

  private memo(key: string, render: () => string): string {
    let text = this.cache.get(key);
    if (text === undefined) this.cache.set(key, (text = render()));
    return text;
  }
}

export interface StreamOptions {
  hub: HubView;
  fragments: Fragments;
  /** Ends every stream (Ctrl-C). */
  signal: AbortSignal;
  maxStreams: number;
  coalesceMs: number;
}

/** GET /events (the list) or /events?canary=NAMESPACE/NAME (a Canary's page). */
export function streamHandler(o: StreamOptions) {
  let open = 0;
  return (req: Request, res: Response): void => {
    if (open >= o.maxStreams) return void res.status(503).type('text').send('too many open pages\n');
    const key = typeof req.query.canary === 'string' ? req.query.canary : undefined;
    const [namespace = '', name = ''] = key?.split('/') ?? [];
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    open++;
    const send = (): void => void res.write(key === undefined ? o.fragments.list() : o.fragments.canary(namespace, name));
    let timer: NodeJS.Timeout | undefined;
    const unsubscribe = o.hub.subscribe((change) => {
      const shown = key === undefined ? change.canary : change.key === key;
      if (!shown || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        send();
      }, o.coalesceMs);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
    const end = (): void => {
      o.signal.removeEventListener('abort', end);
      unsubscribe();
      clearInterval(ping);
      clearTimeout(timer);
      res.end();
    };
    req.once('close', () => {
      open--;
      end();
    });
    o.signal.addEventListener('abort', end, { once: true });
    send();
  };
}
