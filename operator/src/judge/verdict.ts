/**
 * The statistical judge's decisions, as Kayenta's NetflixACAJudge makes them: each metric's canary samples against
 * the primary's (Mann-Whitney U) classified High, Low, Pass or NoData; the score is the share of classified metrics
 * that pass; the verdict compares it with the pass and marginal thresholds. Pure.
 */
import type { CheckResult, JudgeDirection, Judgement, JudgeVerdict, MetricJudgement } from '../api/types.js';
import { mannWhitney, median } from './mann-whitney.js';

/** What classifying one metric needs (a judge metric's settings with the defaults applied). */
export interface ClassifySettings {
  name: string;
  direction: JudgeDirection;
  /** Tolerated ratio of the canary's median to the primary's (and its inverse for a decrease): at least 1. */
  effectSize: number;
  /** 1 - the significance level: a difference counts only when the p-value is below 1 - confidence. */
  confidence: number;
  /** Fewer samples than this on either side: NoData. */
  minSamples: number;
}

export interface Thresholds {
  pass: number;
  marginal: number;
}

export const JUDGE_DEFAULTS = {
  pass: 95,
  marginal: 75,
  direction: 'increase',
  effectSize: 1.2,
  confidence: 0.95,
  minSamples: 10,
  // 13 points at the default step: a one-series query reaches minSamples (at 1m it had 7 and was always NoData).
  interval: '2m',
  step: '10s',
} as const;

/** The ratio of medians; infinite when only the primary's is 0, 1 when both are. */
export function medianRatio(canary: number, primary: number): number {
  if (primary === 0) return canary === 0 ? 1 : canary > 0 ? Infinity : -Infinity;
  return canary / primary;
}

/** Classifies one metric from its samples (finite values only; the caller drops the rest). */
export function classifyMetric(s: ClassifySettings, canary: readonly number[], primary: readonly number[]): MetricJudgement {
  const counts = { canarySamples: canary.length, primarySamples: primary.length };
  if (canary.length < s.minSamples || primary.length < s.minSamples) {
    const message = `${s.name} NoData: ${canary.length} canary and ${primary.length} primary samples, at least ${s.minSamples} needed on each side`;
    return { name: s.name, classification: 'NoData', ...counts, message };
  }
  const canaryMedian = median(canary);
  const primaryMedian = median(primary);
  const ratio = medianRatio(canaryMedian, primaryMedian);
  const { pValue } = mannWhitney(canary, primary);
  const significant = pValue < 1 - s.confidence;
  const high = significant && ratio > s.effectSize && s.direction !== 'decrease';
  const low = significant && ratio < 1 / s.effectSize && s.direction !== 'increase';
  const classification = high ? 'High' : low ? 'Low' : 'Pass';
  const tolerated =
    s.direction === 'increase'
      ? `<= ${fmt(s.effectSize)}`
      : s.direction === 'decrease'
        ? `>= ${fmt(1 / s.effectSize)}`
        : `${fmt(1 / s.effectSize)}..${fmt(s.effectSize)}`;
  const message =
    `${s.name} ${classification}: canary median ${fmt(canaryMedian)} vs primary ${fmt(primaryMedian)}, ratio ${fmt(ratio)} (tolerated ${tolerated}), ` +
    `p=${fmtP(pValue)} (${significant ? 'significant' : 'not significant'} at ${fmt(s.confidence)}), n=${canary.length}/${primary.length}`;
  return {
    name: s.name,
    classification,
    canaryMedian,
    primaryMedian,
    ...(Number.isFinite(ratio) ? { ratio } : {}),
    pValue,
    ...counts,
    message,
  };
}

/** The score (share of classified metrics that pass, 0 to 100) and the verdict; NoData when no metric has data. */
export function judge(t: Thresholds, metrics: MetricJudgement[]): Judgement {
  const classified = metrics.filter((m) => m.classification !== 'NoData');
  if (classified.length === 0) return { verdict: 'NoData', pass: t.pass, marginal: t.marginal, metrics };
  const score = Math.round((classified.filter((m) => m.classification === 'Pass').length / classified.length) * 10000) / 100;
  const verdict: JudgeVerdict = score >= t.pass ? 'Pass' : score >= t.marginal ? 'Marginal' : 'Fail';
  return { score, verdict, pass: t.pass, marginal: t.marginal, metrics };
}

/** One line for the status, the Events and the alerts: the verdict, then each metric's classification. */
export function judgementText(j: Judgement): string {
  const head =
    j.score === undefined
      ? 'judge: no metric has enough data'
      : `judge score ${fmt(j.score)} (${j.verdict}: pass >= ${j.pass}, marginal >= ${j.marginal})`;
  return `${head}: ${j.metrics.map((m) => m.message).join('; ')}`;
}

export const JUDGE_CHECK = 'judge';

/**
 * The judgement as a check of the analysis step: Pass passes; Marginal holds the step (nothing counted, judged again
 * at the next interval); Fail is a failed check; NoData follows the judge's onNoData (fail by default).
 */
export function judgementCheck(j: Judgement, onNoData: 'fail' | 'halt' | 'ignore' = 'fail'): CheckResult {
  const base = { name: JUDGE_CHECK, min: j.pass, message: judgementText(j), ...(j.score !== undefined ? { value: j.score } : {}) };
  switch (j.verdict) {
    case 'Pass':
      return { ...base, ok: true, reason: 'JudgePass' };
    case 'Marginal':
      return { ...base, ok: false, halt: true, reason: 'JudgeMarginal' };
    case 'Fail':
      return { ...base, ok: false, reason: 'JudgeFail' };
    case 'NoData':
      if (onNoData === 'ignore') return { ...base, ok: true, reason: 'NoDataIgnored' };
      return { ...base, ok: false, reason: 'NoData', ...(onNoData === 'halt' ? { halt: true } : {}) };
  }
}

const fmt = (n: number): string => {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 0.01 ? n.toFixed(3).replace(/\.?0+$/, '') : n.toPrecision(3);
};
const fmtP = (p: number): string => (p >= 0.001 ? p.toFixed(4).replace(/\.?0+$/, '') : p.toExponential(2));
