import { randomSeed } from './random.js';

export interface FuzzConfig {
  seed: number;
  count: number;
  /** Case indices to run alone (FUZZ_CASES=3,17), to replay failures of a run; all when absent. */
  only?: ReadonlySet<number>;
  /** Canaries created at once. */
  concurrency: number;
  /** Whether the seed came from FUZZ_SEED (a replay) or was drawn for this run. */
  seedGiven: boolean;
}

export const DEFAULT_COUNT = 1000;

function nonNegativeInt(name: string, raw: string): number {
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Reads FUZZ_SEED, FUZZ_COUNT, FUZZ_CASES and FUZZ_CONCURRENCY; a fresh seed when FUZZ_SEED is unset. */
export function fuzzConfig(env: NodeJS.ProcessEnv, draw: () => number = randomSeed): FuzzConfig {
  const given = env.FUZZ_SEED !== undefined && env.FUZZ_SEED.trim() !== '';
  const seed = given ? nonNegativeInt('FUZZ_SEED', env.FUZZ_SEED!) >>> 0 : draw() >>> 0;
  const count = env.FUZZ_COUNT?.trim() ? nonNegativeInt('FUZZ_COUNT', env.FUZZ_COUNT) : DEFAULT_COUNT;
  const only = env.FUZZ_CASES?.trim()
    ? new Set(
        env.FUZZ_CASES.split(',')
          .filter((s) => s.trim())
          .map((s) => nonNegativeInt('FUZZ_CASES', s)),
      )
    : undefined;
  const concurrency = env.FUZZ_CONCURRENCY?.trim() ? Math.max(1, nonNegativeInt('FUZZ_CONCURRENCY', env.FUZZ_CONCURRENCY)) : 16;
  return {
    seed,
    count: only ? Math.max(count, ...[...only].map((i) => i + 1)) : count,
    ...(only ? { only } : {}),
    concurrency,
    seedGiven: given,
  };
}

/** The command line that replays a run, or some of its cases. */
export function replayHint(c: FuzzConfig, cases?: number[]): string {
  const only = cases?.length ? ` FUZZ_CASES=${cases.slice(0, 20).join(',')}` : '';
  return `FUZZ_SEED=${c.seed} FUZZ_COUNT=${c.count}${only}`;
}
