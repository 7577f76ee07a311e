import { RE2JS } from 're2js';
import { z } from 'zod';
import { redactText } from '../command/redact.js';
import { durationMs, httpUrl, intString, InvalidMetadataError, parseMetadata } from './metadata.js';
import type { Task, TaskFactory } from './task.js';

export interface HttpCheckDeps {
  readonly fetch?: typeof fetch;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const MAX_BODY_READ = 1024 * 1024;
/**
 * RE2's rough measure of a pattern's cost; above it a pattern is refused. With it, the slowest match found
 * over a 1 MiB body takes about 0.6 s (`(.*a){195}` on a loaded 2-core machine); typical ones take ms.
 */
const MAX_PROGRAM_SIZE = 1000;

const schema = z.looseObject({
  url: httpUrl,
  method: z.enum(METHODS).default('GET'),
  expectedStatus: intString(100, 599).default(200),
  bodyPattern: z.string().max(1000).optional(),
  count: intString(1, 100).default(1),
  timeout: durationMs.default(10_000),
  body: z.string().max(65_536).optional(),
});

/** A compiled bodyPattern and its text. */
interface BodyPattern {
  readonly source: string;
  readonly re: RE2JS;
}

type CheckSpec = z.output<typeof schema> & { pattern?: BodyPattern };

/** http: a blocking smoke check; every one of `count` requests must answer expectedStatus (and match bodyPattern). */
export const httpCheckTask =
  (deps: HttpCheckDeps = {}): TaskFactory =>
  (req) => {
    const m = parseMetadata('http', schema, req.metadata);
    if (m.body !== undefined && (m.method === 'GET' || m.method === 'HEAD'))
      throw new InvalidMetadataError('http', [`body: not allowed with method ${m.method}`]);
    const spec: CheckSpec = { ...m, ...(m.bodyPattern !== undefined ? { pattern: compile(m.bodyPattern) } : {}) };
    const doFetch = deps.fetch ?? fetch;
    const task: Task = {
      type: 'http',
      mode: 'blocking',
      summary: `${spec.method} ${redactText(spec.url)} x${spec.count}`,
      key: `${spec.method} ${spec.url} x${spec.count}`,
      run: async ({ signal }) => {
        for (let i = 1; i <= spec.count; i++) {
          const failure = await checkOnce(spec, doFetch, signal);
          if (failure) return { ok: false, message: `request ${i}/${spec.count}: ${failure}` };
        }
        return { ok: true, body: passed(spec) };
      },
    };
    return task;
  };

/**
 * bodyPattern in RE2 syntax, matched in linear time (re2js, a pure JavaScript port of RE2): a pattern can
 * never backtrack for ever and stall the service. What RE2 lacks (backreferences, lookahead, lookbehind) is
 * refused here, as is a pattern over MAX_PROGRAM_SIZE.
 */
function compile(pattern: string): BodyPattern {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    const hint = ' (RE2 syntax: no backreferences such as \\1, no lookahead (?=, (?!, no lookbehind (?<=, (?<!)';
    throw new InvalidMetadataError('http', [`bodyPattern: ${(err as Error).message}${hint}`]);
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) {
    throw new InvalidMetadataError('http', [
      `bodyPattern: too complex (RE2 program size ${re.programSize()}, at most ${MAX_PROGRAM_SIZE})`,
    ]);
  }
  return { source: pattern, re };
}

/** One request; undefined when it passed, else why it failed. */
async function checkOnce(spec: CheckSpec, doFetch: typeof fetch, signal: AbortSignal): Promise<string | undefined> {
  let res: Response;
  let text: string;
  try {
    res = await doFetch(spec.url, {
      method: spec.method,
      body: spec.body,
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(spec.timeout)]),
    });
    text = spec.pattern ? await readText(res) : '';
    if (!spec.pattern) await res.body?.cancel();
  } catch (err) {
    return `${spec.method} ${spec.url} failed: ${causeOf(err)}`;
  }
  if (res.status !== spec.expectedStatus) return `expected status ${spec.expectedStatus}, got ${res.status}`;
  if (spec.pattern && !spec.pattern.re.test(text))
    return `body did not match /${spec.pattern.source}/: ${JSON.stringify(text.slice(0, 200))}`;
  return undefined;
}

async function readText(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done && size < MAX_BODY_READ; r = await reader.read()) {
    chunks.push(r.value);
    size += r.value.length;
  }
  await reader.cancel();
  return Buffer.concat(chunks).toString('utf8');
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function passed(spec: CheckSpec): string {
  const matched = spec.pattern ? `, body matched /${spec.pattern.source}/` : '';
  return `${spec.count}/${spec.count} requests passed: ${spec.method} ${spec.url} answered ${spec.expectedStatus}${matched}`;
}
