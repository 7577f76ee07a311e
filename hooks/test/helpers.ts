import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { silentLogger } from '@tollgate/operator/util/log';
import request from 'supertest';
import { DEFAULT_ALLOWED_COMMANDS } from '../src/command/allowlist.js';
import { makeTaskHome } from '../src/command/environment.js';
import { InMemoryGateStore, type GateStore } from '../src/gates/store.js';
import { DEFAULT_LOAD_LIMITS } from '../src/load/limits.js';
import { buildService, type Service, type ServiceDeps, type ServiceSettings } from '../src/service.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const HMAC_KEY = 'test-hmac-key-0123456789abcdef';
export const BEARER = { Authorization: `Bearer ${TOKEN}` };

const SETTINGS: ServiceSettings = {
  token: TOKEN,
  hmacKey: HMAC_KEY,
  insecure: false,
  metricsPublic: false,
  allowedCommands: [...DEFAULT_ALLOWED_COMMANDS],
  maxBodyBytes: 64 * 1024,
  maxRunningTasks: 10,
  taskTimeoutMs: 3_600_000,
  blockingTimeoutMs: 60_000,
  namespacePattern: undefined,
  loadLimits: DEFAULT_LOAD_LIMITS,
};

/** The read-only home of task processes, one per test file (this module is loaded once per file), removed after it. */
export const TASK_HOME = makeTaskHome(tmpdir());
afterAll(() => rmSync(TASK_HOME, { recursive: true, force: true }));

export type TestService = Service & { gates: GateStore };

/** The service wired with an in-memory gate store and a silent logger; stop() kills what it still runs. */
export function testService(settings: Partial<ServiceSettings> = {}, deps: Partial<ServiceDeps> = {}): TestService {
  const gates = deps.gates ?? new InMemoryGateStore();
  const service = buildService(
    { ...SETTINGS, ...settings },
    { logger: silentLogger(), env: process.env, taskHome: TASK_HOME, ...deps, gates },
  );
  return { ...service, gates };
}

/** POST a JSON body with the bearer token. */
export function post(svc: Service, path: string, body: unknown): request.Test {
  return request(svc.app)
    .post(path)
    .set(BEARER)
    .send(body as object);
}

/** A webhook payload for the canary podinfo.test. */
export function payload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'podinfo', namespace: 'test', ...extra };
}

export function task(metadata: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return payload({ metadata, ...extra });
}

/** Polls until check() is true or the time is up. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A local HTTP server on 127.0.0.1 that answers with the handler; counts requests. */
export async function localServer(handler: http.RequestListener): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A local server that records the body of every request it gets, and answers "ok". */
export async function sinkServer(): Promise<{ url: string; bodies: string[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const server = await localServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.end('ok');
    });
  });
  return { url: server.url, bodies, close: server.close };
}

/** The service listening on a loopback port (for clients that need a URL, not supertest). */
export async function listeningService(settings: Partial<ServiceSettings> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const svc = testService(settings);
  const server = await localServer(svc.app);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await svc.shutdown(0);
    },
  };
}

/** The error fn throws; fails the test when it throws nothing (or something that is not an Error). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`expected an Error to be thrown, got ${String(err)}`);
  }
  throw new Error('expected an error to be thrown, but nothing was');
}
