import { CloudWatchProvider } from './providers/cloudwatch.js';
import { DatadogProvider } from './providers/datadog.js';
import { GraphiteProvider } from './providers/graphite.js';
import type { ProviderContext } from './providers/http.js';
import { InfluxdbProvider } from './providers/influxdb.js';
import { NewRelicProvider } from './providers/newrelic.js';
import { PrometheusProvider } from './providers/prometheus.js';
import { StackdriverProvider } from './providers/stackdriver.js';
import { WebProvider } from './providers/web.js';
import type { MetricProvider, ProviderConfig } from './provider.js';

type ProviderFactory = (cfg: ProviderConfig, ctx: ProviderContext) => MetricProvider;

/** One line per metrics backend. */
const PROVIDERS: Readonly<Record<string, ProviderFactory>> = {
  prometheus: (cfg, ctx) => new PrometheusProvider(cfg, ctx),
  datadog: (cfg, ctx) => new DatadogProvider(cfg, ctx),
  newrelic: (cfg, ctx) => new NewRelicProvider(cfg, ctx),
  cloudwatch: (cfg, ctx) => new CloudWatchProvider(cfg, ctx),
  stackdriver: (cfg, ctx) => new StackdriverProvider(cfg, ctx),
  graphite: (cfg, ctx) => new GraphiteProvider(cfg, ctx),
  influxdb: (cfg, ctx) => new InfluxdbProvider(cfg, ctx),
  web: (cfg, ctx) => new WebProvider(cfg, ctx),
};

class UnknownMetricProviderError extends Error {
  constructor(readonly providerType: string) {
    super(`metric provider "${providerType}" is not supported yet (supported: ${Object.keys(PROVIDERS).join(', ')})`);
    this.name = 'UnknownMetricProviderError';
  }
}

/** Builds the provider of a type; an unknown type is an error, never a fallback to Prometheus. */
export function createMetricProvider(cfg: ProviderConfig, ctx: ProviderContext): MetricProvider {
  const factory = Object.hasOwn(PROVIDERS, cfg.type) ? PROVIDERS[cfg.type] : undefined;
  if (!factory) throw new UnknownMetricProviderError(cfg.type);
  return factory(cfg, ctx);
}
