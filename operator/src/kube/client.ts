import http from 'node:http';
import https from 'node:https';
import { KubeApiError, KubeConnectionError } from './errors.js';
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

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const started = process.hrtime.bigint();
    const verb = verbOf(method, path, o.query);
    let code = 0;
    try {
      const res = await this.send(method, path, o, this.agent);
      code = res.statusCode ?? 0;
      const text = await readBody(res);
      if (code < 200 || code >= 300) throw toApiError(code, text, method, path);
      return (text ? JSON.parse(text) : {}) as T;
    } finally {
      this.opts.observer?.(verb, resourceOfPath(path), code, Number(process.hrtime.bigint() - started) / 1e9);
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
    accept?: string,
  ): Promise<void> {
    const res = await this.send(
      'GET',
      path,
      { query: { ...query, watch: true }, signal, timeoutMs: 0, ...(accept ? { accept } : {}) },
      this.watchAgent,
    );
    const code = res.statusCode ?? 0;
    this.opts.observer?.('watch', resourceOfPath(path), code, 0);
    if (code !== 200) throw toApiError(code, await readBody(res), 'WATCH', path);
    await consumeLines(res, path, signal, (line) => onEvent(JSON.parse(line) as WatchEvent<T>));
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

  private async send(method: string, path: string, o: RequestOptions, agent: http.Agent): Promise<http.IncomingMessage> {
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
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
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
async function consumeLines(res: http.IncomingMessage, path: string, signal: AbortSignal, onLine: (line: string) => void): Promise<void> {
  let buffered = '';
  res.setEncoding('utf8');
  try {
    for await (const chunk of res) {
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
