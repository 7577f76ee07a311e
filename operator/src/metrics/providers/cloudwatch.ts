import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig, type QueryOptions } from '../provider.js';
import { signV4, type AwsCredentials } from './aws-sigv4.js';
import {
  errorDetail,
  numberOrNoData,
  ProviderHttp,
  secretValue,
  trimSlashes,
  windowSeconds,
  type HttpResponse,
  type ProviderContext,
} from './http.js';

const TARGET = 'GraniteServiceVersion20100801.GetMetricData';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** The region signed for when spec.provider.address names an endpoint and no region is set. */
const FALLBACK_REGION = 'us-east-1';
/** An AWS region name (us-east-1, eu-central-2, us-gov-west-1): nothing that could change the endpoint's host. */
const REGION = /^[a-z]{2}(-[a-z0-9]+)+$/;

/** The official CloudWatch endpoint of a region: the only place the operator's own AWS credentials are sent to. */
const cloudWatchEndpoint = (region: string): string => `https://monitoring.${region}.amazonaws.com/`;

export interface CloudWatchOptions {
  /** The operator's environment (AWS_ACCESS_KEY_ID...); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The official endpoint of a region; tests put a local stand-in here. */
  officialEndpoint?: (region: string) => string;
}

interface MetricDataResult {
  Id?: string;
  StatusCode?: string;
  Values?: (number | null)[];
  Messages?: { Code?: string; Value?: string }[];
}

/**
 * Amazon CloudWatch GetMetricData over the AWS JSON 1.0 protocol, signed with Signature Version 4.
 * The query is a JSON array of MetricDataQuery objects, as for Flagger (the SDK's field names: Id,
 * MetricStat, Expression, ReturnData, ...). The endpoint is https://monitoring.<spec.provider.region>.amazonaws.com
 * unless spec.provider.address names one. Credentials: the Secret's aws_access_key_id, aws_secret_access_key
 * and optional aws_session_token; without them the operator's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, only towards the region's official endpoint and when the template's namespace may use the
 * operator's credentials (ProviderContext.ambientCredentials). StartTime..EndTime is the metric's interval up to now; results come newest first, and
 * the value is the first value of the one result returned (queries that are only inputs of an expression
 * must set "ReturnData": false).
 */
export class CloudWatchProvider implements MetricProvider {
  readonly type = 'cloudwatch';
  readonly queryLanguage = 'json' as const;
  private readonly http: ProviderHttp;
  private readonly endpoint: string | undefined;
  private readonly region: string | undefined;
  /** Whether region is an AWS region name (checked once, refused at the first call). */
  private readonly regionValid: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly official: (region: string) => string;

  constructor(
    private readonly cfg: ProviderConfig,
    private readonly ctx: ProviderContext,
    opts: CloudWatchOptions = {},
  ) {
    this.http = new ProviderHttp(this.type, cfg, ctx.http, ['aws_access_key_id']);
    this.env = opts.env ?? process.env;
    this.official = opts.officialEndpoint ?? cloudWatchEndpoint;
    this.region = cfg.region?.trim() || (cfg.address ? FALLBACK_REGION : undefined);
    this.regionValid = this.region !== undefined && REGION.test(this.region);
    this.endpoint = cfg.address ? `${trimSlashes(cfg.address)}/` : this.regionValid ? this.official(this.region!) : undefined;
  }

