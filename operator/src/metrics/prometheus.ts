import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { MultipleSeriesError, NoDataError, ProviderError, type MetricProvider, type ProviderConfig } from './provider.js';

interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

const TIMEOUT_MS = 5000;

/**
 * Prometheus HTTP API (/api/v1/query). Secret keys: token (bearer), or username and password (basic).
 * An empty vector or NaN is NoDataError; more than one series is MultipleSeriesError.
 */
export class PrometheusProvider implements MetricProvider {
  readonly type = 'prometheus';
  readonly queryLanguage = 'promql' as const;
  private readonly http: AxiosInstance;

  constructor(cfg: ProviderConfig) {
    const headers: Record<string, string> = {};
    for (const [k, values] of Object.entries(cfg.headers ?? {})) headers[k] = values.join(', ');
    const s = cfg.secret ?? {};
    if (s.token) headers.authorization = `Bearer ${s.token}`;
    this.http = axios.create({
      baseURL: cfg.address.replace(/\/+$/, ''),
      timeout: TIMEOUT_MS,
      headers,
      ...(s.username && s.password ? { auth: { username: s.username, password: s.password } } : {}),
      ...(cfg.insecureSkipVerify ? { httpsAgent: new https.Agent({ rejectUnauthorized: false }) } : {}),
      validateStatus: () => true,
    });
  }

  async query(query: string, signal: AbortSignal): Promise<number> {
    const body = await this.get(query, signal);
    const data = body.data;
    if (!data) throw new ProviderError(this.type, 'response has no data');
    if (data.resultType === 'scalar') return finite(Number((data.result as [number, string])[1]), query);
    if (data.resultType !== 'vector') throw new ProviderError(this.type, `unsupported result type ${data.resultType}`);
    const series = data.result as { value: [number, string] }[];
    if (series.length === 0) throw new NoDataError(query);
    if (series.length > 1) throw new MultipleSeriesError(series.length);
    return finite(Number(series[0]!.value[1]), query);
  }

  async checkOnline(signal: AbortSignal): Promise<void> {
    const value = await this.query('vector(1)', signal);
    if (value !== 1) throw new ProviderError(this.type, 'vector(1) did not answer 1');
  }

  private async get(query: string, signal: AbortSignal): Promise<PromResponse> {
    let res;
    try {
      res = await this.http.get<PromResponse>('/api/v1/query', { params: { query }, signal });
    } catch (err) {
      throw new ProviderError(this.type, `unreachable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (res.status !== 200 || res.data?.status !== 'success') {
      const detail = typeof res.data === 'object' && res.data?.error ? res.data.error : `HTTP ${res.status}`;
      throw new ProviderError(this.type, `query failed: ${detail}`);
    }
    return res.data;
  }
}

function finite(value: number, query: string): number {
  if (Number.isNaN(value)) throw new NoDataError(query);
  return value;
}
