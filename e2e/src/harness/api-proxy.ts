import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { kubeconfigYaml } from '../cluster/control-plane.js';

/** One request the proxy received, and what it did with it. */
export interface ProxiedRequest {
  at: number;
  method: string;
  url: string;
  watch: boolean;
  /** sha256 of the request body: a retry sends the same body to the same URL. */
  body: string;
  /** 'throttled': answered 429 with retryAfterSeconds; 'stalled': a watch held open with nothing sent. */
  fate: 'forwarded' | 'throttled' | 'stalled';
  retryAfterSeconds?: number;
  /** When the client closed a stalled watch. */
  closedAt?: number;
}

/** The faults the proxy injects; each may be changed while it runs. */
export interface ProxyFaults {
  /** Answer 429 with this Retry-After to every `every`-th request that is not a watch. */
  throttle?: { every: number; retryAfterSeconds: number };
  /** Hold the next watch whose URL matches open, sending nothing after its headers (once per setting). */
  stallWatch?: RegExp;
}

export interface ApiFaultProxy {
  url: string;
  /** A kubeconfig with the admin's token whose server is the proxy. */
  kubeconfig: string;
  requests: ProxiedRequest[];
  faults: ProxyFaults;
  stop(): Promise<void>;
}

const UPSTREAM_DEADLINE_MS = 10 * 60_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function tooMany(res: http.ServerResponse, retryAfterSeconds: number): void {
  res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429 }));
}

function forward(upstream: URL, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
  const out = https.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      rejectUnauthorized: false,
      timeout: UPSTREAM_DEADLINE_MS,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('timeout', () => out.destroy(new Error('upstream deadline')));
  out.on('error', () => res.destroy());
  res.on('close', () => out.destroy());
  out.end(body);
}

/** The request's body, at most MAX_BODY_BYTES (a larger one is cut: the proxy is a test's). */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A loopback HTTP proxy in front of kube-apiserver that records every request and injects faults: answers 429
 * with Retry-After, and watches held open that never send anything (a connection gone dead without a reset).
 */
export async function startApiFaultProxy(server: string, token: string, dir: string): Promise<ApiFaultProxy> {
  const upstream = new URL(server);
  const requests: ProxiedRequest[] = [];
  const faults: ProxyFaults = {};
  let plain = 0;
  const handle = (at: number, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void => {
    const url = req.url ?? '/';
    const watch = /[?&]watch=(true|1)\b/.test(url);
    const hash = createHash('sha256').update(body).digest('hex');
    const r: ProxiedRequest = { at, method: req.method ?? 'GET', url, watch, body: hash, fate: 'forwarded' };
    requests.push(r);
    if (!watch && faults.throttle && ++plain % faults.throttle.every === 0) {
      r.fate = 'throttled';
      r.retryAfterSeconds = faults.throttle.retryAfterSeconds;
      return tooMany(res, faults.throttle.retryAfterSeconds);
    }
    if (watch && faults.stallWatch?.test(url)) {
      faults.stallWatch = undefined;
      r.fate = 'stalled';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      res.on('close', () => (r.closedAt = Date.now()));
      return;
    }
    forward(upstream, req, body, res);
  };
  const srv = http.createServer((req, res) => {
    const at = Date.now();
    readBody(req).then(
      (body) => handle(at, req, body, res),
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const kubeconfig = path.join(dir, `proxy-${(srv.address() as AddressInfo).port}.kubeconfig`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(kubeconfig, kubeconfigYaml(url, token));
  return {
    url,
    kubeconfig,
    requests,
    faults,
    stop: () => new Promise<void>((resolve) => (srv.closeAllConnections(), srv.close(() => resolve()))),
  };
}
