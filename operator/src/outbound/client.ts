import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosRequestConfig } from 'axios';

/** The operator-wide limits of every outbound call (webhooks, alerts, metric providers). */
export interface OutboundSettings {
  /** Largest answer body read, in bytes (after decompression); a larger one is cut while it streams in. */
  maxBodyBytes: number;
  /** Refuse requests that ask to skip TLS verification (webhook disableTLS, MetricTemplate insecureSkipVerify). */
  forbidInsecureTls: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  url: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent byte for byte (a signed body must not be re-serialized). */
  body?: string;
  /** Shutdown, lost shard or the reconcile's deadline. */
  signal: AbortSignal;
  /** Total deadline of this call: connection, headers and the whole body. */
  timeoutMs: number;
  /** Skip TLS verification (refused when the operator forbids it). */
  insecureSkipVerify?: boolean;
  /** http(s) URL of a forward proxy. */
  proxy?: string;
}

export interface OutboundResponse {
  status: number;
  /** The body as received (at most maxBodyBytes). */
  body: string;
  contentType: string;
}

/**
 * timeout: the call's own deadline passed; deadline: the caller's signal ended it (the reconcile's deadline or a
 * shutdown); too-large: the answer exceeded the body cap; refused: the operator's settings forbid the request;
 * network: anything else (connection refused, TLS, DNS).
 */
export type OutboundErrorKind = 'timeout' | 'deadline' | 'too-large' | 'refused' | 'network';

/** A failed call. The message names no URL, header or body: callers add what is safe to show. */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

/** The note a caller adds after a 3xx status, which is an answer like any other (never followed). */
export function redirectNote(status: number): string {
  return status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
}

/**
 * The operator's one HTTP client (axios over node:http). Every call has a total deadline (AbortSignal.timeout,
 * not axios' idle timeout: a server trickling a byte a second is cut at the deadline), a body cap enforced while
 * the answer streams in (the connection is destroyed as soon as the cap is passed, so at most the cap is held in
 * memory), never follows a redirect (a 3xx is returned, so headers never reach a second host), and knows no
 * credential: callers redact their own.
 */
export class OutboundClient {
  private readonly insecureAgent = new https.Agent({ rejectUnauthorized: false });
  private readonly proxies = new Map<string, { http: http.Agent; https: https.Agent }>();

  constructor(readonly settings: OutboundSettings) {}

  async request(req: OutboundRequest): Promise<OutboundResponse> {
    if (!isHttpUrl(req.url)) throw new OutboundError('refused', 'the address is not an http(s) URL');
    if (req.insecureSkipVerify && this.settings.forbidInsecureTls) {
      throw new OutboundError('refused', 'skipping TLS verification is forbidden by the operator (--forbid-insecure-tls)');
    }
    const ownDeadline = AbortSignal.timeout(req.timeoutMs);
    const config: AxiosRequestConfig = {
      method: req.method ?? 'GET',
      url: req.url,
      ...(req.params ? { params: req.params } : {}),
      headers: req.headers ?? {},
      ...(req.body !== undefined ? { data: req.body } : {}),
      signal: AbortSignal.any([req.signal, ownDeadline]),
      maxContentLength: this.settings.maxBodyBytes,
      maxRedirects: 0,
      responseType: 'text',
      responseEncoding: 'utf8',
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      transitional: { forcedJSONParsing: false },
      validateStatus: () => true,
      ...this.agents(req),
    };
    try {
      const res = await axios.request<string>(config);
      return {
        status: res.status,
        body: typeof res.data === 'string' ? res.data : String(res.data ?? ''),
        contentType: String(res.headers['content-type'] ?? ''),
      };
    } catch (err) {
      throw this.failure(err, req, ownDeadline);
    }
  }

  private agents(req: OutboundRequest): Pick<AxiosRequestConfig, 'httpAgent' | 'httpsAgent'> {
    if (req.proxy) {
      const a = this.proxyAgents(req.proxy);
      // axios leaves agents that carry proxyEnv in charge (and skips its own environment proxy).
      return { httpAgent: a.http, httpsAgent: a.https };
    }
    return req.insecureSkipVerify ? { httpsAgent: this.insecureAgent } : {};
  }

  /**
   * Node's own proxy support in http.Agent (`proxyEnv`: CONNECT tunnels for https, absolute-form requests for
   * http). NO_PROXY is empty on purpose: the proxy applies to the address, whatever the environment says.
   */
  private proxyAgents(proxy: string): { http: http.Agent; https: https.Agent } {
    if (!isHttpUrl(proxy)) throw new OutboundError('refused', 'the proxy is not an http(s) URL');
    if (!builtinProxySupported())
      throw new OutboundError('refused', `a proxy needs Node.js >= 22.21 or >= 24.5 (running ${process.versions.node})`);
    let a = this.proxies.get(proxy);
    if (!a) {
      const proxyEnv = { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, NO_PROXY: '' };
      a = { http: new http.Agent({ proxyEnv }), https: new https.Agent({ proxyEnv }) };
      this.proxies.set(proxy, a);
    }
    return a;
  }

  private failure(err: unknown, req: OutboundRequest, ownDeadline: AbortSignal): OutboundError {
    if (err instanceof OutboundError) return err;
    if (req.signal.aborted) {
      const reason: unknown = req.signal.reason;
      const deadline = reason instanceof DOMException && reason.name === 'TimeoutError';
      return new OutboundError('deadline', deadline ? "stopped at the reconcile's deadline" : 'request aborted');
    }
    if (ownDeadline.aborted) return new OutboundError('timeout', `no complete answer within ${formatMs(req.timeoutMs)}`);
    const message = err instanceof Error ? err.message : String(err);
    if (/maxContentLength/.test(message))
      return new OutboundError('too-large', `answer larger than ${formatBytes(this.settings.maxBodyBytes)}: cut`);
    return new OutboundError('network', message);
  }
}

/**
 * Node's own proxy support in http.Agent exists from Node.js 22.21 and 24.5. On older versions the option would be
 * ignored silently, so a proxy is refused there rather than bypassed.
 */
export function builtinProxySupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** 1536 → "1.5 KiB", 1048576 → "1 MiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
