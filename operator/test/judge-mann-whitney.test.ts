import { mannWhitney, median, normalCdf, ranks, uCounts } from '../src/judge/mann-whitney.js';

/**
 * Expected values computed with scipy 1.17.1, scipy.stats.mannwhitneyu(x, y, method=...) (two-sided; 'asymptotic'
 * with use_continuity=True, as R's wilcox.test(x, y) does with ties), and scipy.stats.norm.cdf.
 */

// R's ?wilcox.test example (Hollander & Wolfe): W = 35, one-sided p 0.1272, so two-sided 0.2544.
const HOLLANDER_X = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const HOLLANDER_Y = [1.15, 0.88, 0.9, 0.74, 1.21];
// ClickHouse's tests/queries/0_stateless/01560_mann_whitney.sql: U = 223, p = 0.5426959774289482 (ties).
const CH_LEFT = [310, 195, 530, 155, 530, 245, 385, 450, 465, 545, 170, 180, 125, 180, 230, 75, 430, 480, 495, 295];
const CH_RIGHT = [116, 171, 176, 421, 111, 326, 481, 111, 346, 441, 261, 411, 206, 521, 456, 446, 296, 51, 426, 261];
// numpy default_rng(7): normal(10, 2, 49) and normal(11, 2, 30), rounded to 6 places.
const RNG_A = [
  10.00246, 10.597491, 9.451724, 8.218816, 9.090658, 8.016707, 10.120287, 12.68043, 9.015587, 8.75905, 10.979684, 10.713774, 10.210828,
  8.139064, 9.941496, 11.390606, 7.311571, 9.084768, 6.197555, 7.420925, 6.31653, 9.529818, 7.465107, 10.542529, 10.313502, 9.626138,
  4.966481, 8.922614, 9.902998, 10.226618, 6.939728, 9.044493, 8.042962, 8.382326, 12.121797, 8.384931, 9.934957, 11.76878, 8.832799,
  9.776596, 10.220928, 10.127564, 7.549888, 10.15228, 12.717647, 6.905711, 11.718765, 10.238708, 8.717059,
];
const RNG_B = [
  15.000833, 12.524519, 8.601422, 11.149032, 12.153379, 10.622436, 12.365821, 10.866965, 12.334495, 13.877045, 9.648675, 11.406277,
  10.073385, 11.254537, 8.625611, 9.841397, 10.607608, 12.797528, 13.290444, 8.352944, 9.410715, 12.293807, 7.01516, 10.07366, 10.805426,
  13.51403, 12.378808, 10.345573, 10.262848, 10.499609,
];
const range = (from: number, n: number, shift = 0): number[] => Array.from({ length: n }, (_, i) => from + i + shift);

describe('mannWhitney against scipy.stats.mannwhitneyu', () => {
  it.each<[string, number[], number[], number, number, boolean]>([
    ["R's wilcox.test example, exact", HOLLANDER_X, HOLLANDER_Y, 35, 0.2544122544122544, true],
    ['the same samples swapped: U of the first', HOLLANDER_Y, HOLLANDER_X, 15, 0.2544122544122544, true],
    ['3 against 3, fully separated, exact', [1, 2, 3], [4, 5, 6], 0, 0.1, true],
    ['49 against 30 without ties, exact', RNG_A, RNG_B, 345, 5.113795897932368e-5, true],
    ['ClickHouse 20 against 20 with ties, normal approximation', CH_LEFT, CH_RIGHT, 223, 0.5426959774289482, false],
    ['5 against 6 with ties, normal approximation', [1, 1, 2, 2, 3], [2, 3, 3, 4, 4, 5], 3, 0.031633423039876964, false],
    ['60 against 55 without ties, normal approximation', range(1, 60), range(1, 55, 20.5), 780, 1.1258207796772894e-6, false],
  ])('%s', (_what, x, y, u, p, exact) => {
    const r = mannWhitney(x, y);
    expect(r.u).toBe(u);
    expect(r.exact).toBe(exact);
    expect(r.pValue).toBeCloseTo(p, 12);
    expect(Math.abs(r.pValue - p) / p).toBeLessThan(1e-9);
  });

  it('given samples that are all one value, then p is 1 (no variance to test)', () => {
    expect(mannWhitney([2, 2, 2], [2, 2, 2, 2]).pValue).toBe(1);
  });

  it('given an empty sample, then it throws a RangeError', () => {
    expect(() => mannWhitney([], [1])).toThrow(RangeError);
  });
});

describe('uCounts', () => {
  it('given 2 against 2, then U is 0..4 in 1, 1, 2, 1, 1 of the 6 arrangements', () => {
    expect(uCounts(2, 2)).toEqual([1, 1, 2, 1, 1]);
  });

  it('given 10 against 12, then the counts add up to C(22, 10) and are symmetric', () => {
    const c = uCounts(10, 12);
    expect(c.reduce((s, v) => s + v, 0)).toBe(646646);
    expect(c).toEqual([...c].reverse());
  });
});

describe('ranks', () => {
  it('given ties, then they share the mean of their ranks and the tie groups are reported', () => {
    expect(ranks([3, 1, 3, 2, 3])).toEqual({ ranks: [4, 1, 4, 2, 4], ties: [3] });
  });
});

describe('normalCdf against scipy.stats.norm.cdf', () => {
  it.each<[number, number]>([
    [-8.5, 9.47953482220325e-18],
    [-3, 0.0013498980316300933],
    [-1.96, 0.024997895148220435],
    [-0.5, 0.3085375387259869],
    [0, 0.5],
    [1.2, 0.8849303297782918],
    [2.5, 0.9937903346742238],
  ])('Φ(%s)', (z, expected) => {
    // The continued fraction beyond |z| = 7.07 is good to 1e-8 relative, the rational approximation to 1e-12.
    expect(Math.abs(normalCdf(z) - expected) / expected).toBeLessThan(Math.abs(z) > 7.07 ? 1e-8 : 1e-12);
  });
});

describe('median', () => {
  it.each<[number[], number]>([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[], NaN],
  ])('median(%j) = %d', (values, m) => {
    expect(median(values)).toBe(m);
  });
});
