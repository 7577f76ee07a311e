import { PrometheusProvider } from './prometheus.js';
import { CloudWatchProvider } from './providers/cloudwatch.js';
import { DatadogProvider } from './providers/datadog.js';
import { GraphiteProvider } from './providers/graphite.js';
import { InfluxdbProvider } from './providers/influxdb.js';
import { NewRelicProvider } from './providers/newrelic.js';
import { StackdriverProvider } from './providers/stackdriver.js';
import { WebProvider } from './providers/web.js';
import type { MetricProvider, ProviderConfig } from './provider.js';

type ProviderFactory = (cfg: ProviderConfig) => MetricProvider;

/** One line per metrics backend. */
const PROVIDERS: Readonly<Record<string, ProviderFactory>> = {
  prometheus: (cfg) => new PrometheusProvider(cfg),
  datadog: (cfg) => new DatadogProvider(cfg),
  newrelic: (cfg) => new NewRelicProvider(cfg),
  cloudwatch: (cfg) => new CloudWatchProvider(cfg),
  stackdriver: (cfg) => new StackdriverProvider(cfg),
  graphite: (cfg) => new GraphiteProvider(cfg),
  influxdb: (cfg) => new InfluxdbProvider(cfg),
  web: (cfg) => new WebProvider(cfg),
};

export class UnknownMetricProviderError extends Error {
  constructor(readonly providerType: string) {
    super(`metric provider "${providerType}" is not supported yet (supported: ${Object.keys(PROVIDERS).join(', ')})`);
    this.name = 'UnknownMetricProviderError';
  }
}

/** Builds the provider of a type; an unknown type is an error, never a fallback to Prometheus. */
export function createMetricProvider(cfg: ProviderConfig): MetricProvider {
  const factory = Object.hasOwn(PROVIDERS, cfg.type) ? PROVIDERS[cfg.type] : undefined;
  if (!factory) throw new UnknownMetricProviderError(cfg.type);
  return factory(cfg);
}
