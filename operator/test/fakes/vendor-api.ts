import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request a vendor stand-in received. */
export interface Received {
  method: string;
  /** The request target as sent: path and query string. */
  target: string;
  path: string;
  params: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Header names and values as sent, in order (for signature checks). */
  rawHeaders: string[];
  body: string;
}

export interface Reply {
  status?: number;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
}

export type Handler = (req: Received) => Reply | Promise<Reply>;

/** Answers on the raw response instead (a misbehaving server), once the request is read and recorded. */
export type RawHandler = (req: http.IncomingMessage, res: http.ServerResponse, received: Received) => void;

/**
 * A local HTTP(S) server on 127.0.0.1 standing in for a vendor's API; the handler answers each request (or
 * `raw`, when set). It records every request and counts TCP connections.
 */
export class VendorApi {
  readonly received: Received[] = [];
  handler: Handler = () => ({ status: 404, body: { error: 'no handler' } });
  raw: RawHandler | undefined;
  /** TCP connections accepted (a refused call makes none). */
  connections = 0;
  address = '';
  private server: http.Server | https.Server | undefined;

  async start(tls?: { key: string; cert: string }): Promise<this> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://stand-in');
        const r: Received = {
          method: req.method ?? '',
          target: req.url ?? '',
          path: url.pathname,
          params: url.searchParams,
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(r);
        if (this.raw) return this.raw(req, res, r);
        Promise.resolve(this.handler(r)).then(
          (reply) => {
            const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
            res.writeHead(reply.status ?? 200, {
              'content-type': reply.contentType ?? (typeof reply.body === 'string' ? 'text/plain' : 'application/json'),
            });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(err));
          },
        );
      });
    };
    this.server = tls ? https.createServer(tls, listener) : http.createServer(listener);
    this.server.on('connection', () => {
      this.connections++;
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.address = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  reset(handler?: Handler): void {
    this.received.length = 0;
    if (handler) this.handler = handler;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** An address where nothing listens. */
export async function closedAddress(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const signal = (): AbortSignal => new AbortController().signal;

/** The error a promise rejects with (fails the test when it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/** A self-signed certificate for 127.0.0.1 (test only; valid until 2126). */
export const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmFRdIj6ZTF9XGH4U
VNLearmOjOf81fu8ByiwI6AAqs6hRANCAAQgRNStujfC2K8K0yfO57nEfLupBzYI
fXsq6aSud0Ix8NtFOxvQ+TesTxP/xR7FzUP1CWxSTYEaxioJCxPv6UWn
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBkTCCATagAwIBAgIUL3exLZLnyI3Cql3AWb3ZQ1zxkTEwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNjE2NDU0NVoYDzIxMjYxMTAy
MTY0NTQ1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQgRNStujfC2K8K0yfO57nEfLupBzYIfXsq6aSud0Ix8NtFOxvQ+Tes
TxP/xR7FzUP1CWxSTYEaxioJCxPv6UWno2QwYjAdBgNVHQ4EFgQURQY1xBiBh5DC
Gagtqf6zSjifGwowHwYDVR0jBBgwFoAURQY1xBiBh5DCGagtqf6zSjifGwowDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC
IQDCM0448YJDlrKNAoYkIcDcOMg2p7/lu4FZV9WDmvekFgIhAPMymp4i7Byu/7Bw
/wm36tBBH2eeWbKoshjuTRsc/F4x
-----END CERTIFICATE-----
`,
};
