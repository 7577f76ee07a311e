import http from 'node:http';
import https from 'node:https';
import { sleep } from '../util/backoff.js';
import { KubeApiError, KubeConnectionError, WatchStalledError } from './errors.js';
import type { TakeOptions } from './rate-limit.js';
import { DEFAULT_THROTTLE_RETRY, throttleDelay, type ThrottleRetry } from './retry-after.js';
import { resourcePath, type ResourceType } from './resources.js';
import type { KubeObject } from '../api/types.js';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** The Accept header; application/json by default (see METADATA_ONLY for objects' metadata alone). */
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Accept headers that ask the API server for metadata.* alone (PartialObjectMetadata, meta.k8s.io/v1, served
 * since Kubernetes 1.15): the list's items and the watch's objects are {apiVersion, kind, metadata}.
 */
export const METADATA_ONLY = {
  list: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  watch: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
} as const;

/**
 * Told when a create, replace or patch of namespace/name is sent; returns what to call once it has ended: with the
 * object the server returned and the resourceVersion it replaced (undefined for a create, or for a patch with no
 * precondition whose caller named none), or with undefined when the write failed.
 */
export type WriteListener = (resource: ResourceType, namespace: string | undefined, name: string) => WriteEnd;
export type WriteEnd = (written: KubeObject | undefined, replaced?: string) => void;

/** Observes every API request, e.g. to count them by verb. */
export type RequestObserver = (verb: string, resource: string, code: number, seconds: number) => void;

export interface KubeClientOptions {
  server: string;
  /** TLS material and verification settings for https servers. */
  tls?: Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
  /** Current authentication headers; called per request so rotated tokens are picked up. */
  authHeaders: () => Promise<Record<string, string>>;
  userAgent?: string;
  observer?: RequestObserver;
  defaultTimeoutMs?: number;
  /** Every request (a watch: once, when it is opened) waits for a token of this limiter (rate-limit.ts). */
  limiter?: RequestLimiter;
  /** Retries of requests turned away with 429 (or 5xx with Retry-After); 5 retries, 30s at most each, by default. */
  throttleRetry?: ThrottleRetry;
}

/** What the client needs of a rate limiter: a token per request (TokenBucket). */
export interface RequestLimiter {
  take(o: TakeOptions): Promise<void>;
}

/** A watch's options besides its query. */
export interface WatchOptions {
  accept?: string;
  /**
   * Nothing received (no event, no bookmark) for this long: the watch is closed and rejects with WatchStalledError,
   * so a connection that died silently is noticed. Unset: none (the server's timeoutSeconds and TCP keepalive).
   */
  idleTimeoutMs?: number;
}

interface Answer {
  code: number;
  text: string;
  retryAfter: string | undefined;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ListResult<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface PatchOptions {
  type?: PatchType;
  subresource?: string;
  signal?: AbortSignal;
  fieldManager?: string;
  force?: boolean;
  /** The resourceVersion the patch was computed from (a merge patch's metadata.resourceVersion is taken as it). */
  replaces?: string;
}

/** A small typed client of the Kubernetes REST API: JSON in and out, typed errors, streaming watches. */
export class KubeClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly watchAgent: http.Agent;
  private readonly writeListeners: WriteListener[] = [];

  constructor(private readonly opts: KubeClientOptions) {
    this.url = new URL(opts.server);
    const secure = this.url.protocol === 'https:';
    const make = (maxSockets: number): http.Agent =>
      secure ? new https.Agent({ keepAlive: true, maxSockets, ...opts.tls }) : new http.Agent({ keepAlive: true, maxSockets });
    this.agent = make(64);
    this.watchAgent = make(Infinity);
  }

  /**
   * Sends one request and returns its JSON answer. Waits for a token of the limiter first, sends again after a 429
   * (see throttleDelay); the token waits and the retries all end at the request's deadline (timeoutMs).
   */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? this.opts.defaultTimeoutMs ?? 30_000;
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    const policy = this.opts.throttleRetry ?? DEFAULT_THROTTLE_RETRY;
    for (let retries = 0; ; retries++) {
      const a = await this.attempt(method, path, o, deadline, timeoutMs);
      if (a.code >= 200 && a.code < 300) return (a.text ? JSON.parse(a.text) : {}) as T;
      const err = toApiError(a.code, a.text, method, path);
      const wait = throttleDelay({ method, status: a.code, retryAfter: a.retryAfter }, retries, policy, Date.now());
      if (wait === undefined || Date.now() + wait >= deadline) throw err;
      await sleep(wait, o.signal);
      if (o.signal?.aborted) throw new KubeConnectionError(method, path, o.signal.reason ?? new Error('aborted'));
    }
  }

  /** One HTTP exchange after a token: observed whatever its outcome. */
  private async attempt(method: string, path: string, o: RequestOptions, deadline: number, timeoutMs: number): Promise<Answer> {
    await this.token(method, path, deadline, o.signal);
    const started = process.hrtime.bigint();
    let code = 0;
    try {
      const left = deadline === Infinity ? 0 : Math.max(1, deadline - Date.now());
      const res = await this.send(method, path, { ...o, timeoutMs: left }, this.agent, timeoutMs);
      code = res.statusCode ?? 0;
      const retryAfter = res.headers['retry-after'];
      return { code, text: await readBody(res), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
    } finally {
      this.opts.observer?.(verbOf(method, path, o.query), resourceOfPath(path), code, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Waits for the limiter's token, at most until the deadline. */
  private async token(method: string, path: string, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    if (!this.opts.limiter) return;
    try {
      await this.opts.limiter.take({
        ...(deadline !== Infinity ? { timeoutMs: deadline - Date.now() } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new KubeConnectionError(method, path, err);
    }
  }

  /**
   * Streams a watch until the server closes it, the signal aborts, or an error occurs.
   * Resolves on a clean end; rejects with KubeApiError (e.g. 410 Gone) or KubeConnectionError.
   */
  async watch<T>(
    path: string,
    query: RequestOptions['query'],
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
    o: WatchOptions = {},
  ): Promise<void> {
    const idle = new IdleTimer(o.idleTimeoutMs, signal);
    try {
      await this.token('WATCH', path, Infinity, signal);
      idle.touch();
      const res = await this.send(
        'GET',
        path,
        { query: { ...query, watch: true }, signal: idle.signal, timeoutMs: 0, ...(o.accept ? { accept: o.accept } : {}) },
        this.watchAgent,
      );
      const code = res.statusCode ?? 0;
      this.opts.observer?.('watch', resourceOfPath(path), code, 0);
      if (code !== 200) throw toApiError(code, await readBody(res), 'WATCH', path);
      await consumeLines(
        res,
        path,
        idle.signal,
        () => idle.touch(),
        (line) => onEvent(JSON.parse(line) as WatchEvent<T>),
      );
    } catch (err) {
      if (idle.fired) throw new WatchStalledError(path, o.idleTimeoutMs!);
      throw err;
    } finally {
      idle.stop();
    }
    if (idle.fired) throw new WatchStalledError(path, o.idleTimeoutMs!);
  }

  get<T extends KubeObject>(r: ResourceType, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', resourcePath(r, namespace, name), { signal });
  }

  list<T extends KubeObject>(
    r: ResourceType,
    namespace?: string,
    query: RequestOptions['query'] = {},
    signal?: AbortSignal,
    accept?: string,
  ): Promise<ListResult<T>> {
    return this.request<ListResult<T>>('GET', resourcePath(r, namespace), { query, signal, ...(accept ? { accept } : {}) });
  }

  /** Tells `listener` of every write of this client (the informer caches show own writes at once, and know their echo). */
  onWrite(listener: WriteListener): void {
    this.writeListeners.push(listener);
  }

  create<T extends KubeObject>(r: ResourceType, obj: T, signal?: AbortSignal): Promise<T> {
    return this.tracked(r, obj.metadata.namespace, obj.metadata.name, undefined, () =>
      this.request<T>('POST', resourcePath(r, obj.metadata.namespace), { body: obj, signal }),
    );
  }

  replace<T extends KubeObject>(r: ResourceType, obj: T, signal?: AbortSignal): Promise<T> {
    return this.tracked(r, obj.metadata.namespace, obj.metadata.name, obj.metadata.resourceVersion, () =>
      this.request<T>('PUT', resourcePath(r, obj.metadata.namespace, obj.metadata.name), { body: obj, signal }),
    );
  }

  /** PUT on the status subresource: replaces status only, guarded by metadata.resourceVersion. */
  replaceStatus<T extends KubeObject>(r: ResourceType, obj: T, signal?: AbortSignal): Promise<T> {
    return this.tracked(r, obj.metadata.namespace, obj.metadata.name, obj.metadata.resourceVersion, () =>
      this.request<T>('PUT', resourcePath(r, obj.metadata.namespace, obj.metadata.name, 'status'), { body: obj, signal }),
    );
  }

  patch<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    o: PatchOptions = {},
  ): Promise<T> {
    const type = o.type ?? 'merge';
    const query = { fieldManager: o.fieldManager, force: o.force };
    const precondition =
      type === 'merge' ? (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion : undefined;
    return this.tracked(r, namespace, name, o.replaces ?? precondition, () =>
      this.request<T>('PATCH', resourcePath(r, namespace, name, o.subresource), {
        body: patch,
        contentType: PATCH_CONTENT_TYPES[type],
        query,
        signal: o.signal,
      }),
    );
  }

  /** Runs a write with the listeners told before it is sent and after it ends (see WriteListener). */
  private tracked<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    replaced: string | undefined,
    send: () => Promise<T>,
  ): Promise<T> {
    const ends = name ? this.writeListeners.map((listener) => listener(r, namespace, name)) : [];
    return send().then(
      (obj) => {
        for (const end of ends) end(obj, replaced);
        return obj;
      },
      (err: unknown) => {
        for (const end of ends) end(undefined);
        throw err;
      },
    );
  }

  delete(r: ResourceType, namespace: string | undefined, name: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.request('DELETE', resourcePath(r, namespace, name), { body, signal });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  /** Sends the request; timeoutMs is what is left of the request's deadline, totalMs that deadline (for the message). */
  private async send(method: string, path: string, o: RequestOptions, agent: http.Agent, totalMs?: number): Promise<http.IncomingMessage> {
    const url = new URL(path, this.url);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    const headers: Record<string, string> = {
      accept: o.accept ?? 'application/json',
      'user-agent': this.opts.userAgent ?? 'tollgate',
      ...(await this.opts.authHeaders()),
      ...(body !== undefined
        ? { 'content-type': o.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(body)) }
        : {}),
    };
    const lib = url.protocol === 'https:' ? https : http;
    const timeoutMs = o.timeoutMs ?? this.opts.defaultTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent, signal: o.signal }, resolve);
      req.on('error', (err) => reject(new KubeConnectionError(method, path, err)));
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${totalMs ?? timeoutMs}ms`)));
      req.end(body);
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** An exception of the line consumer's, carried through the stream's error handling unchanged. */
class ConsumerFailed {
  constructor(readonly err: unknown) {}
}

/**
 * Feeds each line of res to onLine. A failure of the stream is a KubeConnectionError; what onLine throws (say, the
 * informer's "relist needed" on a 410 ERROR event) reaches the caller as it was thrown, and closes the stream.
 */
async function consumeLines(
  res: http.IncomingMessage,
  path: string,
  signal: AbortSignal,
  onChunk: () => void,
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = '';
  res.setEncoding('utf8');
  try {
    for await (const chunk of res) {
      onChunk();
      buffered += chunk as string;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) feed(onLine, line);
      }
    }
  } catch (err) {
    if (err instanceof ConsumerFailed) throw err.err;
    if (signal.aborted) return;
    throw new KubeConnectionError('WATCH', path, err);
  }
}

/** Aborts its signal (the outer one's child) when touch() was not called for idleMs; no deadline when idleMs is unset. */
class IdleTimer {
  private readonly ctl = new AbortController();
  readonly signal: AbortSignal;
  fired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number | undefined,
    outer: AbortSignal,
  ) {
    this.signal = AbortSignal.any([outer, this.ctl.signal]);
  }

  /** Starts the deadline, or moves it on (one timer per watch, refreshed: touch() runs on every chunk). */
  touch(): void {
    if (this.idleMs === undefined || this.idleMs <= 0 || this.fired) return;
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.fired = true;
      this.ctl.abort(new Error(`nothing received for ${this.idleMs}ms`));
    }, this.idleMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

function feed(onLine: (line: string) => void, line: string): void {
  try {
    onLine(line);
  } catch (err) {
    throw new ConsumerFailed(err);
  }
}

function toApiError(code: number, text: string, verb: string, path: string): KubeApiError {
  let reason = http.STATUS_CODES[code] ?? 'Unknown';
  let message = text.slice(0, 2000);
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    reason = status.reason || reason;
    message = status.message || message;
  } catch {
    // not a Status object: keep the raw text
  }
  return new KubeApiError(code, reason, message, verb, path);
}

function verbOf(method: string, path: string, query: RequestOptions['query']): string {
  if (method !== 'GET') return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
  if (query?.watch) return 'watch';
  return isCollectionPath(path) ? 'list' : 'get';
}

/** A collection path ends in the plural: /api/v1/pods, /apis/g/v/namespaces/ns/plural. */
function isCollectionPath(path: string): boolean {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  return rest[0] === 'namespaces' ? rest.length === 3 || rest.length === 1 : rest.length === 1;
}

function resourceOfPath(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const idx = rest[0] === 'namespaces' && rest.length > 2 ? 2 : 0;
  return rest[idx] ?? 'unknown';
}
