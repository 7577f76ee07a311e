import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient, WatchEvent } from '@tollgate/operator/kube/client';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import type { CoreEvent } from '../src/canary.js';
import { hostsFor } from '../src/dashboard/command.js';
import { Hub, resolveScope } from '../src/dashboard/hub.js';
import { CSRF_HEADER, dashboardApp } from '../src/dashboard/server.js';
import { pollFeed } from '../src/feed.js';
import { run } from '../src/main.js';
import type { Io } from '../src/io.js';
import { KubeApiError } from '../../operator/src/kube/errors.js';
import { FakeKube } from '../../operator/test/fakes/fake-kube.js';
import { canary, event, T0 } from './helpers.js';

/** FakeKube with watches: each put is delivered to the open watches of its kind, as the API server would. */
function watchable(fk: FakeKube, wrap: (k: KubeClient) => Partial<KubeClient> = () => ({})) {
  const base = fk.client();
  const watchers = new Set<{ path: string; onEvent: (e: WatchEvent<KubeObject>) => void }>();
  const watch = (path: string, _q: unknown, onEvent: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const w = { path, onEvent };
      watchers.add(w);
      signal.addEventListener('abort', () => {
        watchers.delete(w);
        resolve();
      });
    });
  const client = { ...(base as unknown as Record<string, unknown>), watch } as unknown as KubeClient;
  Object.assign(client, wrap(client));
  const put = <T extends KubeObject>(r: ResourceType, obj: T, type: WatchEvent<T>['type'] = 'MODIFIED'): T => {
    const stored = fk.put(r, obj);
    for (const w of watchers) if (w.path.endsWith(`/${r.plural}`)) w.onEvent({ type, object: stored });
    return stored;
  };
  return { client, put };
}

const SECRET = 'c'.repeat(43);

interface Running {
  base: string;
  port: number;
  fk: FakeKube;
  hub: Hub;
  put: ReturnType<typeof watchable>['put'];
  stop(): Promise<void>;
}

