/**
 * The Mann-Whitney U test (Wilcoxon rank-sum test), two-sided, as R's wilcox.test(x, y) computes it: the exact
 * distribution of U when both samples are under 50 values and have no ties, else the normal approximation with the
 * tie correction and the continuity correction. Pure.
 *
 * Hand-written: the npm registry has no maintained package that gives a p-value with both the exact distribution
 * and the tie correction (simple-statistics computes the rank-sum statistic only; jStat has no rank test). The
 * results are table-tested against scipy.stats.mannwhitneyu (test/judge-mann-whitney.test.ts).
 */

export interface MannWhitneyResult {
  /** U of the first sample: the pairs (x, y) with x > y, a tie counting one half (R's W). */
  u: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Whether the p-value comes from the exact distribution (else the normal approximation). */
  exact: boolean;
}

/** Below this size on both sides (and without ties) the p-value is exact, as in R. */
const EXACT_BELOW = 50;

/** Ranks of the values (1-based), ties given the mean of their ranks; also the tie groups' sizes. */
export function ranks(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) out[order[k]![1]] = rank;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks: out, ties };
}

/** The test of x against y; both must hold at least one finite value (the caller checks). */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitney: both samples need at least one value');
  const { ranks: r, ties } = ranks([...x, ...y]);
  const r1 = r.slice(0, n1).reduce((s, v) => s + v, 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  if (ties.length === 0 && n1 < EXACT_BELOW && n2 < EXACT_BELOW) return { u, pValue: exactPValue(u, n1, n2), exact: true };
  return { u, pValue: normalPValue(u, n1, n2, ties), exact: false };
}

/** Two-sided exact p-value: twice the smaller tail of U at u, at most 1 (R's pwilcox). */
function exactPValue(u: number, n1: number, n2: number): number {
  const counts = uCounts(n1, n2);
  const total = counts.reduce((s, c) => s + c, 0);
  let lower = 0;
  let upper = 0;
  counts.forEach((c, k) => {
    if (k <= u) lower += c;
    if (k >= u) upper += c;
  });
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

/**
 * How many arrangements of n1 x's and n2 y's give each U (index = U), without ties. Built one x at a time:
 * an x placed after b y's adds b to U. Only additions of positive counts, so the tails keep their precision.
 */
export function uCounts(n1: number, n2: number): number[] {
  const size = n1 * n2 + 1;
  // prev[b]: the counts for the x's placed so far and b y's.
  let prev = Array.from({ length: n2 + 1 }, () => {
    const a = new Float64Array(size);
    a[0] = 1;
    return a;
  });
  for (let a = 1; a <= n1; a++) {
    const next = [new Float64Array(size)];
    next[0]![0] = 1;
    for (let b = 1; b <= n2; b++) {
      const cur = new Float64Array(size);
      const lastY = next[b - 1]!;
      const lastX = prev[b]!;
      for (let k = 0; k < size; k++) cur[k] = lastY[k]! + (k >= b ? lastX[k - b]! : 0);
      next.push(cur);
    }
    prev = next;
  }
  return Array.from(prev[n2]!);
}

/** Two-sided p-value of the normal approximation, with the tie correction and the continuity correction. */
function normalPValue(u: number, n1: number, n2: number, ties: readonly number[]): number {
  const n = n1 + n2;
  const tieSum = ties.reduce((s, t) => s + t ** 3 - t, 0);
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1))));
  if (!(sigma > 0)) return 1;
  const d = u - (n1 * n2) / 2;
  const z = (d - 0.5 * Math.sign(d)) / sigma;
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/**
 * The standard normal CDF: Hart's rational approximation (1968) as given by G. West, "Better approximations to
 * cumulative normal functions" (Wilmott, 2005), good to 1e-12 relative for |x| < 7.07, and a continued fraction
 * beyond (1e-8 relative: p-values below 1e-11, far past any confidence the CRD allows).
 */
export function normalCdf(x: number): number {
  const a = Math.abs(x);
  let tail: number;
  if (a > 37) tail = 0;
  else {
    const e = Math.exp((-a * a) / 2);
    if (a < 7.07106781186547) {
      const num = poly(
        a,
        [3.52624965998911e-2, 0.700383064443688, 6.37396220353165, 33.912866078383, 112.079291497871, 221.213596169931, 220.206867912376],
      );
      const den = poly(
        a,
        [
          8.83883476483184e-2, 1.75566716318264, 16.064177579207, 86.7807322029461, 296.564248779674, 637.333633378831, 793.826512519948,
          440.413735824752,
        ],
      );
      tail = (e * num) / den;
    } else {
      const f = a + 1 / (a + 2 / (a + 3 / (a + 4 / (a + 0.65))));
      tail = e / f / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/** Horner: coefficients from the highest power down. */
const poly = (x: number, c: readonly number[]): number => c.reduce((acc, k) => acc * x + k, 0);

/** The median of the values (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
