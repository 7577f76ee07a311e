import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../src/api/types.js';
import { KubeClient, type KubeClientOptions, type RequestLimiter } from '../src/kube/client.js';
import { KubeApiError, KubeConnectionError, WatchStalledError } from '../src/kube/errors.js';
import { Informer } from '../src/kube/informer.js';
import { TokenBucket, withPriority } from '../src/kube/rate-limit.js';
import { Resources } from '../src/kube/resources.js';
import { parseRetryAfter, throttleDelay, type ThrottleRetry } from '../src/kube/retry-after.js';
import { silentLogger } from '../src/util/log.js';

interface Seen {
  method: string;
  url: string;
  at: number;
  body: string;
}

/** An API server stand-in: `answer` decides each response from what was seen so far; every request is recorded. */
async function server(answer: (seen: Seen[], req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, at: Date.now(), body });
      answer(seen, req, res);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve()))) };
}

const tooMany = (res: http.ServerResponse, retryAfter?: string): void => {
  res.writeHead(429, { 'content-type': 'application/json', ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}) });
  res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'too many requests, please try again later', code: 429 }));
};
const ok = (res: http.ServerResponse, obj: unknown = { metadata: { name: 'a', resourceVersion: '7' } }): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};

const servers: { close: () => Promise<void> }[] = [];
const clients: KubeClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});
async function setup(answer: Parameters<typeof server>[0], o: Partial<KubeClientOptions> = {}) {
  const s = await server(answer);
  servers.push(s);
  const codes: number[] = [];
  const client = new KubeClient({ server: s.url, authHeaders: async () => ({}), observer: (_v, _r, code) => codes.push(code), ...o });
  clients.push(client);
  return { s, client, codes };
}

describe('throttleDelay', () => {
  const policy: ThrottleRetry = { maxRetries: 3, maxDelayMs: 10_000 };
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each<[string, number, string | undefined, number, number | undefined]>([
    ['a 429 naming 2 seconds', 429, '2', 0, 2000],
    ['a 429 naming 0 seconds', 429, '0', 0, 0],
    ['a 429 naming an HTTP date 3s ahead', 429, 'Thu, 01 Jan 2026 00:00:03 GMT', 0, 3000],
    ['a 429 naming a date past', 429, 'Wed, 31 Dec 2025 00:00:00 GMT', 0, 0],
    ['a 429 naming an hour (capped)', 429, '3600', 0, 10_000],
    ['a 429 without Retry-After, first retry', 429, undefined, 0, 750],
    ['a 429 without Retry-After, third retry', 429, undefined, 2, 3000],
    ['a 429 with an unreadable Retry-After', 429, 'soon-ish', 1, 1500],
    ['a 429 after the last retry', 429, '1', 3, undefined],
    ['a 503 naming 1 second', 503, '1', 0, 1000],
    ['a 503 without Retry-After', 503, undefined, 0, undefined],
    ['a 500 without Retry-After', 500, undefined, 0, undefined],
    ['a 409', 409, '1', 0, undefined],
    ['a 404', 404, undefined, 0, undefined],
  ])('given %s (status %p, Retry-After %p, %p retries done), then the wait is %p ms', (_t, status, header, done, wait) => {
    expect(throttleDelay({ method: 'GET', status, retryAfter: header }, done, policy, now, () => 0.5)).toBe(wait);
  });

  it.each<[string, number, number | undefined]>([
    ['POST', 503, undefined],
    ['PATCH', 503, undefined],
    ['PUT', 503, 1000],
    ['DELETE', 503, 1000],
    ['POST', 429, 1000],
    ['PATCH', 429, 1000],
  ])(
    'given a %s answered %p with Retry-After: 1, then the wait is %p ms (a 5xx may follow a write the server made)',
    (method, status, wait) => {
      expect(throttleDelay({ method, status, retryAfter: '1' }, 0, policy, now)).toBe(wait);
    },
  );

  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['  5 ', 5000],
    ['-1', undefined],
    ['1.5', undefined],
  ])('parseRetryAfter(%p) is %p', (v, ms) => {
    expect(parseRetryAfter(v, now)).toBe(ms);
  });
});