/** The dashboard's server over a FakeKube, on 127.0.0.1 and a free port, with a clock whose sleeps take no time. */
async function start(
  o: { wrap?: (k: KubeClient) => Partial<KubeClient>; canaries?: Canary[]; events?: CoreEvent[] } = {},
): Promise<Running> {
  const fk = new FakeKube();
  for (const c of o.canaries ?? [canary({ phase: 'Progressing', status: { canaryWeight: 20 } })]) fk.put(Resources.canaries, c);
  for (const e of o.events ?? []) fk.put(Resources.events, e as KubeObject);
  const { client, put } = watchable(fk, o.wrap);
  let now = T0;
  const io: Io = { stdout: () => undefined, stderr: () => undefined, now: () => now, sleep: async (ms) => void (now += ms) };
  const abort = new AbortController();
  const scope = await resolveScope(client, undefined, 'test');
  const hub = new Hub({ kube: client, scope, now: () => now });
  await hub.start();
  let hosts = new Set<string>();
  const app = dashboardApp({
    hub,
    actions: { kube: client, cache: hub, io, feed: pollFeed(1000), prog: 'tollgate' },
    csrf: SECRET,
    allowedHosts: () => hosts,
    signal: abort.signal,
    coalesceMs: 5,
    now: () => now,
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  hosts = hostsFor('127.0.0.1', port);
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    fk,
    hub,
    put,
    async stop() {
      abort.abort();
      hub.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with the headers given as is (Host included, which fetch does not let a test set). */
function send(r: Running, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: r.port, method, path, headers: { host: `127.0.0.1:${r.port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An open event stream: the events received so far, and a wait for one that matches. */
function stream(r: Running, path: string) {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  let buffer = '';
  let wake: () => void = () => undefined;
  const req = http.get({ host: '127.0.0.1', port: r.port, path }, (res) => {
    res.on('data', (d: Buffer) => {
      buffer += d.toString();
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        wake();
      }
    });
  });
  return {
    events,
    async until(pred: (e: { event: string; data: Record<string, unknown> }) => boolean): Promise<Record<string, unknown>> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit.data;
        if (Date.now() > deadline) throw new Error(`no such event; got ${JSON.stringify(events)}`);
        await new Promise<void>((res) => {
          wake = res;
          setTimeout(res, 100);
        });
      }
    },
    close: () => req.destroy(),
  };
}

describe('tollgate dashboard: the server', () => {
  let r: Running;
  afterEach(async () => r?.stop());

  it('given Canaries in two namespaces, then the list page shows each with phase, weight, failed checks, revision and provider', async () => {
    r = await start({
      canaries: [
        canary({ phase: 'Progressing', status: { canaryWeight: 40, failedChecks: 1, lastAppliedSpec: 'abc123' } }),
        canary({ name: 'backend', namespace: 'shop' }),
      ],
    });
    const page = await send(r, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const rows = [...page.body.matchAll(/<tr data-phase="([^"]*)" data-search="([^"]*)">([\s\S]*?)<\/tr>/g)].map((m) =>
      m[3]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    );
    expect(rows).toEqual(['shop backend Succeeded 0 0/2 rev2 3d istio', 'test podinfo Progressing 40 1/2 abc123 3d istio']);
    expect(page.body).toMatch(new RegExp(`<meta name="csrf-token" content="${SECRET}"`));
  });

  it('given a Canary page open, then its event stream pushes the new weight and chart point when the watch sees a change', async () => {
    r = await start();
    const s = stream(r, '/events?canary=test%2Fpodinfo');
    try {
      const first = await s.until((e) => e.event === 'canary');
      expect(first.html).toContain('20%');
      const live = r.fk.get<Canary>(Resources.canaries, 'test', 'podinfo')!;
      r.put(Resources.canaries, { ...live, status: { ...live.status, canaryWeight: 40 } });
      const next = await s.until((e) => e.event === 'canary' && String(e.data.html).includes('40%'));
      expect((next.points as number[][])[1]).toEqual([20, 40, 40]);
    } finally {
      s.close();
    }
  });

  it('given the list open, then a Canary created meanwhile appears in the pushed rows', async () => {
    r = await start();
    const s = stream(r, '/events');
    try {
      await s.until((e) => e.event === 'list');
      r.put(Resources.canaries, canary({ name: 'frontend', namespace: 'web' }), 'ADDED');
      const next = await s.until((e) => e.event === 'list' && String(e.data.html).includes('frontend'));
      expect(next.html).toContain('href="/canaries/web/frontend"');
    } finally {
      s.close();
    }
  });

  it('given the list and a Canary page open, then a new Event of the Canary is pushed to its page and not to the list', async () => {
    r = await start();
    const list = stream(r, '/events');
    const page = stream(r, '/events?canary=test%2Fpodinfo');
    try {
      await list.until((e) => e.event === 'list');
      await page.until((e) => e.event === 'canary');
      r.put(Resources.events, event('Advanced', 'Advance podinfo canary weight 40 (x)', T0) as KubeObject, 'ADDED');
      await page.until((e) => e.event === 'canary' && String(e.data.html).includes('canary weight 40'));
      await new Promise((res) => setTimeout(res, 50));
      expect(list.events.map((e) => e.event)).toEqual(['list']);
    } finally {
      list.close();
      page.close();
    }
  });

  it('given three list pages open, then the rows are rendered once for them all, and once again per change', async () => {
    r = await start();
    const list = r.hub.list.bind(r.hub);
    let renders = 0;
    r.hub.list = () => (renders++, list());
    const pages = [stream(r, '/events'), stream(r, '/events'), stream(r, '/events')];
    try {
      for (const p of pages) await p.until((e) => e.event === 'list');
      r.put(Resources.canaries, canary({ name: 'frontend', namespace: 'web' }), 'ADDED');
      for (const p of pages) await p.until((e) => e.event === 'list' && String(e.data.html).includes('frontend'));
      expect(renders).toBe(2);
    } finally {
      for (const p of pages) p.close();
    }
  });

  it('given promote with the token, then the CLI request is patched onto the Canary and its output returned', async () => {
    r = await start();
    const a = await send(r, 'POST', '/api/canaries/test/podinfo/promote', { [CSRF_HEADER]: SECRET });
    expect(a.status).toBe(200);
    const value = r.fk.get<Canary>(Resources.canaries, 'test', 'podinfo')!.metadata.annotations?.['tollgate.dev/promote'];
    expect(value).toBe(new Date(T0).toISOString());
    expect(JSON.parse(a.body)).toEqual({
      status: 200,
      code: 0,
      lines: [
        `Requested for test/podinfo: promotion of the revision under analysis, skipping the remaining steps (tollgate.dev/promote=${value}).`,
        'Not acknowledged within 15s: the request is recorded and will apply on the next reconcile of test/podinfo (now Progressing).',
      ],
    });
  });

  it('given promote, then the acknowledgement is read from the watch: one GET (the phase check), not one per 500 ms', async () => {
    let gets = 0;
    r = await start({
      wrap: (k) => {
        const get = k.get.bind(k);
        const patch = k.patch.bind(k);
        return {
          get: ((...a: Parameters<KubeClient['get']>) => (gets++, get(...a))) as KubeClient['get'],
          // The operator acts on the request at once: its status is delivered by the watch.
          patch: (async (...a: Parameters<KubeClient['patch']>) => {
            const patched = (await patch(...a)) as Canary;
            const value = patched.metadata.annotations?.['tollgate.dev/promote'] ?? '';
            r.put(Resources.canaries, { ...patched, status: { ...patched.status, handledRequests: { promote: value } } });
            return patched;
          }) as KubeClient['patch'],
        };
      },
    });
    const a = await send(r, 'POST', '/api/canaries/test/podinfo/promote', { [CSRF_HEADER]: SECRET });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).lines[1]).toMatch(/^Acknowledged by the operator: test\/podinfo is /);
    expect(gets).toBe(1);
  });

  it('given retry on a Canary that has not failed, then the CLI refusal, 409, and nothing written', async () => {
    r = await start();
    const a = await send(r, 'POST', '/api/canaries/test/podinfo/retry', { [CSRF_HEADER]: SECRET });
    expect(a.status).toBe(409);
    expect(JSON.parse(a.body).lines[0]).toBe(
      'refused: podinfo is Progressing: retry runs a Failed revision again, and podinfo has not failed.',
    );
    expect(r.fk.writes).toEqual([]);
  });

  it('given an API server that forbids the patch, then the 403 and its message are relayed', async () => {
    r = await start({
      wrap: () => ({
        patch: () =>
          Promise.reject(
            new KubeApiError(
              403,
              'Forbidden',
              'canaries.tollgate.dev "podinfo" is forbidden: User "viewer" cannot patch',
              'PATCH',
              'canaries',
            ),
          ),
      }),
    });
    const a = await send(r, 'POST', '/api/canaries/test/podinfo/abort', { [CSRF_HEADER]: SECRET });
    expect(a.status).toBe(403);
    expect(JSON.parse(a.body).lines).toEqual([
      'error: not allowed (403 Forbidden): PATCH canaries: 403 Forbidden: canaries.tollgate.dev "podinfo" is forbidden: User "viewer" cannot patch',
    ]);
  });

  it('given an action on a Canary that does not exist, then 404 and the CLI message naming the namespace', async () => {
    r = await start();
    const a = await send(r, 'POST', '/api/canaries/test/nothere/abort', { [CSRF_HEADER]: SECRET });
    expect(a.status).toBe(404);
    expect(JSON.parse(a.body)).toEqual({ status: 404, code: 3, lines: ['error: canary "nothere" not found in namespace "test"'] });
    expect(r.fk.writes).toEqual([]);
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { [CSRF_HEADER]: 'x'.repeat(43) }],
    ['the token from another origin', { [CSRF_HEADER]: SECRET, origin: 'http://evil.example' }],
  ])('given a POST with %s, then 403 and no request made', async (_what, headers: Record<string, string>) => {
    r = await start();
    const a = await send(r, 'POST', '/api/canaries/test/podinfo/abort', headers);
    expect(a.status).toBe(403);
    expect(JSON.parse(a.body).lines).toEqual(['refused: missing or wrong CSRF token (reload the page)']);
    expect(r.fk.writes).toEqual([]);
  });

  it('given a Host header that is not the bound address (DNS rebinding), then 403 for pages, streams and actions', async () => {
    r = await start();
    const evil = { host: `evil.example:${r.port}` };
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/events'],
      ['POST', '/api/canaries/test/podinfo/abort'],
    ] as const) {
      const a = await send(r, method, path, { ...evil, [CSRF_HEADER]: SECRET });
      expect([path, a.status]).toEqual([path, 403]);
      expect(a.body).toContain("is not the dashboard's address");
    }
    expect(r.fk.writes).toEqual([]);
    expect((await send(r, 'GET', '/', { host: `localhost:${r.port}` })).status).toBe(200);
  });

  it('given <script> in a name, annotations, a condition message and an Event, then the pages and the stream show it as text', async () => {
    const attack = '<script>window.pwned=1</script><img src=x onerror=alert(1)>';
    const c = canary({ name: `x${attack}`, annotations: { note: attack }, readyMessage: attack });
    const good = canary({ phase: 'Failed', annotations: { 'tollgate.dev/abort': attack }, readyMessage: attack });
    r = await start({ canaries: [c, good], events: [event('RolledBack', `Canary failed, rolling back podinfo: ${attack}`, T0)] });
    const list = await send(r, 'GET', '/');
    const page = await send(r, 'GET', '/canaries/test/podinfo');
    const s = stream(r, '/events?canary=test%2Fpodinfo');
    const pushed = String((await s.until((e) => e.event === 'canary')).html);
    s.close();
    for (const body of [list.body, page.body, pushed]) {
      expect(body).not.toContain('<script>window');
      expect(body).not.toContain('<img src=x');
    }
    expect(list.body).toContain('x&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).toMatch(/<td>tollgate\.dev\/abort<\/td>\s*<td>&lt;script&gt;window\.pwned=1/);
    expect(pushed).toContain('rolling back podinfo: &lt;script&gt;');
  });

  it('given the assets, then uPlot and the page script are served from the process; other paths are not', async () => {
    r = await start();
    const js = await send(r, 'GET', '/assets/uPlot.iife.min.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body).toContain('uPlot');
    expect((await send(r, 'GET', '/assets/dashboard.js')).body).toContain('EventSource');
    expect((await send(r, 'GET', '/assets/..%2F..%2Fpackage.json')).status).toBe(404);
  });
});

describe('tollgate dashboard: what it reads', () => {
  it('given pages, streams and an action, then the only resources read or written are Canaries and Events (never Secrets)', async () => {
    const touched = new Set<string>();
    const spy =
      (verb: 'get' | 'list' | 'patch', k: KubeClient) =>
      (r: ResourceType, ...rest: unknown[]) => {
        touched.add(r.plural);
        return (k[verb] as (...a: unknown[]) => unknown)(r, ...rest);
      };
    const r = await start({
      wrap: (k) => {
        const base = { get: k.get.bind(k), list: k.list.bind(k), patch: k.patch.bind(k) } as unknown as KubeClient;
        return { get: spy('get', base), list: spy('list', base), patch: spy('patch', base) } as unknown as Partial<KubeClient>;
      },
    });
    try {
      await send(r, 'GET', '/');
      await send(r, 'GET', '/canaries/test/podinfo');
      await send(r, 'POST', '/api/canaries/test/podinfo/pause', { [CSRF_HEADER]: SECRET });
      expect([...touched].sort()).toEqual(['canaries', 'events']);
    } finally {
      await r.stop();
    }
  });
});

describe('tollgate dashboard: the scope', () => {
  it('given a user who may not list Canaries in all namespaces, then the context namespace alone, said so', async () => {
    const fk = new FakeKube();
    const base = fk.client();
    const kube = {
      ...(base as unknown as Record<string, unknown>),
      list: (r: ResourceType, ns?: string) =>
        ns === undefined ? Promise.reject(new KubeApiError(403, 'Forbidden', 'cannot list', 'GET', r.plural)) : base.list(r, ns),
    } as unknown as KubeClient;
    expect(await resolveScope(kube, undefined, 'team-a')).toEqual({
      namespaces: ['team-a'],
      note: 'Canaries of namespace team-a only: listing them in all namespaces is not allowed',
    });
    expect(await resolveScope(kube, 'shop', 'team-a')).toEqual({ namespaces: ['shop'] });
    expect(await resolveScope(fk.client() as unknown as KubeClient, undefined, 'team-a')).toEqual({ namespaces: [] });
  });
});

describe('tollgate dashboard: the command', () => {
  /** Runs `tollgate dashboard ARGS` over a watchable FakeKube until `until` says so, then Ctrl-C. */
  async function runDashboard(
    args: string[],
    until: (out: string[]) => Promise<void>,
    wrap?: (k: KubeClient) => Partial<KubeClient>,
  ): Promise<{ code: number; out: string[]; err: string[] }> {
    const fk = new FakeKube();
    fk.put(Resources.canaries, canary());
    const { client } = watchable(fk, wrap);
    const out: string[] = [];
    const err: string[] = [];
    const ctrlC = new AbortController();
    const done = run(['dashboard', '--port', '0', ...args], {
      io: { stdout: (l) => void out.push(l), stderr: (l) => void err.push(l), now: Date.now, sleep: async () => undefined },
      connect: async (cluster) => ({ kube: client, namespace: cluster.namespace ?? 'test', server: 'https://fake:6443' }),
      feed: pollFeed(1000),
      signal: ctrlC.signal,
      prog: 'tollgate',
    });
    try {
      await Promise.race([until(out), done]);
    } finally {
      ctrlC.abort();
    }
    return { code: await done, out, err };
  }

  const urlOf = async (out: string[]): Promise<string> => {
    for (let i = 0; i < 100 && !out.length; i++) await new Promise((r) => setTimeout(r, 20));
    return /(http:\/\/\S+\/)/.exec(out[0] ?? '')?.[1] ?? '';
  };

  it('given --port 0, then the address it bound is printed, the page served there, and Ctrl-C ends it with 0', async () => {
    let body = '';
    const r = await runDashboard(['-n', 'test'], async (out) => {
      body = await (await fetch(await urlOf(out))).text();
    });
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out[0]).toMatch(/^Tollgate dashboard on http:\/\/127\.0\.0\.1:\d+\/ \(namespace test; Ctrl-C to stop\)$/);
    expect(body).toContain('href="/canaries/test/podinfo"');
  });

  it('given an API server that keeps failing the list of Canaries, then Ctrl-C still ends the dashboard while it waits', async () => {
    const failing = () => ({
      list: (() => Promise.reject(new KubeApiError(500, 'InternalError', 'etcd is down', 'GET', 'canaries'))) as KubeClient['list'],
    });
    const r = await runDashboard(['-n', 'test'], () => new Promise((res) => setTimeout(res, 100)), failing);
    expect(r).toEqual({ code: 130, out: [], err: [] });
  });

  it('given a port in use, then a clear error and exit 3', async () => {
    const busy = http.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await runDashboard(['--port', String(port)], () => new Promise(() => undefined));
      expect(r).toEqual({ code: 3, out: [], err: [`error: port ${port} on 127.0.0.1 is in use: choose another with --port`] });
    } finally {
      busy.close();
    }
  });
});

describe('tollgate dashboard: Events not allowed', () => {
  it('given a user who may not list Events, then the Canary page says so and shows the rest', async () => {
    const r = await start({
      wrap: (k) => {
        const list = k.list.bind(k);
        return {
          list: ((res: ResourceType, ...rest: unknown[]) =>
            res.plural === 'events'
              ? Promise.reject(new KubeApiError(403, 'Forbidden', 'cannot list events', 'GET', 'events'))
              : (list as (...a: unknown[]) => unknown)(res, ...rest)) as KubeClient['list'],
        };
      },
    });
    try {
      const page = await send(r, 'GET', '/canaries/test/podinfo');
      expect(page.status).toBe(200);
      expect(page.body).toContain('Events are not shown: listing them is not allowed (403)');
      expect(page.body).toContain('id="weight-value">20%');
    } finally {
      await r.stop();
    }
  });
});
