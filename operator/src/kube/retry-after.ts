/** How the client answers "too many requests": attempts after the first, and the longest single wait. */
export interface ThrottleRetry {
  maxRetries: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE_RETRY: ThrottleRetry = { maxRetries: 5, maxDelayMs: 30_000 };

/**
 * The wait before sending a request again after an answer with this status and Retry-After header, or undefined
 * when it is not sent again. Like client-go: a 429 (the API server's priority and fairness turned the request away
 * before acting on it, so even a write is safe to repeat) is retried, as is a 5xx that names a Retry-After; the
 * header's seconds (or HTTP date) are honoured, else the wait doubles from 1s with jitter; every wait is at most
 * maxDelayMs, and after maxRetries retries the answer stands.
 */
export function throttleDelay(
  status: number,
  retryAfter: string | undefined,
  retriesDone: number,
  policy: ThrottleRetry,
  now: number,
  random: () => number = Math.random,
): number | undefined {
  if (retriesDone >= policy.maxRetries) return undefined;
  const named = parseRetryAfter(retryAfter, now);
  if (status !== 429 && !(status >= 500 && named !== undefined)) return undefined;
  const fallback = Math.min(1000 * 2 ** retriesDone, policy.maxDelayMs) * (0.5 + random() / 2);
  return Math.round(Math.min(policy.maxDelayMs, named ?? fallback));
}

/** Retry-After as ms from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = /[a-z]/i.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
