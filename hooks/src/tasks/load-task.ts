import { z } from 'zod';
import { redactText } from '../command/redact.js';
import { formatLoadReport, type LoadReport, type LoadSpec } from '../load/generator.js';
import { loadProblems, type LoadLimits } from '../load/limits.js';
import { boolFlag, durationMs, httpUrl, intString, InvalidMetadataError, parseMetadata } from './metadata.js';
import type { Task, TaskFactory, TaskResult } from './task.js';

export type LoadGenerator = (spec: LoadSpec, signal: AbortSignal) => Promise<LoadReport>;

export interface LoadTaskDeps {
  readonly generate: LoadGenerator;
  /** A blocking run must fit in the blocking timeout; longer ones are refused up front. */
  readonly blockingTimeoutMs: number;
  /** Caps on rate, connections, duration and requests (MAX_LOAD_*): a run over any is refused. */
  readonly loadLimits: LoadLimits;
}

const schema = z.looseObject({
  url: httpUrl,
  rate: intString(1, 100_000).default(10),
  duration: durationMs.default(60_000),
  concurrency: intString(1, 1000).default(2),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']).default('GET'),
  timeout: durationMs.default(10_000),
  wait: boolFlag,
});

/** load: the built-in load generator. Background like cmd, or blocking with wait: "true" (the report is the answer). */
export const loadTask =
  (deps: LoadTaskDeps): TaskFactory =>
  (req) => {
    const m = parseMetadata('load', schema, req.metadata);
    if (m.wait && m.duration >= deps.blockingTimeoutMs) {
      throw new InvalidMetadataError('load', [
        `duration: with wait "true" it must be shorter than the blocking timeout (${deps.blockingTimeoutMs} ms)`,
      ]);
    }
    const problems = loadProblems(
      { rate: m.rate, concurrency: m.concurrency, durationMs: m.duration, requests: (m.rate * m.duration) / 1000 },
      deps.loadLimits,
    );
    if (problems.length > 0) throw new InvalidMetadataError('load', problems);
    const spec: LoadSpec = {
      url: m.url,
      rate: m.rate,
      durationMs: m.duration,
      concurrency: m.concurrency,
      method: m.method,
      timeoutMs: m.timeout,
    };
    const line = (url: string): string =>
      `load ${spec.method} ${url} rate=${spec.rate}/s duration=${spec.durationMs}ms concurrency=${spec.concurrency}`;
    const task: Task = {
      type: 'load',
      mode: m.wait ? 'blocking' : 'background',
      summary: line(redactText(spec.url)),
      key: line(spec.url),
      run: async ({ signal, log }) => {
        const report = await deps.generate(spec, signal);
        log.info({ report }, formatLoadReport(report));
        return resultOf(report);
      },
    };
    return task;
  };

function resultOf(report: LoadReport): TaskResult {
  const line = formatLoadReport(report);
  if (report.requests === 0) return { ok: false, message: `load: the target answered no request: ${line}` };
  return { ok: true, body: line };
}
