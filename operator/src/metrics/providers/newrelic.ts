import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig, type QueryOptions } from '../provider.js';
import { ProviderHttp, secretValue, trimSlashes, windowSeconds, type ProviderContext } from './http.js';

export const NEWRELIC_DEFAULT_ADDRESS = 'https://insights-api.newrelic.com';

type NrqlResult = Record<string, unknown>;

interface InsightsResponse {
  error?: string;
  results?: NrqlResult[];
  facets?: { name?: unknown; results?: NrqlResult[] }[];
}

/**
 * New Relic NRQL through the Insights query API (GET <address>/v1/accounts/<id>/query?nrql=..., header
 * X-Query-Key). Secret keys newrelic_account_id and newrelic_query_key; the address defaults to the US
 * endpoint (set https://insights-api.eu.newrelic.com for EU accounts). Like Flagger, a query without a SINCE
 * clause gets "SINCE <interval in seconds> seconds ago". The value is the first numeric field of the first
 * result (a nested one such as percentiles' {"95": x} counts); a FACET query must return one facet.
 */
export class NewRelicProvider implements MetricProvider {
  readonly type = 'newrelic';
  readonly queryLanguage = 'nrql' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: ProviderConfig,
    ctx: ProviderContext,
  ) {
    this.base = trimSlashes(cfg.address || NEWRELIC_DEFAULT_ADDRESS);
    this.http = new ProviderHttp(this.type, cfg, ctx.http, ['newrelic_account_id']);
  }

  async query(query: string, signal: AbortSignal, options?: QueryOptions): Promise<number> {
    const body = await this.run(withSince(query, windowSeconds(options)), signal);
    let results = Array.isArray(body.results) ? body.results : [];
    if (Array.isArray(body.facets)) {
      if (body.facets.length === 0) throw new NoDataError(query);
      if (body.facets.length > 1) throw new MultipleSeriesError(body.facets.length);
      results = Array.isArray(body.facets[0]!.results) ? body.facets[0]!.results : [];
    }
    const first = results[0];
    if (!first || typeof first !== 'object') throw new NoDataError(query);
    const value = firstNumber(first);
    if (value === null || value === undefined || Number.isNaN(value)) throw new NoDataError(query);
    return value;
  }

  private async run(nrql: string, signal: AbortSignal): Promise<InsightsResponse> {
    const account = secretValue(this.cfg, 'newrelic_account_id');
    const key = secretValue(this.cfg, 'newrelic_query_key');
    const missing = [account ? '' : 'newrelic_account_id', key ? '' : 'newrelic_query_key'].filter(Boolean);
    if (missing.length) throw this.http.error(`the provider's Secret (spec.provider.secretRef) needs ${missing.join(' and ')}`);
    const res = await this.http.send({
      url: `${this.base}/v1/accounts/${encodeURIComponent(account!)}/query`,
      params: { nrql },
      headers: { 'X-Query-Key': key!, accept: 'application/json' },
      signal,
    });
    if (res.status !== 200) throw this.http.statusError('query failed', res);
    const body = this.http.json(res);
    if (!body || typeof body !== 'object') throw this.http.error('query failed: the response is not an object');
    const r = body as InsightsResponse;
    if (typeof r.error === 'string' && r.error) throw this.http.error(`query failed: ${r.error}`);
    return r;
  }
}

/** The NRQL with "SINCE <n> seconds ago" appended unless it already says SINCE. */
export function withSince(nrql: string, seconds: number): string {
  return /\bSINCE\b/i.test(nrql) ? nrql : `${nrql.trim()} SINCE ${seconds} seconds ago`;
}

/**
 * The first numeric field of a result, depth first: a number, or null for an aggregate over nothing
 * (New Relic answers {"average": null}); undefined when there is none.
 */
function firstNumber(value: Record<string, unknown>): number | null | undefined {
  for (const v of Object.values(value)) {
    if (typeof v === 'number' || v === null) return v;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const nested = firstNumber(v as Record<string, unknown>);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}
