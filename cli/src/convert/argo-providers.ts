/**
 * The metric providers of an Argo Rollouts AnalysisTemplate that Tollgate has an equivalent for (prometheus, datadog,
 * newRelic, web), as a MetricTemplate's spec.provider and spec.query. Pure.
 */
import type { Range } from './condition.js';
import { isObject, type Findings } from './report.js';

export class RefusedMetric extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'RefusedMetric';
  }
}

interface ProviderResult {
  provider: Record<string, unknown>;
  query: string;
  /** The query window (Datadog's interval): the Canary metric's interval. */
  window?: string;
}

const ARG = /\{\{\s*args\.([^\s}]+)\s*\}\}/g;
const PLACEHOLDER = /\{\{[^}]*\}\}/g;
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;

/** Argo's {{ args.NAME }} as Tollgate's {{ variables.NAME }}; any other placeholder is refused. Records the names used. */
export function translateArgs(text: string, path: string, used: Set<string>): string {
  const out = text.replace(ARG, (whole, name: string) => {
    if (!VARIABLE_NAME.test(name))
      throw new RefusedMetric(path, `${whole}: a Tollgate template variable name has only letters, digits, "-" and "_"`);
    used.add(name);
    return `{{ variables.${name} }}`;
  });
  const left = out.replace(/\{\{ variables\.[A-Za-z0-9_-]+ \}\}/g, '').match(PLACEHOLDER);
  if (left) throw new RefusedMetric(path, `${left[0]} has no Tollgate equivalent (only {{ args.NAME }} becomes a template variable)`);
  return out;
}

