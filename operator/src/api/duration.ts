const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/y;

export class DurationError extends Error {
  constructor(readonly input: string) {
    super(`invalid duration "${input}": use a Go duration such as 30s, 1m30s or 2h`);
    this.name = 'DurationError';
  }
}

/** Parses a Go duration string ("1m30s", "500ms") into milliseconds. */
export function parseDuration(input: string): number {
  const text = input.trim();
  if (text === '0') return 0;
  if (text.length === 0) throw new DurationError(input);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) throw new DurationError(input);
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? NaN);
  }
  if (!Number.isFinite(total)) throw new DurationError(input);
  return total;
}

/** parseDuration with a default for an absent value. */
export function durationOr(input: string | undefined, fallbackMs: number): number {
  return input === undefined || input === '' ? fallbackMs : parseDuration(input);
}

/** Formats milliseconds as a Prometheus range duration (whole seconds or milliseconds). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}
