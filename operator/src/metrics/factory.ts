import { PrometheusProvider } from './prometheus.js';
import type { MetricProvider, ProviderConfig } from './provider.js';

type ProviderFactory = (cfg: ProviderConfig) => MetricProvider;

/** One line per metrics backend. */
const PROVIDERS: Readonly<Record<string, ProviderFactory>> = {
  prometheus: (cfg) => new PrometheusProvider(cfg),
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
