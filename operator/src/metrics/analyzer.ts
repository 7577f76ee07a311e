import { formatDuration, parseDuration } from '../api/duration.js';
import { apexName, primaryName } from '@tollgate/contract/metadata';
import type {
  Canary,
  CanaryMetric,
  KubeObject,
  CheckResult,
  JudgeMetric,
  Judgement,
  MetricJudgement,
  MetricTemplate,
} from '../api/types.js';
import { analysisOf } from '../core/analysis.js';
import { crossNamespaceRefusal, type CrossNamespacePolicy } from '../core/cross-namespace.js';
import { evaluateMetric, markDryRun, noData, unmeasured } from '../core/checks.js';
import { isNotFound } from '../kube/errors.js';
import type { Lister } from '../kube/informer.js';
import { messageOf } from '../util/errors.js';
import type { OutboundClient } from '../outbound/client.js';
import { isBuiltinMetric } from '../meshes/queries.js';
import { builtinQuery, builtinQueryVars } from '../meshes/registry.js';
import { createMetricProvider } from './factory.js';
import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig } from './provider.js';
import { renderQuery, type QueryVars, type RevisionVars } from './render.js';
import { classifyMetric, judge, JUDGE_DEFAULTS } from '../judge/verdict.js';
import type { SecretReader } from '../kube/secrets.js';
import type { SloEvaluation } from '../api/types.js';
import type { SloReader } from '../slo/reader.js';
import { evaluateSlo } from '../slo/gate.js';
import { PromQLScopeError } from '../slo/promql-scope.js';
import { fromOpenSLO, fromPyrra, fromSloth, SloSourceError, type SloDefinition } from '../slo/sources.js';

export interface AnalyzerDeps {
  templates: Lister<MetricTemplate>;
  secrets: SecretReader;
  /** Prometheus for built-in metrics and templates without an address. */
  defaultPrometheus: string;
  /** Whether a Canary may use a MetricTemplate of another namespace without the template's consent. */
  crossNamespaceRefs: CrossNamespacePolicy;
  /** The operator's one outbound HTTP client. */
  http: OutboundClient;
  /** Namespaces whose MetricTemplates may use the operator's own cloud credentials; empty: every namespace. */
  ambientNamespaces: readonly string[];
  /** Reads the SLO definitions analysis.slo refers to; absent: the SLO gate reports that it cannot read them. */
  slos?: SloReader;
}

export function ambientCredentialsAllowed(namespace: string, allowed: readonly string[]): boolean {
  return allowed.length === 0 || allowed.includes(namespace);
}

const DEFAULT_METRIC_INTERVAL = '1m';
/** Most points per series a judge query asks for (Prometheus refuses more than 11,000): a longer window gets a wider step. */
const MAX_JUDGE_POINTS = 1000;

