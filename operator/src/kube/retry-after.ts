import { backoffDelay } from '../util/backoff.js';

/** How the client answers "too many requests": attempts after the first, and the longest single wait. */
export interface ThrottleRetry {
  maxRetries: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE_RETRY: ThrottleRetry = { maxRetries: 5, maxDelayMs: 30_000 };

/** Methods whose repetition does what one request does: a 5xx may come after the server acted on the request. */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/**
 * The wait before sending a request again after an answer with this status and Retry-After header, or undefined
 * when it is not sent again. Like client-go: a 429 (the API server's priority and fairness turned the request away
 * before acting on it, so even a write is safe to repeat) is retried, as is a 5xx that names a Retry-After when the
 * method is idempotent (a POST or PATCH the server may have applied before failing is not sent twice); the header's
 * seconds (or HTTP date) are honoured, else the wait is util/backoff.ts's (doubling from 1s, with jitter); every
 * wait is at most maxDelayMs, and after maxRetries retries the answer stands.
 */
export function throttleDelay(
  a: { method: string; status: number; retryAfter: string | undefined },
  retriesDone: number,
  policy: ThrottleRetry,
  now: number,
  random: () => number = Math.random,
): number | undefined {
  if (retriesDone >= policy.maxRetries) return undefined;
  const named = parseRetryAfter(a.retryAfter, now);
  const serverBusy = a.status >= 500 && named !== undefined && IDEMPOTENT.has(a.method.toUpperCase());
  if (a.status !== 429 && !serverBusy) return undefined;
  return Math.min(policy.maxDelayMs, named ?? backoffDelay(retriesDone, 1000, policy.maxDelayMs, random));
}

/** Retry-After as ms from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = /[a-z]/i.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
