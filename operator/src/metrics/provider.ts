import type { QueryLanguage } from './query-language.js';

/** A metrics backend: answers one query with one number. One implementation per backend. */
export interface MetricProvider {
  readonly type: string;
  /** The language of its queries: how a template's values are escaped (metrics/query-language.ts). */
  readonly queryLanguage: QueryLanguage;
  /** Runs the query; throws NoDataError, MultipleSeriesError or ProviderError. */
  query(query: string, signal: AbortSignal, options?: QueryOptions): Promise<number>;
  /**
   * Runs the query at every step of a time range and returns every finite value of every series (the statistical
   * judge's samples); absent for backends that cannot. Throws ProviderError.
   */
  sampleRange?(query: string, range: SampleRange, signal: AbortSignal): Promise<number[]>;
}

/** A time range sampled at a fixed step (milliseconds since the epoch, and milliseconds). */
export interface SampleRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

/** What a query may need besides its text. */
export interface QueryOptions {
  /**
   * The metric's interval in milliseconds: the time window a backend without a range in its query language
   * looks back over (Datadog from/to, CloudWatch StartTime/EndTime, Graphite from, New Relic SINCE).
   * DEFAULT_WINDOW_MS when absent.
   */
  windowMs?: number;
}

/** The window of a query whose metric sets no interval (Flagger's default metric interval, 1m). */
export const DEFAULT_WINDOW_MS = 60_000;

/** The query returned nothing (or NaN): a failed check, never a pass. */
export class NoDataError extends Error {
  constructor(query: string) {
    super(`no data for query: ${query}`);
    this.name = 'NoDataError';
  }
}

export class MultipleSeriesError extends Error {
  constructor(count: number) {
    super(`query returned ${count} series; aggregate it to one (for example with sum())`);
    this.name = 'MultipleSeriesError';
  }
}

/** The backend failed: unreachable, unauthorized, or a bad query. */
export class ProviderError extends Error {
  constructor(type: string, message: string, options?: ErrorOptions) {
    super(`${type}: ${message}`, options);
    this.name = 'ProviderError';
  }
}

/** Credentials and settings resolved from a MetricTemplate's provider and its Secret. */
export interface ProviderConfig {
  type: string;
  address: string;
  headers?: Record<string, string[]>;
  insecureSkipVerify?: boolean;
  region?: string;
  /** Decoded keys of the provider's Secret. */
  secret?: Record<string, string>;
}
