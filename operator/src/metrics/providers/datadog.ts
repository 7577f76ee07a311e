import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig, type QueryOptions } from '../provider.js';
import { numberOrNoData, ProviderHttp, secretValue, trimSlashes, windowSeconds, type ProviderContext } from './http.js';

const DATADOG_DEFAULT_ADDRESS = 'https://api.datadoghq.com';

interface DatadogQueryResponse {
  status?: string;
  error?: string;
  series?: { pointlist?: (number | null)[][] }[];
}

/**
 * Datadog metrics (GET /api/v1/query). Secret keys datadog_api_key and datadog_application_key, sent as the
 * DD-API-KEY and DD-APPLICATION-KEY headers. The query covers the metric's interval (from = now - interval,
 * to = now, in Unix seconds); the value is the last non-null point of the one series.
 */
export class DatadogProvider implements MetricProvider {
  readonly type = 'datadog';
  readonly queryLanguage = 'datadog' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: ProviderConfig,
    ctx: ProviderContext,
  ) {
    this.base = trimSlashes(cfg.address || DATADOG_DEFAULT_ADDRESS);
    this.http = new ProviderHttp(this.type, cfg, ctx.http);
  }

  async query(query: string, signal: AbortSignal, options?: QueryOptions): Promise<number> {
    const headers = this.authHeaders();
    const to = Math.floor(Date.now() / 1000);
    const from = to - windowSeconds(options);
    const res = await this.http.send({
      url: `${this.base}/api/v1/query`,
      params: { from: String(from), to: String(to), query },
      headers,
      signal,
    });
    if (res.status !== 200) throw this.http.statusError('query failed', res);
    const body = this.http.json(res) as DatadogQueryResponse;
    if (body.status === 'error') throw this.http.error(`query failed: ${body.error || 'unknown error'}`);
    const series = Array.isArray(body.series) ? body.series : [];
    if (series.length === 0) throw new NoDataError(query);
    if (series.length > 1) throw new MultipleSeriesError(series.length);
    const points = Array.isArray(series[0]!.pointlist) ? series[0]!.pointlist : [];
    // The newest bucket may not be filled yet: the last point that has a value counts.
    for (let i = points.length - 1; i >= 0; i--) {
      const value = points[i]?.[1];
      if (value !== null && value !== undefined) return numberOrNoData(value, query);
    }
    throw new NoDataError(query);
  }

  private authHeaders(): Record<string, string> {
    const apiKey = secretValue(this.cfg, 'datadog_api_key');
    const appKey = secretValue(this.cfg, 'datadog_application_key');
    const missing = [apiKey ? '' : 'datadog_api_key', appKey ? '' : 'datadog_application_key'].filter(Boolean);
    if (missing.length) throw this.http.error(`the provider's Secret (spec.provider.secretRef) needs ${missing.join(' and ')}`);
    return { 'DD-API-KEY': apiKey!, 'DD-APPLICATION-KEY': appKey!, accept: 'application/json' };
  }
}