  async query(query: string, signal: AbortSignal, options?: QueryOptions): Promise<number> {
    let queries: unknown;
    try {
      queries = JSON.parse(query);
    } catch (err) {
      throw this.http.error(`the query is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!Array.isArray(queries) || queries.length === 0 || !queries.every((q) => q && typeof q === 'object' && !Array.isArray(q))) {
      throw this.http.error('the query must be a non-empty JSON array of MetricDataQuery objects');
    }
    const end = Math.floor(Date.now() / 1000);
    const res = await this.getMetricData(
      { MetricDataQueries: queries, StartTime: end - windowSeconds(options), EndTime: end, ScanBy: 'TimestampDescending' },
      signal,
    );
    if (res.status !== 200) throw this.http.statusError('GetMetricData failed', res, awsErrorDetail(res));
    const body = this.http.json(res) as { MetricDataResults?: MetricDataResult[] };
    const results = Array.isArray(body.MetricDataResults) ? body.MetricDataResults : [];
    if (results.length === 0) throw new NoDataError(query);
    if (results.length > 1) throw new MultipleSeriesError(results.length);
    const r = results[0]!;
    if (r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError') {
      const why = (r.Messages ?? [])
        .map((m) => m.Value ?? m.Code)
        .filter(Boolean)
        .join('; ');
      throw this.http.error(`GetMetricData result ${r.Id ?? ''} is ${r.StatusCode}${why ? `: ${why}` : ''}`);
    }
    const values = Array.isArray(r.Values) ? r.Values : [];
    if (values.length === 0) throw new NoDataError(query);
    return numberOrNoData(values[0], query);
  }

  private async getMetricData(input: Record<string, unknown>, signal: AbortSignal): Promise<HttpResponse> {
    if (this.region !== undefined && !this.regionValid)
      throw this.http.error(`spec.provider.region ${JSON.stringify(this.region.slice(0, 40))} is not an AWS region name`);
    if (!this.endpoint || !this.region) throw this.http.error('spec.provider.region is required (or an endpoint in spec.provider.address)');
    const credentials = this.credentials(this.endpoint, this.region);
    const body = JSON.stringify(input);
    const signed = signV4({
      method: 'POST',
      url: this.endpoint,
      body,
      region: this.region,
      service: 'monitoring',
      credentials,
      date: new Date(),
      headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': TARGET },
    });
    this.http.addSecret(signed.headers.authorization);
    return this.http.send({ method: 'POST', url: this.endpoint, headers: { ...signed.headers, accept: 'application/json' }, body, signal });
  }

  private credentials(endpoint: string, region: string): AwsCredentials {
    const fromSecret =
      secretValue(this.cfg, 'aws_access_key_id') !== undefined || secretValue(this.cfg, 'aws_secret_access_key') !== undefined;
    if (!fromSecret) this.mayUseOwnCredentials(endpoint, region);
    const accessKeyId = fromSecret ? secretValue(this.cfg, 'aws_access_key_id') : this.env.AWS_ACCESS_KEY_ID?.trim();
    const secretAccessKey = fromSecret ? secretValue(this.cfg, 'aws_secret_access_key') : this.env.AWS_SECRET_ACCESS_KEY?.trim();
    const sessionToken = fromSecret ? secretValue(this.cfg, 'aws_session_token') : this.env.AWS_SESSION_TOKEN?.trim();
    if (!accessKeyId || !secretAccessKey) {
      throw this.http.error(
        fromSecret
          ? "the provider's Secret needs both aws_access_key_id and aws_secret_access_key"
          : "no AWS credentials: set aws_access_key_id and aws_secret_access_key in the provider's Secret, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the operator's environment",
      );
    }
    this.http.addSecret(secretAccessKey);
    this.http.addSecret(sessionToken);
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }

  /** The operator's own credentials: only to the region's official endpoint, in a namespace allowed to. */
  private mayUseOwnCredentials(endpoint: string, region: string): void {
    if (endpoint !== this.official(region)) {
      throw this.http.error(
        `no aws_access_key_id and aws_secret_access_key in the provider's Secret: the operator's own AWS credentials are only sent to ${this.official(region)}, not to spec.provider.address`,
      );
    }
    if (!this.ctx.ambientCredentials) {
      throw this.http.error(
        "no aws_access_key_id and aws_secret_access_key in the provider's Secret, and templates in this namespace may not use the operator's own credentials (--ambient-credentials-namespaces)",
      );
    }
  }
}

/** The short error type of an AWS JSON error body ("com.amazon.coral.validate#ValidationException" → "ValidationException"). */
function awsErrorType(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.body) as { __type?: unknown };
    return typeof body.__type === 'string' ? body.__type.slice(body.__type.lastIndexOf('#') + 1) : '';
  } catch {
    return '';
  }
}

function awsErrorDetail(res: HttpResponse): string | undefined {
  const type = awsErrorType(res);
  const detail = errorDetail(res);
  return type && detail ? `${type}: ${detail}` : type || detail;
}
