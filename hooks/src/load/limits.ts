/** Caps on the load that tasks may generate (the load task, and hey), from the MAX_LOAD_* settings. */
export interface LoadLimits {
  /** Requests per second over all connections (MAX_LOAD_RATE). */
  readonly maxRate: number;
  /** Connections, or hey workers (MAX_LOAD_CONCURRENCY). */
  readonly maxConcurrency: number;
  /** How long one run may last (MAX_LOAD_DURATION). */
  readonly maxDurationMs: number;
  /** Requests one run may send in all (MAX_LOAD_REQUESTS). */
  readonly maxRequests: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxRate: 1000, maxConcurrency: 100, maxDurationMs: 30 * 60_000, maxRequests: 1_000_000 };

/** What a run asks for: its total rate, connections, duration and (at most) how many requests. */
export interface LoadAsk {
  readonly rate: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly requests: number;
}

/** The caps a run goes over, one line each naming the setting; empty when it fits. */
export function loadProblems(ask: LoadAsk, limits: LoadLimits): string[] {
  const problems: string[] = [];
  if (ask.rate > limits.maxRate) problems.push(`rate: ${ask.rate} req/s is more than MAX_LOAD_RATE (${limits.maxRate} req/s)`);
  if (ask.concurrency > limits.maxConcurrency)
    problems.push(`concurrency: ${ask.concurrency} is more than MAX_LOAD_CONCURRENCY (${limits.maxConcurrency})`);
  if (ask.durationMs > limits.maxDurationMs)
    problems.push(`duration: ${ask.durationMs / 1000}s is more than MAX_LOAD_DURATION (${limits.maxDurationMs / 1000}s)`);
  if (ask.requests > limits.maxRequests)
    problems.push(`requests: ${Math.ceil(ask.requests)} in all is more than MAX_LOAD_REQUESTS (${limits.maxRequests})`);
  return problems;
}
