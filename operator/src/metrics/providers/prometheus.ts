import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig } from '../provider.js';
import { redirectNote } from '../../outbound/client.js';
import { clipRemoteText } from '../../outbound/redact.js';
import { ProviderHttp, trimSlashes, type ProviderContext } from './http.js';

interface PromResponse {
  status?: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/**
 * Prometheus HTTP API (/api/v1/query). Secret keys: token (bearer), or username and password (basic).
 * An empty vector or NaN is NoDataError; more than one series is MultipleSeriesError.
 */
export class PrometheusProvider implements MetricProvider {
  readonly type = 'prometheus';
  readonly queryLanguage = 'promql' as const;
  private readonly http: ProviderHttp;
  private readonly auth: Record<string, string> = {};

  constructor(private readonly cfg: ProviderConfig, ctx: ProviderContext) {
    this.http = new ProviderHttp(this.type, cfg, ctx.http);
    const token = cfg.secret?.token;
    const [username, password] = [cfg.secret?.username, cfg.secret?.password];
    if (token) this.auth.authorization = `Bearer ${token}`;
    else if (username && password) {
      this.auth.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      this.http.addSecret(this.auth.authorization);
    }
  }

  async query(query: string, signal: AbortSignal): Promise<number> {
    const body = await this.get(query, signal);
    const data = body.data;
    if (!data) throw this.http.error('response has no data');
    if (data.resultType === 'scalar') return finite(Number((data.result as [number, string])[1]), query);
    if (data.resultType !== 'vector') throw this.http.error(`unsupported result type ${String(data.resultType)}`);
    const series = Array.isArray(data.result) ? (data.result as { value?: [number, string] }[]) : [];
    if (series.length === 0) throw new NoDataError(query);
    if (series.length > 1) throw new MultipleSeriesError(series.length);
    return finite(Number(series[0]!.value?.[1]), query);
  }

  async checkOnline(signal: AbortSignal): Promise<void> {
    const value = await this.query('vector(1)', signal);
    if (value !== 1) throw this.http.error('vector(1) did not answer 1');
  }

  private async get(query: string, signal: AbortSignal): Promise<PromResponse> {
    if (!this.cfg.address) throw this.http.error('spec.provider.address is required');
    const res = await this.http.send({
      url: `${trimSlashes(this.cfg.address)}/api/v1/query`, params: { query }, headers: { accept: 'application/json', ...this.auth }, signal,
    });
    let body: PromResponse | undefined;
    try {
      body = JSON.parse(res.body) as PromResponse;
    } catch {
      body = undefined;
    }
    if (res.status !== 200 || body?.status !== 'success') {
      const reason = body && typeof body === 'object' && typeof body.error === 'string' && body.error ? body.error : '';
      if (reason) throw this.http.error(`query failed: ${clipRemoteText(this.http.redact(reason), 300)}`);
      throw this.http.error(`query failed: HTTP ${res.status}${redirectNote(res.status)}`);
    }
    return body;
  }
}

function finite(value: number, query: string): number {
  if (Number.isNaN(value)) throw new NoDataError(query);
  return value;
}
