import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig } from '../provider.js';
import { GoogleTokenSource } from './google-token.js';
import { numberOrNoData, ProviderHttp, secretValue, trimSlashes, type HttpResponse, type ProviderContext } from './http.js';

export const STACKDRIVER_DEFAULT_ADDRESS = 'https://monitoring.googleapis.com';

/** Where the operator's own Google credentials may go; tests put a local stand-in here. */
export interface StackdriverEndpoints {
  /** The official Cloud Monitoring API: the only address the metadata server's token is sent to. */
  officialAddress?: string;
  /** Host of the metadata server; GCE_METADATA_HOST, else metadata.google.internal. */
  metadataHost?: string;
}

interface TypedValue {
  doubleValue?: number | string;
  int64Value?: string | number;
  boolValue?: boolean;
  distributionValue?: unknown;
  stringValue?: string;
}

interface QueryTimeSeriesResponse {
  timeSeriesData?: { pointData?: { values?: TypedValue[] }[] }[];
}

/**
 * Google Cloud Monitoring (Stackdriver), MQL queries as Flagger sends them: POST
 * <address>/v3/projects/<project>/timeSeries:query with {"query": "..."}. Secret keys: project, and
 * serviceAccountKey (the JSON key of a service account with roles/monitoring.viewer); without a key, a token
 * from the GKE/GCE metadata server (workload identity), only when the address is the official API and the
 * template's namespace may use the operator's credentials (ProviderContext.ambientCredentials). The value is the first (newest) point of the one
 * series: its doubleValue or int64Value.
 */
export class StackdriverProvider implements MetricProvider {
  readonly type = 'stackdriver';
  readonly queryLanguage = 'mql' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;
  private tokens: GoogleTokenSource | undefined;

  constructor(
    private readonly cfg: ProviderConfig,
    private readonly ctx: ProviderContext,
    private readonly endpoints: StackdriverEndpoints = {},
  ) {
    this.base = trimSlashes(cfg.address || STACKDRIVER_DEFAULT_ADDRESS);
    this.http = new ProviderHttp(this.type, cfg, ctx.http, ['project']);
  }

  async query(query: string, signal: AbortSignal): Promise<number> {
    const res = await this.run(query, signal);
    if (res.status !== 200) throw this.http.statusError('query failed', res);
    const body = this.http.json(res) as QueryTimeSeriesResponse;
    const series = Array.isArray(body.timeSeriesData) ? body.timeSeriesData : [];
    if (series.length === 0) throw new NoDataError(query);
    if (series.length > 1) throw new MultipleSeriesError(series.length);
    const value = series[0]!.pointData?.[0]?.values?.[0];
    if (!value) throw new NoDataError(query);
    if (value.doubleValue !== undefined) return numberOrNoData(value.doubleValue, query);
    if (value.int64Value !== undefined) return numberOrNoData(value.int64Value, query);
    const kind = Object.keys(value)[0] ?? 'empty';
    throw this.http.error(`the query's value is a ${kind}; make it a double or an int64 (for example with a value [] or a reducer)`);
  }

  private async run(query: string, signal: AbortSignal): Promise<HttpResponse> {
    const project = secretValue(this.cfg, 'project');
    if (!project) throw this.http.error("the provider's Secret (spec.provider.secretRef) needs project");
    this.tokens ??= this.tokenSource();
    const token = await this.tokens.token(signal);
    const res = await this.http.send({
      method: 'POST',
      url: `${this.base}/v3/projects/${encodeURIComponent(project)}/timeSeries:query`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query }),
      signal,
    });
    if (res.status === 401) this.tokens.reset();
    return res;
  }

  /** The Secret's key, else the metadata server: only for the official API, in a namespace allowed to. */
  private tokenSource(): GoogleTokenSource {
    const key = this.cfg.secret?.serviceAccountKey?.trim() || undefined;
    if (key === undefined) {
      const official = trimSlashes(this.endpoints.officialAddress ?? STACKDRIVER_DEFAULT_ADDRESS);
      if (this.base !== official) {
        throw this.http.error(
          `no serviceAccountKey in the Secret: the operator's own credentials (metadata server) are only sent to ${official}, not to spec.provider.address`,
        );
      }
      if (!this.ctx.ambientCredentials) {
        throw this.http.error(
          "no serviceAccountKey in the Secret, and templates in this namespace may not use the operator's own credentials (--ambient-credentials-namespaces)",
        );
      }
    }
    return new GoogleTokenSource(this.http, key, this.endpoints.metadataHost);
  }
}