describe('KubeClient and 429 Too Many Requests', () => {
  it('given a 429 with Retry-After: 1, then the request is sent again after that second and succeeds', async () => {
    const { s, client, codes } = await setup((seen, _req, res) => (seen.length === 1 ? tooMany(res, '1') : ok(res)));
    const got = await client.get(Resources.configMaps, 'ns', 'a');
    expect(got.metadata.resourceVersion).toBe('7');
    expect(s.seen).toHaveLength(2);
    expect(s.seen[1]!.at - s.seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(codes).toEqual([429, 200]);
  });

  it('given a write turned away with 429, then it is sent again with the same body', async () => {
    const { s, client } = await setup((seen, _req, res) => (seen.length === 1 ? tooMany(res, '0') : ok(res)));
    await client.create(Resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } });
    expect(s.seen.map((x) => x.method)).toEqual(['POST', 'POST']);
    expect(s.seen[1]!.body).toBe(s.seen[0]!.body);
  });

  it('given a create answered 503 with Retry-After: 0, then it is not sent again (the server may have made it)', async () => {
    const { s, client } = await setup((_seen, _req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'ServiceUnavailable', message: 'unavailable', code: 503 }));
    });
    await expect(
      client.create(Resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } }),
    ).rejects.toThrow();
    expect(s.seen.map((x) => x.method)).toEqual(['POST']);
  });

  it('given 429s without end, then the request fails with the 429 after the retries allowed', async () => {
    const { s, client, codes } = await setup((_seen, _req, res) => tooMany(res, '0'), {
      throttleRetry: { maxRetries: 2, maxDelayMs: 1000 },
    });
    const err = await client.get(Resources.configMaps, 'ns', 'a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(429);
    expect(s.seen).toHaveLength(3);
    expect(codes).toEqual([429, 429, 429]);
  });

  it('given 429s without end and the default policy, then the request is sent 6 times (5 retries, as the README says)', async () => {
    const { s, client } = await setup((_seen, _req, res) => tooMany(res, '0'));
    await expect(client.get(Resources.configMaps, 'ns', 'a')).rejects.toMatchObject({ status: 429 });
    expect(s.seen).toHaveLength(6);
  });

  it("given a Retry-After past the request's deadline, then the 429 is returned at once, not waited out", async () => {
    const { s, client } = await setup((_seen, _req, res) => tooMany(res, '10'));
    const started = Date.now();
    await expect(client.request('GET', '/api/v1/namespaces/ns/configmaps/a', { timeoutMs: 2000 })).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(s.seen).toHaveLength(1);
  });
});

