/**
 * The dashboard's HTTP server: pages, their assets (from the npm packages, resolved at run time: no CDN), a
 * server-sent events stream per open page fed by the Hub's watches, and the actions. Guards: the Host header
 * must name the bound address (DNS rebinding), every POST carries the per-process CSRF token, and the pages allow
 * scripts from the dashboard alone (Content-Security-Policy).
 */
import { timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isAction, runAction, type ActionDeps } from './actions.js';
import type { Html } from './html.js';
import { Fragments, streamHandler, type HubView } from './stream.js';
import { canaryPage, listPage, notFoundPage, type PageContext } from './views.js';

export interface ServerDeps {
  hub: HubView;
  actions: ActionDeps;
  /** The per-process CSRF token, sent by the pages in the X-Tollgate-CSRF header. */
  csrf: string;
  /** The Host headers accepted ("127.0.0.1:8080", "localhost:8080"...): known once the port is bound. */
  allowedHosts: () => ReadonlySet<string>;
  /** Ends the streams and the actions (Ctrl-C). */
  signal: AbortSignal;
  /** At most this many open event streams (default 64). */
  maxStreams?: number;
  /** The clock of the ages shown (Date.now by default). */
  now?: () => number;
  /** How long a change waits for others before it is pushed (ms, default 150). */
  coalesceMs?: number;
}

export const CSRF_HEADER = 'x-tollgate-csrf';
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const require = createRequire(import.meta.url);
const UPLOT_DIST = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');
const OWN_ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets');
const ASSETS: Record<string, string> = {
  'uPlot.iife.min.js': path.join(UPLOT_DIST, 'uPlot.iife.min.js'),
  'uPlot.min.css': path.join(UPLOT_DIST, 'uPlot.min.css'),
  'dashboard.js': path.join(OWN_ASSETS, 'dashboard.js'),
  'dashboard.css': path.join(OWN_ASSETS, 'dashboard.css'),
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function dashboardApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(hostGuard(deps));
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    next();
  });
  const now = deps.now ?? Date.now;
  const ctx = (): PageContext => ({ csrf: deps.csrf, now: now(), ...(deps.hub.scope.note ? { scopeNote: deps.hub.scope.note } : {}) });
  const page = (res: Response, h: Html, status = 200): void => void res.status(status).type('html').send(h.text);
  app.get('/', (_req, res) => page(res, listPage(deps.hub.list(), ctx())));
  app.get('/canaries/:namespace/:name', (req, res) => {
    const namespace = param(req, 'namespace');
    const name = param(req, 'name');
    const c = deps.hub.get(namespace, name);
    if (!c) return page(res, notFoundPage(namespace, name, ctx()), 404);
    const eventsNote = deps.hub.eventsNote;
    const events = deps.hub.eventsOf(c);
    page(res, canaryPage(c, events, deps.hub.timelineOf(c, events), { ...ctx(), ...(eventsNote ? { eventsNote } : {}) }));
  });
  app.get('/assets/:file', (req, res) => {
    const file = ASSETS[param(req, 'file')];
    if (!file) return void res.status(404).type('text').send('not found');
    res.sendFile(file, { headers: { 'Cache-Control': 'no-cache' } });
  });
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  const fragments = new Fragments(deps.hub, now);
  app.get('/events', streamHandler({ ...deps, fragments, maxStreams: deps.maxStreams ?? 64, coalesceMs: deps.coalesceMs ?? 150 }));
  app.post('/api/canaries/:namespace/:name/:action', csrfGuard(deps), actionHandler(deps));
  app.use((_req: Request, res: Response) => void res.status(404).type('text').send('not found'));
  return app;
}

/** Refuses a Host header other than the bound address: a page of another site resolved to 127.0.0.1 sends its own. */
function hostGuard(deps: ServerDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (deps.allowedHosts().has(host)) return next();
    res
      .status(403)
      .type('text')
      .send(`refused: Host "${host}" is not the dashboard's address (use ${[...deps.allowedHosts()][0] ?? ''})\n`);
  };
}

/** POSTs need the page's CSRF token, and, when the browser names one, the dashboard as their origin. */
function csrfGuard(deps: ServerDeps) {
  const expected = Buffer.from(deps.csrf);
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = Buffer.from(String(req.headers[CSRF_HEADER] ?? ''));
    const origin = req.headers.origin;
    const sameOrigin = origin === undefined || origin === `http://${req.headers.host ?? ''}`;
    if (given.length === expected.length && timingSafeEqual(given, expected) && sameOrigin) return next();
    res.status(403).json({ status: 403, lines: ['refused: missing or wrong CSRF token (reload the page)'] });
  };
}

function actionHandler(deps: ServerDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const namespace = param(req, 'namespace');
    const name = param(req, 'name');
    const action = param(req, 'action');
    if (!isAction(action) || !NAME.test(namespace) || !NAME.test(name)) {
      res.status(400).json({ status: 400, lines: [`bad request: ${action} ${namespace}/${name}`] });
      return;
    }
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const answer = await runAction(deps.actions, action, namespace, name, AbortSignal.any([deps.signal, gone.signal]));
    if (!res.writableEnded) res.status(answer.status).json(answer);
  };
}

const param = (req: Request, name: string): string => String((req.params as Record<string, unknown>)[name] ?? '');
