import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig, type SampleRange } from '../provider.js';
import { numberOrNoData, ProviderHttp, trimSlashes, type ProviderContext } from './http.js';

interface PromResponse {
  status?: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/**
 * Prometheus HTTP API (/api/v1/query, and /api/v1/query_range for the judge's samples). Secret keys: token (bearer), or username and password (basic).
 * An empty vector or NaN is NoDataError; more than one series is MultipleSeriesError.
 */
export class PrometheusProvider implements MetricProvider {
  readonly type = 'prometheus';
  readonly queryLanguage = 'promql' as const;
  private readonly http: ProviderHttp;
  private readonly auth: Record<string, string> = {};

  constructor(
    private readonly cfg: ProviderConfig,
    ctx: ProviderContext,
  ) {
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
    if (data.resultType === 'scalar') return numberOrNoData(Array.isArray(data.result) ? (data.result as unknown[])[1] : undefined, query);
    if (data.resultType !== 'vector') throw this.http.error(`unsupported result type ${String(data.resultType)}`);
    const series = Array.isArray(data.result) ? (data.result as { value?: [number, string] }[]) : [];
    if (series.length === 0) throw new NoDataError(query);
    if (series.length > 1) throw new MultipleSeriesError(series.length);
    return numberOrNoData(series[0]!.value?.[1], query);
  }

  /** Every finite value of every series of a range query (a matrix); none for an empty result. */
  async sampleRange(query: string, range: SampleRange, signal: AbortSignal): Promise<number[]> {
    const seconds = (ms: number): string => String(ms / 1000);
    const params = { query, start: seconds(range.startMs), end: seconds(range.endMs), step: seconds(range.stepMs) };
    const data = (await this.get(query, signal, 'query_range', params)).data;
    if (!data) throw this.http.error('response has no data');
    if (data.resultType !== 'matrix') throw this.http.error(`unsupported result type ${String(data.resultType)} for a range query`);
    const series = Array.isArray(data.result) ? (data.result as { values?: unknown }[]) : [];
    const out: number[] = [];
    for (const s of series) {
      if (!Array.isArray(s.values)) continue;
      for (const point of s.values as unknown[]) {
        const raw: unknown = Array.isArray(point) ? point[1] : undefined;
        const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
        if (Number.isFinite(v)) out.push(v);
      }
    }
    return out;
  }

  private async get(query: string, signal: AbortSignal, api = 'query', params: Record<string, string> = { query }): Promise<PromResponse> {
    if (!this.cfg.address) throw this.http.error('spec.provider.address is required');
    const res = await this.http.send({
      url: `${trimSlashes(this.cfg.address)}/api/v1/${api}`,
      params,
      headers: { accept: 'application/json', ...this.auth },
      signal,
    });
    if (res.status !== 200) throw this.http.statusError('query failed', res);
    const body = this.http.json(res) as PromResponse | null;
    // Prometheus answers errors with 4xx/5xx; an error status in a 200 is reported the same way.
    if (body?.status !== 'success') throw this.http.statusError('query failed', res);
    return body;
  }
}