describe('KubeClient with a rate limiter', () => {
  it('given 2 qps and a burst of 1, then 3 requests are spread over a second', async () => {
    const limiter = new TokenBucket({ qps: 2, burst: 1 });
    const { s, client } = await setup((_seen, _req, res) => ok(res), { limiter });
    await Promise.all([1, 2, 3].map(() => client.get(Resources.configMaps, 'ns', 'a')));
    expect(s.seen[2]!.at - s.seen[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it("given no token before the request's deadline, then it fails at the deadline without being sent", async () => {
    const limiter = new TokenBucket({ qps: 0.01, burst: 1 });
    const { s, client } = await setup((_seen, _req, res) => ok(res), { limiter });
    await client.get(Resources.configMaps, 'ns', 'a');
    const started = Date.now();
    const err = await client.request('GET', '/api/v1/namespaces/ns/configmaps/a', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConnectionError);
    expect((err as Error).message).toContain('--kube-api-qps');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(s.seen).toHaveLength(1);
  });

  it("given tokens short, then a request made in a due step's context is sent before an event's request that waited longer", async () => {
    // One token a second: the first request's round trip, however slow the machine, ends before the next token.
    const limiter = new TokenBucket({ qps: 1, burst: 1 });
    const { s, client } = await setup((_seen, _req, res) => ok(res), { limiter });
    await client.get(Resources.configMaps, 'ns', 'first');
    const event = client.get(Resources.configMaps, 'ns', 'woken-by-event');
    const due = withPriority('due', () => client.get(Resources.configMaps, 'ns', 'due-step'));
    await Promise.all([event, due]);
    expect(s.seen.map((x) => x.url.split('/').pop())).toEqual(['first', 'due-step', 'woken-by-event']);
  });

  it('given a watch delivering several events, then it took one token (per request, not per event)', async () => {
    let taken = 0;
    const limiter: RequestLimiter = { take: async () => void taken++ };
    const { client } = await setup(
      (_seen, _req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 5; i++)
          res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: `c${i}`, resourceVersion: `${i}` } } })}\n`);
        res.end();
      },
      { limiter },
    );
    const events: string[] = [];
    await client.watch<KubeObject>('/api/v1/configmaps', {}, (e) => events.push(e.object.metadata.name!), new AbortController().signal);
    expect([events.length, taken]).toEqual([5, 1]);
  });
});

describe('KubeClient watch idle deadline', () => {
  const event = (name: string, rv: string): string =>
    `${JSON.stringify({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } } })}\n`;

  it('given a watch that goes silent after an event, then it rejects with WatchStalledError after the idle time', async () => {
    const { client } = await setup((_seen, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(event('a', '11'));
    });
    const seen: string[] = [];
    const started = Date.now();
    const err = await client
      .watch<KubeObject>('/api/v1/configmaps', {}, (e) => seen.push(e.object.metadata.name!), new AbortController().signal, {
        idleTimeoutMs: 300,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchStalledError);
    expect(seen).toEqual(['a']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('given a server that never answers the watch request, then it rejects with WatchStalledError', async () => {
    const { client } = await setup(() => undefined);
    const err = await client
      .watch<KubeObject>('/api/v1/configmaps', {}, () => undefined, new AbortController().signal, { idleTimeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchStalledError);
  });

  it('given events more often than the idle time, then the watch is not cut', async () => {
    const { client } = await setup((_seen, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let n = 0;
      const t = setInterval(() => {
        res.write(event(`c${n}`, String(++n)));
        if (n === 6) (clearInterval(t), res.end());
      }, 100);
    });
    const seen: string[] = [];
    await client.watch<KubeObject>('/api/v1/configmaps', {}, (e) => seen.push(e.object.metadata.name!), new AbortController().signal, {
      idleTimeoutMs: 300,
    });
    expect(seen).toHaveLength(6);
  });

  it('given an informer whose watch stalls, then it resumes the watch from the last resourceVersion seen, without a relist', async () => {
    const { s, client } = await setup((seen, req, res) => {
      if (!req.url!.includes('watch=true')) return ok(res, { items: [], metadata: { resourceVersion: '10' } });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (seen.filter((x) => x.url.includes('watch=true')).length === 1) res.write(event('a', '11'));
    });
    const informer = new Informer<KubeObject>({
      client,
      resource: Resources.configMaps,
      logger: silentLogger(),
      watchTimeoutSeconds: 0,
      watchIdleMarginMs: 300,
    });
    try {
      await informer.start();
      const until = Date.now() + 3000;
      while (s.seen.filter((x) => x.url.includes('watch=true')).length < 2 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      const urls = s.seen.map((x) => new URL(x.url, s.url));
      expect(urls.map((u) => [u.searchParams.get('watch'), u.searchParams.get('resourceVersion')]).slice(0, 3)).toEqual([
        [null, null],
        ['true', '10'],
        ['true', '11'],
      ]);
      expect(informer.get('ns', 'a')?.metadata.resourceVersion).toBe('11');
    } finally {
      informer.stop();
    }
  });

  it('given a short watch timeout and no idle margin set, then a stalled watch is ended after half its timeout more', async () => {
    const { s, client } = await setup((_seen, req, res) => {
      if (!req.url!.includes('watch=true')) return ok(res, { items: [], metadata: { resourceVersion: '10' } });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
    });
    const informer = new Informer<KubeObject>({ client, resource: Resources.configMaps, logger: silentLogger(), watchTimeoutSeconds: 1 });
    try {
      await informer.start();
      const until = Date.now() + 4000;
      while (s.seen.filter((x) => x.url.includes('watch=true')).length < 2 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      const watches = s.seen.filter((x) => x.url.includes('watch=true'));
      expect(watches).toHaveLength(2);
      expect(watches[1]!.at - watches[0]!.at).toBeGreaterThanOrEqual(1400);
      expect(new URL(watches[0]!.url, s.url).searchParams.get('timeoutSeconds')).toBe('1');
    } finally {
      informer.stop();
    }
  });
});
