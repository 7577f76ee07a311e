import { formatDuration, parseDuration } from '../api/duration.js';
import type { Canary, CanaryMetric, CheckResult, MetricTemplate } from '../api/types.js';
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
import { renderQuery, type QueryVars } from './render.js';
import type { SecretReader } from '../kube/secrets.js';

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
}

/** Whether MetricTemplates of a namespace may use the operator's own cloud credentials (empty list: all may). */
export function ambientCredentialsAllowed(namespace: string, allowed: readonly string[]): boolean {
  return allowed.length === 0 || allowed.includes(namespace);
}

const DEFAULT_METRIC_INTERVAL = '1m';

class CheckSetupError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a Canary's metric checks: resolves each query and backend, measures, and judges against the range. */
export class MetricAnalyzer {
  private readonly providers = new Map<string, MetricProvider>();

  constructor(private readonly deps: AnalyzerDeps) {}

  async check(canary: Canary, provider: string, signal: AbortSignal): Promise<CheckResult[]> {
    const metrics = analysisOf(canary.spec).metrics ?? [];
    return Promise.all(metrics.map(async (m) => markDryRun(m, await this.checkOne(canary, provider, m, signal))));
  }

  private async checkOne(canary: Canary, provider: string, m: CanaryMetric, signal: AbortSignal): Promise<CheckResult> {
    try {
      const { backend, query } = await this.resolve(canary, provider, m, signal);
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
  ): Promise<{ backend: MetricProvider; query: string }> {
    const vars = queryVars(canary, m);
    const prometheus = (address?: string): ProviderConfig => ({
      type: 'prometheus',
      address: address || canary.spec.metricsServer || this.deps.defaultPrometheus,
    });
    if (m.templateRef) {
      const ns = m.templateRef.namespace || canary.metadata.namespace!;
      const t = this.deps.templates.get(ns, m.templateRef.name);
      if (!t) throw new CheckSetupError('TemplateNotFound', `MetricTemplate ${ns}/${m.templateRef.name} not found`);
      const refused = crossNamespaceRefusal('MetricTemplate', t, canary.metadata.namespace!, this.deps.crossNamespaceRefs);
      if (refused) throw new CheckSetupError('CrossNamespaceRefused', refused);
      const backend = this.backend(await this.providerConfig(t, ns, signal), ambientCredentialsAllowed(ns, this.deps.ambientNamespaces));
      return { backend, query: render(t.spec.query, vars, backend) };
    }
    // `||`: the CRD allows `query: ""`, which means no query of its own (a built-in metric keeps its built-in one).
    if (m.query) {
      const backend = this.backend(prometheus(), false);
      return { backend, query: render(m.query, vars, backend) };
    }
    if (isBuiltinMetric(m.name)) {
      const backend = this.backend(prometheus(), false);
      return { backend, query: render(builtinQuery(provider, m.name), builtinQueryVars(provider, vars), backend) };
    }
    throw new CheckSetupError('NoQuery', 'needs templateRef or query');
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
    throw new CheckSetupError('TemplateError', messageOf(err));
  }
}

/** The placeholders' values for one metric of one Canary. */
function queryVars(canary: Canary, m: CanaryMetric): QueryVars {
  const target = canary.spec.targetRef.name;
  const interval = formatDuration(parseDuration(m.interval || DEFAULT_METRIC_INTERVAL));
  const ref = (r: Record<string, unknown> | undefined): string => (typeof r?.name === 'string' ? r.name : target);
  return {
    name: canary.metadata.name!,
    namespace: canary.metadata.namespace!,
    target,
    service: canary.spec.service?.name || target,
    ingress: ref(canary.spec.ingressRef),
    route: ref(canary.spec.routeRef),
    interval,
    variables: m.templateVariables ?? {},
  };
}
