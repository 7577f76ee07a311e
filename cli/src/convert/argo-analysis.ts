/**
 * An Argo Rollouts AnalysisTemplate (or ClusterAnalysisTemplate) as Tollgate MetricTemplates, one per metric, and
 * what a Canary needs to use them: each metric's thresholdRange (from its success and failure conditions), its
 * template variables and its Argo interval and failure limit. Pure.
 */
import { API_VERSION } from '@tollgate/contract/metadata';
import { conditionRange, ConditionError } from './condition.js';
import { OTHER_PROVIDER_REASON, PROVIDERS, RefusedMetric } from './argo-providers.js';
import { isObject, type Findings } from './report.js';

/** A converted metric, as a Canary refers to it. */
export interface TemplateMetric {
  /** The Canary metric: name, templateRef, thresholdRange, onNoData and interval (the query window). */
  canaryMetric: Record<string, unknown>;
  /** Argo's measurement interval: the Canary's analysis.interval. */
  interval?: string;
  /** Argo's failureLimit: failures tolerated (threshold - 1). */
  failureLimit?: number;
  /** The template variables the query uses, with the template's default value if it has one. */
  variables: Record<string, string | undefined>;
}

export interface ConvertedTemplate {
  metricTemplates: Record<string, unknown>[];
  metrics: TemplateMetric[];
}

const METRIC_DROPS: Record<string, string> = {
  count: 'Tollgate measures at every step of the run, not a fixed number of times',
  initialDelay: 'Tollgate starts measuring at the first step',
  consecutiveErrorLimit: 'a query error is a failed check in Tollgate',
  inconclusiveLimit: 'Tollgate has no Inconclusive result: a value outside the range is a failed check',
  dryRun: 'Tollgate has no dry-run metrics',
  maxFailures: 'an old name of failureLimit that current Argo Rollouts no longer reads',
  consecutiveSuccessLimit: 'Tollgate counts failed checks only',
};

const METRIC_KNOWN = new Set(['name', 'provider', 'successCondition', 'failureCondition', 'interval', 'failureLimit']);

/** A DNS-1123 name from parts: lower case, "-" for anything else, at most 253 characters. */
function dnsName(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 253);
}

export function convertAnalysisTemplate(obj: Record<string, unknown>, f: Findings): ConvertedTemplate {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const spec = isObject(obj.spec) ? obj.spec : {};
  const name = typeof meta.name === 'string' ? meta.name : 'analysis';
  const defaults = templateArgs(spec.args, f);
  for (const k of ['dryRun', 'measurementRetention'])
    if (spec[k] !== undefined) f.drop(`spec.${k}`, 'Tollgate has no dry-run metrics and keeps no measurements');
  if (obj.kind === 'ClusterAnalysisTemplate')
    f.note(
      'a ClusterAnalysisTemplate becomes a MetricTemplate in one namespace: apply it where the Canaries are (or refer to it with templateRef.namespace)',
    );
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  const out: ConvertedTemplate = { metricTemplates: [], metrics: [] };
  metrics.forEach((m, i) => {
    if (!isObject(m)) return;
    const mtName = metrics.length === 1 ? dnsName(name) : dnsName(name, String(m.name ?? i));
    const converted = convertMetric(m, `spec.metrics[${i}]`, mtName, defaults, f);
    if (!converted) return;
    out.metricTemplates.push(metricTemplate(mtName, meta, obj.kind === 'ClusterAnalysisTemplate', converted.spec));
    out.metrics.push(converted.metric);
  });
  return out;
}

/** The template's args: their default values (valueFrom is dropped). */
function templateArgs(args: unknown, f: Findings): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!Array.isArray(args)) return out;
  args.forEach((a, i) => {
    if (!isObject(a) || typeof a.name !== 'string') return;
    out[a.name] = typeof a.value === 'string' ? a.value : undefined;
    if (a.valueFrom !== undefined)
      f.drop(`spec.args[${i}].valueFrom`, "Tollgate template variables are plain strings (secrets go in the provider's secretRef)");
  });
  return out;
}

function metricTemplate(
  name: string,
  meta: Record<string, unknown>,
  cluster: boolean,
  spec: Record<string, unknown>,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name };
  if (!cluster && typeof meta.namespace === 'string') metadata.namespace = meta.namespace;
  if (isObject(meta.labels)) metadata.labels = meta.labels;
  return { apiVersion: API_VERSION, kind: 'MetricTemplate', metadata, spec };
}

interface MetricResult {
  spec: Record<string, unknown>;
  metric: TemplateMetric;
}

function convertMetric(
  m: Record<string, unknown>,
  path: string,
  mtName: string,
  defaults: Record<string, string | undefined>,
  f: Findings,
): MetricResult | undefined {
  const provider = isObject(m.provider) ? m.provider : {};
  const [type] = Object.keys(provider);
  const build = type ? PROVIDERS[type] : undefined;
  if (!type || !build) {
    f.drop(`${path}.provider${type ? `.${type}` : ''}`, (type && OTHER_PROVIDER_REASON[type]) ?? 'no metric provider Tollgate knows');
    return undefined;
  }
  try {
    const range = conditionRange(str(m.successCondition), str(m.failureCondition));
    const used = new Set<string>();
    const cfg = provider[type];
    const result = build(isObject(cfg) ? cfg : {}, `${path}.provider.${type}`, f, used, range);
    for (const n of range.notes) f.note(`${path}: ${n}`);
    for (const [k, reason] of Object.entries(METRIC_DROPS)) if (m[k] !== undefined) f.drop(`${path}.${k}`, reason);
    for (const k of Object.keys(m)) if (!METRIC_KNOWN.has(k) && !METRIC_DROPS[k]) f.drop(`${path}.${k}`, 'no Tollgate equivalent');
    return {
      spec: { provider: result.provider, query: result.query },
      metric: templateMetric(m, mtName, range, result.window, used, defaults),
    };
  } catch (err) {
    if (err instanceof ConditionError)
      f.drop(
        `${path}.${m.successCondition === undefined && m.failureCondition !== undefined ? 'failureCondition' : 'successCondition'}`,
        `not a threshold range: ${err.message}`,
      );
    else if (err instanceof RefusedMetric) f.drop(err.path, err.message);
    else throw err;
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function templateMetric(
  m: Record<string, unknown>,
  mtName: string,
  range: ReturnType<typeof conditionRange>,
  window: string | undefined,
  used: Set<string>,
  defaults: Record<string, string | undefined>,
): TemplateMetric {
  const thresholdRange = { ...(range.min !== undefined ? { min: range.min } : {}), ...(range.max !== undefined ? { max: range.max } : {}) };
  return {
    canaryMetric: {
      name: typeof m.name === 'string' ? m.name : mtName,
      templateRef: { name: mtName },
      thresholdRange,
      ...(range.noData === 'pass' ? { onNoData: 'ignore' } : {}),
      ...(window ? { interval: window } : {}),
    },
    ...(typeof m.interval === 'string' ? { interval: m.interval } : {}),
    ...(typeof m.failureLimit === 'number' ? { failureLimit: m.failureLimit } : {}),
    variables: Object.fromEntries([...used].map((n) => [n, defaults[n]])),
  };
}
