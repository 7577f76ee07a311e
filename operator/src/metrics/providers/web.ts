import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig } from '../provider.js';
import { numberOrNoData, ProviderHttp, trimSlashes, type ProviderContext } from './http.js';
import { JsonPathError, parseJsonPath, selectJsonPath, type PathSegment } from './jsonpath.js';

/** A `web` query, written as a JSON object in the MetricTemplate's spec.query. */
export interface WebQuery {
  /** Path and query string appended to spec.provider.address; must start with "/". */
  path: string;
  /** Where the number is in the JSON answer; exactly one value must match. */
  jsonPath: string;
  /** GET, or POST; POST when a body is given and no method is. */
  method: 'GET' | 'POST';
  /** Sent as JSON (a string is sent as it is), with content-type application/json unless the headers set one. */
  body?: unknown;
}

/** A header name (RFC 9110 token); Secret keys that are not are refused rather than dropped. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A generic JSON-over-HTTP metrics source. spec.query is a JSON object
 * {"path": "/api/v1/slo?service={{ target }}", "jsonPath": "$.data.value", "method": "GET", "body": {...}};
 * the request goes to spec.provider.address + path with spec.provider.headers and every key of the Secret as
 * a header (like webhooks' secretRef), and the value is the one number the JSONPath selects (a number or a
 * numeric string; null is no data).
 */
export class WebProvider implements MetricProvider {
  readonly type = 'web';
  readonly queryLanguage = 'web' as const;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: ProviderConfig,
    ctx: ProviderContext,
  ) {
    this.http = new ProviderHttp(this.type, cfg, ctx.http);
  }

  async query(query: string, signal: AbortSignal): Promise<number> {
    const q = this.parse(query);
    let segments: PathSegment[];
    try {
      segments = parseJsonPath(q.jsonPath);
    } catch (err) {
      if (err instanceof JsonPathError) throw this.http.error(err.message);
      throw err;
    }
    const body = q.body === undefined ? undefined : typeof q.body === 'string' ? q.body : JSON.stringify(q.body);
    const res = await this.http.send({
      method: q.method,
      url: `${this.base()}${q.path}`,
      headers: {
        accept: 'application/json',
        ...(body !== undefined && !this.hasHeader('content-type') ? { 'content-type': 'application/json' } : {}),
        ...this.secretHeaders(),
      },
      ...(body !== undefined ? { body } : {}),
      signal,
    });
    if (res.status < 200 || res.status > 299) throw this.http.statusError(`${q.method} ${pathOnly(q.path)} failed`, res);
    const matches = selectJsonPath(this.http.json(res), segments);
    if (matches.length === 0) throw new NoDataError(query);
    if (matches.length > 1) throw new MultipleSeriesError(matches.length);
    const value = matches[0];
    if (value !== null && typeof value !== 'number' && typeof value !== 'string') {
      throw this.http.error(`${q.jsonPath} selects ${Array.isArray(value) ? 'a list' : typeof value}, not a number`);
    }
    return numberOrNoData(value, query);
  }

  private parse(query: string): WebQuery {
    let raw: unknown;
    try {
      raw = JSON.parse(query);
    } catch {
      throw this.http.error('the query must be a JSON object such as {"path": "/api/value", "jsonPath": "$.value"}');
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw this.http.error('the query must be a JSON object');
    const o = raw as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['path', 'jsonPath', 'method', 'body'].includes(k));
    if (unknown.length) throw this.http.error(`unknown query field(s) ${unknown.join(', ')} (known: path, jsonPath, method, body)`);
    if (typeof o.path !== 'string' || !o.path.startsWith('/')) throw this.http.error('query.path must be a string starting with "/"');
    if (typeof o.jsonPath !== 'string' || !o.jsonPath) throw this.http.error('query.jsonPath must be a JSONPath such as "$.data.value"');
    const method = o.method === undefined ? (o.body === undefined ? 'GET' : 'POST') : String(o.method).toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw this.http.error(`query.method must be GET or POST, not ${String(o.method)}`);
    if (method === 'GET' && o.body !== undefined) throw this.http.error('query.body needs method POST');
    return { path: o.path, jsonPath: o.jsonPath, method, ...(o.body !== undefined ? { body: o.body } : {}) };
  }

  private base(): string {
    if (!this.cfg.address) throw this.http.error('spec.provider.address is required');
    return trimSlashes(this.cfg.address);
  }

  private secretHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.cfg.secret ?? {})) {
      if (!TOKEN.test(name)) throw this.http.error(`Secret key "${name}" is not a valid HTTP header name`);
      headers[name] = value.trim();
    }
    return headers;
  }

  private hasHeader(name: string): boolean {
    return Object.keys(this.cfg.headers ?? {}).some((k) => k.toLowerCase() === name);
  }
}

/** The path without its query string, for messages (a query string may carry tokens). */
function pathOnly(path: string): string {
  const i = path.indexOf('?');
  return i < 0 ? path : path.slice(0, i);
}
