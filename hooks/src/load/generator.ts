import autocannon from 'autocannon';
import { LatencyHistogram } from './histogram.js';

export interface LoadSpec {
  readonly url: string;
  /** Requests per second over all connections; 0 sends as fast as the target answers. */
  readonly rate: number;
  readonly durationMs: number;
  /** Connections kept open; each has at most one request in flight. */
  readonly concurrency: number;
  readonly method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  /** Per-request timeout. */
  readonly timeoutMs?: number;
}

export interface LoadReport {
  readonly url: string;
  readonly durationMs: number;
  /** Responses received (any status). */
  readonly requests: number;
  /** Achieved responses per second. */
  readonly rps: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

/**
 * Generates load with autocannon until the duration ends or the signal aborts (a partial report then).
 * Latencies are taken from each response's own timing (autocannon's histograms round to whole ms).
 */
export function runLoad(spec: LoadSpec, signal: AbortSignal): Promise<LoadReport> {
  const latency = new LatencyHistogram();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? 'GET',
        connections: spec.concurrency,
        ...(spec.rate > 0 ? { overallRate: spec.rate } : {}),
        duration: spec.durationMs / 1000,
        timeout: Math.max(1, Math.round((spec.timeoutMs ?? 10_000) / 1000)),
      },
      (err, result) => {
        signal.removeEventListener('abort', stop);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(reportOf(spec.url, result, latency));
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => latency.record(ms));
    const stop = (): void => instance.stop();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

function reportOf(url: string, r: autocannon.Result, latency: LatencyHistogram): LoadReport {
  const durationMs = Math.round(r.duration * 1000);
  const requests = latency.total;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    url,
    durationMs,
    requests,
    rps: durationMs > 0 ? round((requests * 1000) / durationMs) : 0,
    latencyMs: {
      p50: round(latency.percentile(0.5)),
      p90: round(latency.percentile(0.9)),
      p99: round(latency.percentile(0.99)),
      max: round(latency.max),
      mean: round(latency.mean),
    },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

/** One line for logs and responses. */
export function formatLoadReport(r: LoadReport): string {
  const l = r.latencyMs;
  return (
    `${r.requests} requests in ${(r.durationMs / 1000).toFixed(2)}s to ${r.url}: ${r.rps} req/s, ` +
    `latency p50 ${l.p50}ms p90 ${l.p90}ms p99 ${l.p99}ms max ${l.max}ms, errors ${r.errors} (timeouts ${r.timeouts}), non-2xx ${r.non2xx}`
  );
}