function headersOf(value: unknown, path: string, used: Set<string>): Record<string, string[]> | undefined {
  if (!Array.isArray(value) || !value.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const h of value) {
    if (!isObject(h) || typeof h.key !== 'string' || typeof h.value !== 'string') continue;
    if (/\{\{/.test(h.value))
      throw new RefusedMetric(
        path,
        `header ${h.key}: Tollgate fills variables in the query only (put secrets in the provider's secretRef)`,
      );
    (out[h.key] ??= []).push(translateArgs(h.value, path, used));
  }
  return out;
}

type Builder = (p: Record<string, unknown>, path: string, f: Findings, used: Set<string>, range: Range) => ProviderResult;

function literalAddress(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || /\{\{/.test(value)) throw new RefusedMetric(path, 'the address must be a literal URL in Tollgate');
  return value;
}

const prometheus: Builder = (p, path, f, used, range) => {
  if (range.field) throw new RefusedMetric(path, `a Prometheus result has no field ${range.field}`);
  if (p.rangeQuery !== undefined) throw new RefusedMetric(`${path}.rangeQuery`, 'Tollgate runs instant queries only');
  if (typeof p.query !== 'string') throw new RefusedMetric(`${path}.query`, 'no query');
  for (const [k, reason] of Object.entries(PROMETHEUS_DROPS)) if (p[k] !== undefined) f.drop(`${path}.${k}`, reason);
  const headers = headersOf(p.headers, `${path}.headers`, used);
  const address = literalAddress(p.address, `${path}.address`);
  return {
    provider: {
      type: 'prometheus',
      ...(address ? { address } : {}),
      ...(headers ? { headers } : {}),
      ...(p.insecure === true ? { insecureSkipVerify: true } : {}),
    },
    query: translateArgs(p.query, `${path}.query`, used),
  };
};

const PROMETHEUS_DROPS: Record<string, string> = {
  timeout: 'Tollgate gives every metric query the same deadline',
  authentication: 'Tollgate authenticates with spec.provider.secretRef (basic auth or a bearer token), not SigV4 or OAuth2 settings',
  caCert: 'Tollgate has no per-template CA bundle (insecureSkipVerify only)',
};

const datadog: Builder = (p, path, f, used, range) => {
  if (range.field) throw new RefusedMetric(path, `a Datadog result has no field ${range.field}`);
  if (p.queries !== undefined || p.formula !== undefined)
    throw new RefusedMetric(`${path}.queries`, 'Tollgate queries Datadog with one metric query (API v1), not v2 queries and a formula');
  if (typeof p.query !== 'string') throw new RefusedMetric(`${path}.query`, 'no query');
  if (p.aggregator !== undefined) f.drop(`${path}.aggregator`, 'Tollgate takes the last point of the series');
  if (p.requestTimeout !== undefined) f.drop(`${path}.requestTimeout`, 'Tollgate gives every metric query the same deadline');
  if (p.apiVersion === 'v2') f.note(`${path}.apiVersion: Tollgate sends the query to Datadog's v1 query API`);
  f.note(
    `${path}: Tollgate reads the Datadog keys from spec.provider.secretRef (keys datadog_api_key and datadog_application_key): ` +
      'create that Secret and set secretRef on the MetricTemplate',
  );
  const window = typeof p.interval === 'string' ? p.interval : undefined;
  return { provider: { type: 'datadog' }, query: translateArgs(p.query.trim(), `${path}.query`, used), ...(window ? { window } : {}) };
};

const newRelic: Builder = (p, path, f, used) => {
  if (typeof p.query !== 'string') throw new RefusedMetric(`${path}.query`, 'no query');
  f.note(
    `${path}: Tollgate reads the New Relic account from spec.provider.secretRef (keys newrelic_account_id and newrelic_query_key)` +
      `${typeof p.profile === 'string' ? `, not Argo's profile ${p.profile}` : ''}: create that Secret and set secretRef on the MetricTemplate`,
  );
  return { provider: { type: 'newrelic' }, query: translateArgs(p.query.trim(), `${path}.query`, used) };
};

/** {$.data.ok} (kubectl JSONPath) as $.data.ok, and a field of the result appended. */
function jsonPathOf(value: unknown, field: string | undefined, path: string): string {
  const raw = typeof value === 'string' ? value.trim().replace(/^\{(.*)\}$/, '$1') : '$';
  const base = raw === '$.' ? '$' : raw;
  if (!base.startsWith('$')) throw new RefusedMetric(path, `jsonPath ${JSON.stringify(value)} does not start at $`);
  return field ? `${base}.${field}` : base;
}

const web: Builder = (p, path, f, used, range) => {
  if (typeof p.url !== 'string') throw new RefusedMetric(`${path}.url`, 'no url');
  const m = /^(https?:\/\/[^/?#]+)(.*)$/.exec(p.url);
  if (!m || /\{\{/.test(m[1]!))
    throw new RefusedMetric(`${path}.url`, 'the scheme and host of the URL must be literal (Tollgate fills variables in the path only)');
  const method = typeof p.method === 'string' ? p.method.toUpperCase() : 'GET';
  if (method !== 'GET' && method !== 'POST')
    throw new RefusedMetric(`${path}.method`, `Tollgate's web provider sends GET or POST, not ${method}`);
  if (p.timeoutSeconds !== undefined) f.drop(`${path}.timeoutSeconds`, 'Tollgate gives every metric query the same deadline');
  const body = p.jsonBody ?? p.body;
  const headers = headersOf(p.headers, `${path}.headers`, used);
  const query = {
    path: translateArgs(m[2] || '/', `${path}.url`, used),
    jsonPath: jsonPathOf(p.jsonPath, range.field, `${path}.jsonPath`),
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? translateArgs(body, `${path}.body`, used) : body } : {}),
  };
  return {
    provider: { type: 'web', address: m[1], ...(headers ? { headers } : {}), ...(p.insecure === true ? { insecureSkipVerify: true } : {}) },
    query: JSON.stringify(query),
  };
};

export const PROVIDERS: Record<string, Builder> = { prometheus, datadog, newRelic, web };

export const OTHER_PROVIDER_REASON: Record<string, string> = {
  job: 'Tollgate has no Job metric provider: run the Job from a webhook (pre-rollout or rollout) of the hooks service',
  kayenta: 'Tollgate has no Kayenta provider',
  wavefront: 'Tollgate has no Wavefront provider',
  cloudWatch: 'not converted: write the CloudWatch MetricTemplate by hand (Tollgate queries CloudWatch differently)',
  graphite: 'not converted: write the Graphite MetricTemplate by hand',
  influxdb: 'not converted: write the InfluxDB MetricTemplate by hand',
  skywalking: 'Tollgate has no SkyWalking provider',
  plugin: 'Tollgate loads no metric plugins',
};
