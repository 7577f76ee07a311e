import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../src/api/types.js';
import { KubeClient, type WatchEvent } from '../src/kube/client.js';
import { InformerRegistry } from '../src/kube/informer-registry.js';
import { Resources } from '../src/kube/resources.js';
import { silentLogger } from '../src/util/log.js';

/** An API server stand-in: writes answer the body with resourceVersion 99; a name "taken" answers 409. */
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('/taken')) {
        res.statusCode = 409;
        res.end(JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified', code: 409 }));
        return;
      }
      const sent = JSON.parse(body || '{}') as KubeObject;
      const name = req.method === 'PATCH' ? req.url!.split('/').pop()! : sent.metadata?.name;
      res.end(JSON.stringify({ ...sent, metadata: { ...sent.metadata, name, namespace: 'ns', resourceVersion: '99' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const cm = (name: string, rv?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', ...(rv ? { resourceVersion: rv } : {}) },
});

describe('KubeClient write listeners', () => {
  it('are told of each write before it is sent, then of the object written and the resourceVersion it replaced, or of its failure', async () => {
    const client = new KubeClient({ server: base, authHeaders: async () => ({}) });
    const seen: [string, string, string | undefined][] = [];
    const begun: string[] = [];
    client.onWrite((r, namespace, name) => {
      begun.push(`${namespace}/${name}`);
      return (obj, replaced) =>
        seen.push([r.plural, obj ? `${obj.metadata.name}@${obj.metadata.resourceVersion}` : `${name} failed`, replaced]);
    });
    try {
      await client.create(Resources.configMaps, cm('a'));
      await client.replace(Resources.configMaps, cm('b', '5'));
      await client.replaceStatus(Resources.configMaps, cm('c', '6'));
      await client.patch(Resources.configMaps, 'ns', 'd', { metadata: { resourceVersion: '7' } });
      await client.patch(Resources.configMaps, 'ns', 'e', { data: { k: 'v' } }, { replaces: '8' });
      await client.patch(Resources.configMaps, 'ns', 'f', { data: { k: 'v' } });
      await expect(client.replace(Resources.configMaps, cm('taken', '9'))).rejects.toThrow(/409/);
      expect(seen).toEqual([
        ['configmaps', 'a@99', undefined],
        ['configmaps', 'b@99', '5'],
        ['configmaps', 'c@99', '6'],
        ['configmaps', 'd@99', '7'],
        ['configmaps', 'e@99', '8'],
        ['configmaps', 'f@99', undefined],
        ['configmaps', 'taken failed', undefined],
      ]);
      expect(begun).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e', 'ns/f', 'ns/taken']);
    } finally {
      client.close();
    }
  });
});

describe('InformerRegistry', () => {
  it('shows a write of the client in the informer of its resource before the watch delivers it', async () => {
    let listener: Parameters<KubeClient['onWrite']>[0] | undefined;
    const client = {
      onWrite: (l: typeof listener) => (listener = l),
      list: async () => ({ items: [cm('a', '5')], metadata: { resourceVersion: '10' } }),
      watch: (_p: string, _q: unknown, _cb: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal) =>
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
    } as unknown as KubeClient;
    const registry = new InformerRegistry({ client, logger: silentLogger(), namespaces: [], resyncMs: 0, onEvent: () => undefined });
    try {
      const lister = await registry.lister<KubeObject>(Resources.configMaps);
      listener!(Resources.configMaps, 'ns', 'a')(cm('a', '11'), '5');
      listener!(Resources.services, 'ns', 'a')(cm('a', '12'), '5');
      expect(lister.get('ns', 'a')?.metadata.resourceVersion).toBe('11');
    } finally {
      registry.stopAll();
    }
  });
});

describe('KubeClient watch', () => {
  /** A server whose watch sends lines and then, if asked, breaks the connection; otherwise keeps it open. */
  async function watchServer(lines: string[], breakAfter: boolean): Promise<{ url: string; close: () => Promise<void> }> {
    const s = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (const l of lines) res.write(`${l}\n`);
      if (breakAfter) setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve()))) };
  }

  class Relist extends Error {}

  it("rejects with the consumer's own exception, unwrapped, when the event callback throws (a 410 ERROR event means relist)", async () => {
    const srv = await watchServer(
      [JSON.stringify({ type: 'ADDED', object: cm('a', '5') }), '{"type":"ERROR","object":{"code":410}}'],
      false,
    );
    const client = new KubeClient({ server: srv.url, authHeaders: async () => ({}) });
    const seen: string[] = [];
    try {
      const watching = client.watch<KubeObject>(
        '/api/v1/configmaps',
        {},
        (e) => {
          seen.push(e.type);
          if (e.type === 'ERROR') throw new Relist();
        },
        new AbortController().signal,
      );
      await expect(watching).rejects.toBeInstanceOf(Relist);
      expect(seen).toEqual(['ADDED', 'ERROR']);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('rejects with a KubeConnectionError naming the path when the stream breaks', async () => {
    const srv = await watchServer([JSON.stringify({ type: 'ADDED', object: cm('a', '5') })], true);
    const client = new KubeClient({ server: srv.url, authHeaders: async () => ({}) });
    try {
      const watching = client.watch<KubeObject>('/api/v1/configmaps', {}, () => undefined, new AbortController().signal);
      await expect(watching).rejects.toMatchObject({ name: 'KubeConnectionError', message: expect.stringContaining('/api/v1/configmaps') });
    } finally {
      client.close();
      await srv.close();
    }
  });
});
