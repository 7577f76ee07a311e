/**
 * The SLO burn-rate gate of one analysis step: the SLI of the Canary's SLO definition scoped to the canary (and to
 * the primary), measured over the two windows derived from the analysis, against the page threshold; plus the error
 * budget the canary's traffic consumed. The queries go through `query`; the arithmetic is burn-rate.ts.
 */
import { formatDuration } from '../api/duration.js';
import type { CanarySlo, CheckResult, SloEvaluation } from '../api/types.js';
import { budgetConsumedPercent, burnRate, canaryWindows, decideSlo } from './burn-rate.js';
import { regexQuote, scopeQuery, type ScopeMatcher } from './promql-scope.js';
import { SloSourceError, type SloDefinition } from './sources.js';

/** One instant query's single value; undefined when it returned nothing. */
export type SloQuery = (promql: string) => Promise<number | undefined>;

export interface GateInput {
  def: SloDefinition;
  slo: CanarySlo;
  namespace: string;
  /** The canary's workload name ({{ target }}), and the primary's. */
  canary: string;
  primary: string;
  intervalMs: number;
  trafficStartMs: number;
  nowMs: number;
}

export const SLO_CHECK = 'slo';
const SLO_DEFAULTS = { minChecks: 2 } as const;

const PLACEHOLDER = /\{\{\s*\.?(target|namespace)\s*\}\}/g;

