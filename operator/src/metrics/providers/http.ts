import { OutboundError, redirectNote, type OutboundClient, type OutboundRequest } from '../../outbound/client.js';
import { clipRemoteText, Redactor } from '../../outbound/redact.js';
import { DEFAULT_WINDOW_MS, NoDataError, ProviderError, type ProviderConfig, type QueryOptions } from '../provider.js';

/** Every backend call gives up after this long (connection, headers and body). */
export const TIMEOUT_MS = 5000;
const DETAIL_MAX_CHARS = 300;

/** What a provider gets from the operator besides its template's settings. */
export interface ProviderContext {
  /** The operator's one outbound HTTP client (body cap, deadline, no redirects). */
  http: OutboundClient;
  /**
   * Whether this template may use the operator's own cloud credentials (its namespace is allowed by
   * --ambient-credentials-namespaces). Even then they only go to the provider's official endpoint.
   */
  ambientCredentials: boolean;
}

/** A provider's call: the operator's outbound request without what ProviderHttp sets (deadline, TLS, proxy). */
export type HttpRequest = Omit<OutboundRequest, 'timeoutMs' | 'insecureSkipVerify' | 'proxy'>;

export interface HttpResponse {
  status: number;
  /** The body as received; parse it with json(). */
  body: string;
  contentType: string;
}

/**
 * What every metrics backend shares on top of the operator's outbound client: the 5 s deadline,
 * insecureSkipVerify, the template's extra headers, and errors that name the backend and the HTTP status but
 * never a credential: every message is scrubbed of the Secret's values (and of any other credential the backend
 * registers) before it is thrown.
 */
export class ProviderHttp {
  private readonly extraHeaders: Record<string, string>;
  private readonly secrets = new Redactor();

  /** publicKeys: Secret keys whose values are identifiers, not credentials (an org, a project), left in messages. */
  constructor(
    readonly backend: string,
    private readonly cfg: ProviderConfig,
    private readonly client: OutboundClient,
    publicKeys: readonly string[] = [],
  ) {
    this.extraHeaders = {};
    for (const [k, values] of Object.entries(cfg.headers ?? {})) this.extraHeaders[k] = values.join(', ');
    for (const [k, v] of Object.entries(cfg.secret ?? {})) if (!publicKeys.includes(k)) this.addSecret(v);
  }

  /** A value that must never appear in an error message (a token obtained at run time, for instance). */
  addSecret(value: string | undefined): void {
    this.secrets.add(value);
  }

  /** Sends a request; a network failure, timeout or oversized answer is a ProviderError, any HTTP status is returned. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.client.request({
        method: req.method ?? 'GET',
        url: req.url,
        ...(req.params ? { params: req.params } : {}),
        headers: mergeHeaders(this.extraHeaders, req.headers ?? {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: req.signal,
        timeoutMs: TIMEOUT_MS,
        ...(this.cfg.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
      });
    } catch (err) {
      // A timeout, a deadline, an oversized answer or a refusal says what happened; anything else is a network failure.
      if (err instanceof OutboundError && err.kind !== 'network') throw this.error(err.message);
      throw this.error(`unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A ProviderError for this backend, its message scrubbed of credentials. */
  error(message: string): ProviderError {
    return new ProviderError(this.backend, this.redact(message));
  }

  /** A ProviderError for a non-success status: "<what>: HTTP <status>[ (credentials rejected)][: <backend's reason>]". */
  statusError(what: string, res: HttpResponse, detail: string | undefined = errorDetail(res)): ProviderError {
    const auth = res.status === 401 || res.status === 403 ? ' (credentials rejected)' : '';
    const reason = detail ? clipRemoteText(this.redact(detail), DETAIL_MAX_CHARS) : '';
    return this.error(`${what}: HTTP ${res.status}${auth}${redirectNote(res.status)}${reason ? `: ${reason}` : ''}`);
  }

  /** The body parsed as JSON; a ProviderError when it is not JSON. */
  json(res: HttpResponse): unknown {
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw this.error(`response is not JSON (HTTP ${res.status}, content-type ${clipRemoteText(res.contentType, 100) || 'none'})`);
    }
  }

  redact(text: string): string {
    return this.secrets.redact(text);
  }
}

/** Header records merged left to right; a later name replaces an earlier one whatever its case. */
function mergeHeaders(...records: Record<string, string>[]): Record<string, string> {
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
