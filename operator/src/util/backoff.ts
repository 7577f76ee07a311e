/** The wait before retry number `attempt` (0 first): between half and all of initialMs × 2^attempt, capped at maxMs. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Exponential backoff with full jitter, capped. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const wait = backoffDelay(this.attempt, this.initialMs, this.maxMs, this.random);
    this.attempt = Math.min(this.attempt + 1, 30);
    return wait;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after ms, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