/** The scope's matchers for one workload; an unknown placeholder is an error. */
export function scopeFor(slo: CanarySlo, namespace: string, target: string): ScopeMatcher[] {
  return slo.scope.map((m) => {
    const op = m.op ?? '=';
    const value = m.value.replace(PLACEHOLDER, (_all, key: string) => {
      const v = key === 'target' ? target : namespace;
      return op === '=~' ? regexQuote(v) : v;
    });
    if (/\{\{/.test(value))
      throw new SloSourceError(
        'InvalidScope',
        `scope ${m.label}: unknown placeholder in "${m.value}" (use {{ target }} or {{ namespace }})`,
      );
    return { label: m.label, op, value };
  });
}

/** Bad events per second and the error ratio of a window for one workload; ratio undefined without events. */
async function windowRatio(
  def: SloDefinition,
  window: string,
  scope: ScopeMatcher[],
  query: SloQuery,
): Promise<{ bad: number; ratio?: number }> {
  const [bad, total] = await Promise.all([
    query(scopeQuery(def.errorQuery(window), scope)),
    query(scopeQuery(def.totalQuery(window), scope)),
  ]);
  // No error series (no error yet) is no error; no total is no traffic.
  const b = bad ?? 0;
  return total !== undefined && total > 0 ? { bad: b, ratio: Math.min(1, Math.max(0, b / total)) } : { bad: b };
}

/** Budget consumed by the canary (percent of what was left), from the SLO's whole period, unscoped. */
async function budgetConsumed(def: SloDefinition, canaryBadPerS: number, longMs: number, query: SloQuery): Promise<number | undefined> {
  const period = formatDuration(def.periodMs);
  const [total, bad] = await Promise.all([query(def.totalQuery(period)), query(def.errorQuery(period))]);
  if (total === undefined) return undefined;
  const s = def.periodMs / 1000;
  return budgetConsumedPercent({
    canaryBad: canaryBadPerS * (longMs / 1000),
    periodTotal: total * s,
    periodBad: (bad ?? 0) * s,
    objective: def.objective,
  });
}

export async function evaluateSlo(i: GateInput, query: SloQuery): Promise<SloEvaluation> {
  const w = canaryWindows(i.intervalMs, i.trafficStartMs, i.nowMs);
  const [short, long] = [formatDuration(w.shortMs), formatDuration(w.longMs)];
  const canary = scopeFor(i.slo, i.namespace, i.canary);
  const [s, l, p] = await Promise.all([
    windowRatio(i.def, short, canary, query),
    windowRatio(i.def, long, canary, query),
    windowRatio(i.def, long, scopeFor(i.slo, i.namespace, i.primary), query),
  ]);
  const consumed = await budgetConsumed(i.def, l.bad, w.longMs, query);
  const rate = (r?: number): number | undefined => (r === undefined ? undefined : round(burnRate(r, i.def.objective)));
  const pageBurnRate = i.slo.pageBurnRate ?? i.def.pageBurnRate;
  const evaluation: Omit<SloEvaluation, 'verdict' | 'message'> = {
    source: i.def.source,
    objective: round(i.def.objective * 100),
    pageBurnRate,
    thresholdFrom: i.slo.pageBurnRate !== undefined ? 'spec' : i.def.thresholdFrom,
    short: windowResult(short, s.ratio, rate(s.ratio)),
    long: windowResult(long, l.ratio, rate(l.ratio)),
    ...(p.ratio !== undefined ? { primaryBurnRate: rate(p.ratio)! } : {}),
    // Infinity (nothing was left) is not JSON: the message says so instead.
    ...(consumed !== undefined && Number.isFinite(consumed) ? { budgetConsumedPercent: round(consumed) } : {}),
    ...(i.slo.maxBudgetConsumedPercent !== undefined ? { maxBudgetConsumedPercent: i.slo.maxBudgetConsumedPercent } : {}),
  };
  const verdict = decideSlo({
    shortBurnRate: evaluation.short.burnRate,
    longBurnRate: evaluation.long.burnRate,
    pageBurnRate,
    windows: w,
    minChecks: i.slo.minChecks ?? SLO_DEFAULTS.minChecks,
    budgetConsumedPercent: consumed,
    maxBudgetConsumedPercent: i.slo.maxBudgetConsumedPercent,
  });
  const text = sloText({ ...evaluation, verdict, message: '' }, i.slo.minChecks ?? SLO_DEFAULTS.minChecks);
  return {
    ...evaluation,
    verdict,
    message: consumed === Infinity ? `${text}; the error budget was spent before the canary took traffic` : text,
  };
}

const windowResult = (window: string, errorRatio?: number, rate?: number) => ({
  window,
  ...(errorRatio !== undefined ? { errorRatio: round(errorRatio) } : {}),
  ...(rate !== undefined ? { burnRate: rate } : {}),
});

/** One line for the status, the Events and the alerts. */
function sloText(e: SloEvaluation, minChecks: number = SLO_DEFAULTS.minChecks): string {
  const br = (r?: number): string => (r === undefined ? 'no events' : fmt(r));
  const head = `SLO ${e.source} (${fmt(e.objective)}%): burn rate ${br(e.short.burnRate)} over ${e.short.window} and ${br(e.long.burnRate)} over ${e.long.window}, page threshold ${fmt(e.pageBurnRate)} (${e.thresholdFrom})`;
  const primary = e.primaryBurnRate !== undefined ? `; primary ${fmt(e.primaryBurnRate)} over ${e.long.window}` : '';
  const budget =
    e.budgetConsumedPercent !== undefined
      ? `; budget consumed ${fmt(e.budgetConsumedPercent)}% of what was left${e.maxBudgetConsumedPercent !== undefined ? ` (max ${fmt(e.maxBudgetConsumedPercent)}%)` : ''}`
      : '';
  const why: Record<SloEvaluation['verdict'], string> = {
    Pass: 'Pass',
    Burning: 'Burning: above the threshold over both windows',
    BudgetExceeded: 'BudgetExceeded',
    TooEarly: `TooEarly: the long window spans fewer than ${minChecks} intervals`,
    NoData: 'NoData: a window without events',
  };
  return `${head}${primary}${budget}: ${why[e.verdict]}`;
}

/** The evaluation as a check of the step: Burning and BudgetExceeded fail; TooEarly holds; NoData follows onNoData. */
export function sloCheck(e: SloEvaluation, onNoData: 'fail' | 'halt' | 'ignore' = 'fail'): CheckResult {
  const base = {
    name: SLO_CHECK,
    max: e.pageBurnRate,
    message: e.message,
    ...(e.long.burnRate !== undefined ? { value: e.long.burnRate } : {}),
  };
  switch (e.verdict) {
    case 'Pass':
      return { ...base, ok: true, reason: 'SLOPass' };
    case 'Burning':
      return { ...base, ok: false, reason: 'SLOBurning' };
    case 'BudgetExceeded':
      return { ...base, ok: false, reason: 'SLOBudgetExceeded' };
    case 'TooEarly':
      return { ...base, ok: false, halt: true, reason: 'SLOTooEarly' };
    case 'NoData':
      if (onNoData === 'ignore') return { ...base, ok: true, reason: 'NoDataIgnored' };
      return { ...base, ok: false, reason: 'NoData', ...(onNoData === 'halt' ? { halt: true } : {}) };
  }
}

const round = (n: number): number => (Number.isFinite(n) ? Math.round(n * 1e6) / 1e6 : n);
const fmt = (n: number): string => {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 0.01 ? n.toFixed(3).replace(/\.?0+$/, '') : n.toPrecision(3);
};
