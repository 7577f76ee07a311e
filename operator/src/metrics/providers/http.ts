import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { DEFAULT_WINDOW_MS, NoDataError, ProviderError, type ProviderConfig, type QueryOptions } from '../provider.js';

/** Every backend call gives up after this long, like Prometheus queries. */
export const TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const DETAIL_MAX_CHARS = 300;
/** Secret values shorter than this are not redacted from messages (they would mangle ordinary words). */
const MIN_REDACTED_LENGTH = 4;

export interface HttpRequest {
  method?: 'GET' | 'POST';
  url: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** The body as received; parse it with json(). */
  body: string;
  contentType: string;
}

/**
 * The HTTP plumbing every metrics backend shares: the 5 s timeout, insecureSkipVerify, the template's extra
 * headers, and errors that name the backend and the HTTP status but never a credential: every message is
 * scrubbed of the Secret's values (and of any other credential the backend registers) before it is thrown.
 */
export class ProviderHttp {
  private readonly client: AxiosInstance;
  private readonly extraHeaders: Record<string, string>;
  private secrets: string[] = [];

  /** publicKeys: Secret keys whose values are identifiers, not credentials (an org, a project), left in messages. */
  constructor(readonly backend: string, cfg: ProviderConfig, publicKeys: readonly string[] = []) {
    this.extraHeaders = {};
    for (const [k, values] of Object.entries(cfg.headers ?? {})) this.extraHeaders[k] = values.join(', ');
    for (const [k, v] of Object.entries(cfg.secret ?? {})) if (!publicKeys.includes(k)) this.addSecret(v);
    this.client = axios.create({
      timeout: TIMEOUT_MS,
      maxContentLength: MAX_RESPONSE_BYTES,
      maxBodyLength: MAX_RESPONSE_BYTES,
      maxRedirects: 0,
      responseType: 'text',
      // Bodies go out and come back byte for byte (a signed body must not be re-serialized).
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      ...(cfg.insecureSkipVerify ? { httpsAgent: new https.Agent({ rejectUnauthorized: false }) } : {}),
    });
  }

  /** A value that must never appear in an error message (a token obtained at run time, for instance). */
  addSecret(value: string | undefined): void {
    if (!value) return;
    for (const v of new Set([value, value.trim()])) {
      if (v.length >= MIN_REDACTED_LENGTH && !this.secrets.includes(v)) this.secrets.push(v);
    }
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Sends a request; a network failure or timeout is a ProviderError, any HTTP status is returned. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let res;
    try {
      res = await this.client.request<string>({
        method: req.method ?? 'GET',
        url: req.url,
        ...(req.params ? { params: req.params } : {}),
        headers: mergeHeaders(this.extraHeaders, req.headers ?? {}),
        ...(req.body !== undefined ? { data: req.body } : {}),
        signal: req.signal,
      });
    } catch (err) {
      throw this.error(`unreachable: ${networkMessage(err)}`);
    }
    const contentType = String(res.headers['content-type'] ?? '');
    return { status: res.status, body: typeof res.data === 'string' ? res.data : String(res.data ?? ''), contentType };
  }

  /** A ProviderError for this backend, its message scrubbed of credentials. */
  error(message: string): ProviderError {
    return new ProviderError(this.backend, this.redact(message));
  }

  /** A ProviderError for a non-success status: "<what>: HTTP <status>[ (credentials rejected)][: <backend's reason>]". */
  statusError(what: string, res: HttpResponse, detail: string | undefined = errorDetail(res)): ProviderError {
    const auth = res.status === 401 || res.status === 403 ? ' (credentials rejected)' : '';
    return this.error(`${what}: HTTP ${res.status}${auth}${detail ? `: ${truncate(detail)}` : ''}`);
  }

  /** The body parsed as JSON; a ProviderError when it is not JSON. */
  json(res: HttpResponse): unknown {
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw this.error(`response is not JSON (HTTP ${res.status}, content-type ${res.contentType || 'none'})`);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[redacted]');
    return out;
  }
}

/** Header records merged left to right; a later name replaces an earlier one whatever its case. */
export function mergeHeaders(...records: Record<string, string>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) {
      for (const existing of Object.keys(out)) if (existing.toLowerCase() === name.toLowerCase()) delete out[existing];
      out[name] = value;
    }
  }
  return out;
}

/** The reason a backend gives in an error body, from the usual JSON shapes or a short text body. */
export function errorDetail(res: HttpResponse): string | undefined {
  const text = res.body.trim();
  if (!text) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return /html/i.test(res.contentType) || text.startsWith('<') ? undefined : text;
  }
  return reasonIn(body);
}

function reasonIn(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (Array.isArray(body)) {
    const parts = body.map(reasonIn).filter((s): s is string => !!s);
    return parts.length ? parts.join('; ') : undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  for (const key of ['error', 'errors', 'message', 'Message', 'error_description']) {
    const r = reasonIn(o[key]);
    if (r) return r;
  }
  return undefined;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > DETAIL_MAX_CHARS ? `${oneLine.slice(0, DETAIL_MAX_CHARS)}…` : oneLine;
}

function networkMessage(err: unknown): string {
  if (axios.isCancel(err)) return 'request aborted';
  if (axios.isAxiosError(err) && (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') && /timeout/i.test(err.message)) {
    return `no answer within ${TIMEOUT_MS / 1000}s`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The window of a query in whole seconds (at least 1). */
export function windowSeconds(options: QueryOptions | undefined): number {
  const ms = options?.windowMs;
  return Math.max(1, Math.round((ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_WINDOW_MS) / 1000));
}

/** A number from a backend's value (a number or a numeric string); null, absent, NaN or ±Inf strings are no data. */
export function numberOrNoData(value: unknown, query: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (Number.isNaN(n)) throw new NoDataError(query);
  return n;
}

/** A base URL without trailing slashes. */
export function trimSlashes(address: string): string {
  return address.replace(/\/+$/, '');
}

/** A secret key's value, trimmed (Secrets made from files often end in a newline); undefined when empty. */
export function secretValue(cfg: ProviderConfig, key: string): string | undefined {
  const v = cfg.secret?.[key]?.trim();
  return v ? v : undefined;
}
