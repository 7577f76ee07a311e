import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig, type QueryOptions } from '../provider.js';
import { numberOrNoData, ProviderHttp, secretValue, trimSlashes, windowSeconds, type HttpResponse, type ProviderContext } from './http.js';

interface GraphiteSeries {
  target?: string;
  datapoints?: [unknown, unknown][];
}

/**
 * Graphite's render API (GET <address>/render?target=...&from=-<interval>&format=json). The query is either a
 * target expression, or, as for Flagger, render parameters starting with "target=" ("target=...&from=-5min");
 * whitespace runs are folded to one space. `from` defaults to the metric's interval, format is always json.
 * Optional Secret keys username and password (basic auth). The value is the last non-null datapoint of the
 * one series.
 */
export class GraphiteProvider implements MetricProvider {
  readonly type = 'graphite';
  readonly queryLanguage = 'graphite' as const;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: ProviderConfig,
    ctx: ProviderContext,
  ) {
    this.http = new ProviderHttp(this.type, cfg, ctx.http, ['username']);
  }

  async query(query: string, signal: AbortSignal, options?: QueryOptions): Promise<number> {
    const res = await this.render(renderParams(query, windowSeconds(options)), signal);
    if (res.status !== 200) throw this.http.statusError('render failed', res);
    const body = this.http.json(res);
    if (!Array.isArray(body)) throw this.http.error('render failed: the answer is not a JSON list of series');
    const series = body as GraphiteSeries[];
    if (series.length === 0) throw new NoDataError(query);
    if (series.length > 1) throw new MultipleSeriesError(series.length);
    const points = Array.isArray(series[0]?.datapoints) ? series[0]!.datapoints : [];
    for (let i = points.length - 1; i >= 0; i--) {
      const value = Array.isArray(points[i]) ? points[i]![0] : undefined;
      if (value !== null && value !== undefined) return numberOrNoData(value, query);
    }
    throw new NoDataError(query);
  }

  private async render(params: URLSearchParams, signal: AbortSignal): Promise<HttpResponse> {
    if (!this.cfg.address) throw this.http.error('spec.provider.address is required (the Graphite web URL)');
    const username = secretValue(this.cfg, 'username');
    const password = secretValue(this.cfg, 'password');
    if (!!username !== !!password) throw this.http.error("the provider's Secret needs both username and password, or neither");
    const headers: Record<string, string> = { accept: 'application/json' };
    if (username && password) {
      const basic = Buffer.from(`${username}:${password}`).toString('base64');
      this.http.addSecret(basic);
      headers.authorization = `Basic ${basic}`;
    }
    return this.http.send({ url: `${trimSlashes(this.cfg.address)}/render?${params.toString()}`, headers, signal });
  }
}

/** The render parameters of a query: a target, or Flagger's "target=...&from=..." form. */
export function renderParams(query: string, windowS: number): URLSearchParams {
  const text = query.trim().replace(/\s+/g, ' ');
  const params = /^target=/.test(text)
    ? new URLSearchParams([...new URLSearchParams(text)].map(([k, v]): [string, string] => [k.trim(), v.trim()]))
    : new URLSearchParams({ target: text });
  if (!params.has('from')) params.set('from', `-${windowS}s`);
  params.set('format', 'json');
  return params;
}