class CheckSetupError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A judge metric that could not be sampled: names the metric; the cause is the backend's or the template's error. */
class JudgeError extends Error {
  constructor(metric: string, message: string, cause?: unknown) {
    super(`${metric}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'JudgeError';
  }
}

/** Runs a Canary's metric checks: resolves each query and backend, measures, and judges against the range. */
export class MetricAnalyzer {
  private readonly providers = new Map<string, MetricProvider>();

  constructor(private readonly deps: AnalyzerDeps) {}

  /** revisions: the two sides' revisions of a target released in place ({{ canaryRevision }}, {{ primaryRevision }}). */
  async check(canary: Canary, provider: string, signal: AbortSignal, revisions?: RevisionVars): Promise<CheckResult[]> {
    const metrics = analysisOf(canary.spec).metrics ?? [];
    return Promise.all(metrics.map(async (m) => markDryRun(m, await this.checkOne(canary, provider, m, signal, revisions))));
  }

  private async checkOne(
    canary: Canary,
    provider: string,
    m: CanaryMetric,
    signal: AbortSignal,
    revisions: RevisionVars | undefined,
  ): Promise<CheckResult> {
    try {
      const { backend, query } = await this.resolve(canary, provider, m, signal, revisions);
      return evaluateMetric(m, await backend.query(query, signal, { windowMs: parseDuration(m.interval || DEFAULT_METRIC_INTERVAL) }));
    } catch (err) {
      if (err instanceof NoDataError) return noData(m, `${m.name}: no data (${err.message})`);
      if (err instanceof MultipleSeriesError) return unmeasured(m, 'MultipleSeries', `${m.name}: ${err.message}`);
      if (err instanceof CheckSetupError) return unmeasured(m, err.reason, `${m.name}: ${err.message}`);
      return unmeasured(m, 'ProviderError', `${m.name}: ${messageOf(err)}`);
    }
  }

  private async resolve(
    canary: Canary,
    provider: string,
    m: CanaryMetric,
    signal: AbortSignal,
    revisions: RevisionVars | undefined,
  ): Promise<{ backend: MetricProvider; query: string }> {
    const vars = { ...queryVars(canary, m), ...revisions };
    const prometheus = (address?: string): ProviderConfig => ({
      type: 'prometheus',
      address: address || canary.spec.metricsServer || this.deps.defaultPrometheus,
    });
    if (m.templateRef) {
      const { backend, template } = await this.fromTemplate(canary, m.templateRef, signal);
      return { backend, query: render(template, vars, backend) };
    }
    // `||`: the CRD allows `query: ""`, which means no query of its own (a built-in metric keeps its built-in one).
    if (m.query) {
      const backend = this.backend(prometheus(), false);
      return { backend, query: render(m.query, vars, backend) };
    }
    if (isBuiltinMetric(m.name)) {
      const backend = this.backend(prometheus(), false);
      const template = builtinQuery(provider, m.name, revisions !== undefined);
      return { backend, query: render(template, builtinQueryVars(provider, vars), backend) };
    }
    throw new CheckSetupError('NoQuery', 'needs templateRef or query');
  }

  /** The backend and the query of a MetricTemplate the Canary may use. */
  private async fromTemplate(
    canary: Canary,
    ref: { name: string; namespace?: string },
    signal: AbortSignal,
  ): Promise<{ backend: MetricProvider; template: string }> {
    const ns = ref.namespace || canary.metadata.namespace!;
    const t = this.deps.templates.get(ns, ref.name);
    if (!t) throw new CheckSetupError('TemplateNotFound', `MetricTemplate ${ns}/${ref.name} not found`);
    const refused = crossNamespaceRefusal('MetricTemplate', t, canary.metadata.namespace!, this.deps.crossNamespaceRefs);
    if (refused) throw new CheckSetupError('CrossNamespaceRefused', refused);
    const backend = this.backend(await this.providerConfig(t, ns, signal), ambientCredentialsAllowed(ns, this.deps.ambientNamespaces));
    return { backend, template: t.spec.query };
  }

  /**
   * The statistical judge (analysis.judge): each metric's query sampled over the same window for the canary and the
   * primary, classified, and scored. Undefined when the Canary has no judge. A metric that cannot be sampled (no
   * template, a provider error, a backend without range queries) is a failed judgement naming it, never a pass.
   */
  async judge(canary: Canary, signal: AbortSignal, nowMs = Date.now()): Promise<Judgement | { error: string } | undefined> {
    const j = analysisOf(canary.spec).judge;
    if (!j?.metrics?.length) return undefined;
    try {
      const metrics = await Promise.all(j.metrics.map((m) => this.judgeOne(canary, m, signal, nowMs)));
      return judge({ pass: j.pass ?? JUDGE_DEFAULTS.pass, marginal: j.marginal ?? JUDGE_DEFAULTS.marginal }, metrics);
    } catch (err) {
      return { error: messageOf(err) };
    }
  }

  private async judgeOne(canary: Canary, m: JudgeMetric, signal: AbortSignal, nowMs: number): Promise<MetricJudgement> {
    const windowMs = parseDuration(m.interval || JUDGE_DEFAULTS.interval);
    const stepMs = Math.max(parseDuration(m.step || JUDGE_DEFAULTS.step), Math.ceil(windowMs / MAX_JUDGE_POINTS));
    const { backend, template } = await this.judgeQuery(canary, m, signal);
    if (!backend.sampleRange)
      throw new JudgeError(m.name, `the judge needs range queries, which the ${backend.type} provider does not offer`);
    // Never before the run started: earlier samples of the target are of another revision (or of an earlier run).
    const runStart = Date.parse(canary.status?.runStartTime ?? '');
    const startMs = Math.min(nowMs, Math.max(nowMs - windowMs, Number.isFinite(runStart) ? runStart : -Infinity));
    const range = { startMs, endMs: nowMs, stepMs };
    const target = canary.spec.targetRef.name;
    const sample = async (workload: string): Promise<number[]> => {
      const vars = { ...queryVars(canary, { templateVariables: m.templateVariables }), target: workload, interval: formatDuration(stepMs) };
      try {
        return await backend.sampleRange!(render(template, vars, backend), range, signal);
      } catch (err) {
        throw new JudgeError(m.name, messageOf(err), err);
      }
    };
    const [canarySamples, primarySamples] = await Promise.all([sample(target), sample(primaryName(target))]);
    return classifyMetric(
      {
        name: m.name,
        direction: m.direction ?? JUDGE_DEFAULTS.direction,
        effectSize: m.effectSize ?? JUDGE_DEFAULTS.effectSize,
        confidence: m.confidence ?? JUDGE_DEFAULTS.confidence,
        minSamples: m.minSamples ?? JUDGE_DEFAULTS.minSamples,
      },
      canarySamples,
      primarySamples,
    );
  }

  private async judgeQuery(canary: Canary, m: JudgeMetric, signal: AbortSignal): Promise<{ backend: MetricProvider; template: string }> {
    try {
      if (m.templateRef) return await this.fromTemplate(canary, m.templateRef, signal);
      if (m.query)
        return {
          backend: this.backend({ type: 'prometheus', address: canary.spec.metricsServer || this.deps.defaultPrometheus }, false),
          template: m.query,
        };
    } catch (err) {
      throw new JudgeError(m.name, messageOf(err), err);
    }
    throw new JudgeError(m.name, 'needs templateRef or query');
  }

  /**
   * The SLO burn-rate gate (analysis.slo); undefined when the Canary has none. A definition that cannot be read or
   * used, or a failed query, is an error naming it, never a pass.
   */
  async slo(
    canary: Canary,
    gate: { intervalMs: number; trafficStartMs: number; nowMs: number },
    signal: AbortSignal,
  ): Promise<SloEvaluation | { error: string; reason: string } | undefined> {
    const slo = analysisOf(canary.spec).slo;
    if (!slo) return undefined;
    try {
      const def = await this.sloDefinition(canary, signal);
      const backend = this.backend({ type: 'prometheus', address: canary.spec.metricsServer || this.deps.defaultPrometheus }, false);
      const query = async (q: string): Promise<number | undefined> => {
        try {
          return await backend.query(q, signal);
        } catch (err) {
          if (err instanceof NoDataError) return undefined;
          throw err;
        }
      };
      const target = canary.spec.targetRef.name;
      const input = { def, slo, namespace: canary.metadata.namespace!, canary: target, primary: primaryName(target), ...gate };
      return await evaluateSlo(input, query);
    } catch (err) {
      const reason = err instanceof SloSourceError ? err.reason : err instanceof PromQLScopeError ? 'InvalidSLO' : 'ProviderError';
      return { error: messageOf(err), reason };
    }
  }

  private async sloDefinition(canary: Canary, signal: AbortSignal): Promise<SloDefinition> {
    const { ref } = analysisOf(canary.spec).slo!;
    const ns = canary.metadata.namespace!;
    const reader = this.deps.slos;
    if (!reader) throw new SloSourceError('SLOUnavailable', 'this operator reads no SLO definitions');
    if (ref.kind === 'OpenSLO') {
      const data = await reader.configMap(ns, ref.name, signal);
      const text = data?.[ref.configMapKey ?? ''];
      if (text === undefined)
        throw new SloSourceError('SLONotFound', `ConfigMap ${ns}/${ref.name} ${data ? `has no key "${ref.configMapKey}"` : 'not found'}`);
      return fromOpenSLO(text, `ConfigMap ${ref.name}`, ref.sloName);
    }
    let obj: KubeObject | undefined;
    try {
      obj = await reader.object(ref.kind, ns, ref.name);
    } catch (err) {
      throw new SloSourceError('SLOUnavailable', `cannot read ${ref.kind} objects: ${messageOf(err)}`);
    }
    if (!obj) throw new SloSourceError('SLONotFound', `${ref.kind} ${ns}/${ref.name} not found`);
    return ref.kind === 'PrometheusServiceLevel' ? fromSloth(obj, ref.sloName) : fromPyrra(obj);
  }

  private async providerConfig(t: MetricTemplate, namespace: string, signal: AbortSignal): Promise<ProviderConfig> {
    const p = t.spec.provider;
    let secret: Record<string, string> | undefined;
    if (p.secretRef) {
      try {
        secret = await this.deps.secrets.read(namespace, p.secretRef.name, signal);
      } catch (err) {
        if (isNotFound(err)) throw new CheckSetupError('SecretNotFound', `Secret ${namespace}/${p.secretRef.name} not found`);
        throw err;
      }
    }
    const address = p.address || (p.type === 'prometheus' ? this.deps.defaultPrometheus : '');
    return { type: p.type, address, headers: p.headers, insecureSkipVerify: p.insecureSkipVerify, region: p.region, secret };
  }

  private backend(cfg: ProviderConfig, ambientCredentials: boolean): MetricProvider {
    const key = JSON.stringify([cfg, ambientCredentials]);
    let b = this.providers.get(key);
    if (!b) {
      try {
        b = createMetricProvider(cfg, { http: this.deps.http, ambientCredentials });
      } catch (err) {
        throw new CheckSetupError('UnsupportedProvider', messageOf(err));
      }
      if (this.providers.size > 1000) this.providers.clear();
      this.providers.set(key, b);
    }
    return b;
  }
}

function render(template: string, vars: QueryVars, backend: MetricProvider): string {
  try {
    return renderQuery(template, vars, backend.queryLanguage);
  } catch (err) {
    // No pod runs a revision the query selects ({{ canaryPods }}): no data, as the query would find none.
    if (err instanceof NoDataError) throw err;
    throw new CheckSetupError('TemplateError', messageOf(err));
  }
}

/** The placeholders' values for one metric of one Canary. */
function queryVars(canary: Canary, m: Pick<CanaryMetric, 'interval' | 'templateVariables'>): QueryVars {
  const target = canary.spec.targetRef.name;
  const interval = formatDuration(parseDuration(m.interval || DEFAULT_METRIC_INTERVAL));
  const ref = (r: Record<string, unknown> | undefined): string => (typeof r?.name === 'string' ? r.name : target);
  return {
    name: canary.metadata.name!,
    namespace: canary.metadata.namespace!,
    target,
    service: apexName(canary.spec),
    ingress: ref(canary.spec.ingressRef),
    route: ref(canary.spec.routeRef),
    interval,
    variables: m.templateVariables ?? {},
  };
}
