/**
 * The SLO burn-rate gate's arithmetic, free of I/O: burn rate, the page thresholds of the SRE Workbook ("Alerting on
 * SLOs", multiwindow, multi-burn-rate alerts) and of Sloth and Pyrra, the canary's windows, the error budget its
 * traffic consumed, and the decision. See docs/slo.md for the derivation.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

/** A page condition: the burn rate over both the long and the short window above burnRate. */
export interface PageRule {
  burnRate: number;
  longMs: number;
  shortMs: number;
}

/** Burn rate: how many times faster than the SLO allows the error budget is spent (1: exactly on budget). */
export function burnRate(errorRatio: number, objective: number): number {
  if (!(objective > 0 && objective < 1)) throw new RangeError(`objective ${objective} is not between 0 and 1`);
  return errorRatio / (1 - objective);
}

/**
 * The burn rate that spends `budgetFraction` of the error budget of a `periodMs` SLO in `longMs`
 * (SRE Workbook: 2% of a 30-day budget in 1 hour is 0.02 × 720 h / 1 h = 14.4).
 */
export function burnRateFor(budgetFraction: number, periodMs: number, longMs: number): number {
  return (budgetFraction * periodMs) / longMs;
}

/**
 * Sloth's page alert (its default alert windows, scaled to the SLO period as Sloth does): 2% of the budget in
 * 1 h (short 5 m), or 5% in 6 h (short 30 m). For 30 days: 14.4 and 6, the SRE Workbook's numbers.
 */
export function slothPageRules(periodMs = 30 * DAY): [PageRule, PageRule] {
  return [
    { burnRate: round(burnRateFor(0.02, periodMs, HOUR)), longMs: HOUR, shortMs: 5 * MINUTE },
    { burnRate: round(burnRateFor(0.05, periodMs, 6 * HOUR)), longMs: 6 * HOUR, shortMs: 30 * MINUTE },
  ];
}

/**
 * Pyrra's critical alerts: factors 14 and 7 whatever the window, over windows scaled from 1 h / 5 m and 6 h / 30 m
 * of a 28-day window (Pyrra's slo.Windows, rounded to the minute).
 */
export function pyrraPageRules(windowMs = 28 * DAY): [PageRule, PageRule] {
  const scaled = (ms: number): number => Math.max(MINUTE, Math.round((windowMs * ms) / (28 * DAY) / MINUTE) * MINUTE);
  return [
    { burnRate: 14, longMs: scaled(HOUR), shortMs: scaled(5 * MINUTE) },
    { burnRate: 7, longMs: scaled(6 * HOUR), shortMs: scaled(30 * MINUTE) },
  ];
}

/** The canary's two windows: short is the analysis interval, long the time since the canary took traffic. */
export interface CanaryWindows {
  shortMs: number;
  longMs: number;
  /** Whole analysis intervals the long window spans. */
  checks: number;
}

/**
 * A canary lives minutes, not hours, so the page rule's windows are mapped onto its life: the short window (5 m,
 * the reset time) becomes the analysis interval, the long one (1 h, the precision) the time since the canary took
 * traffic, never before it (earlier samples are of another revision). Both are at least one second (PromQL ranges).
 */
export function canaryWindows(intervalMs: number, trafficStartMs: number, nowMs: number): CanaryWindows {
  const shortMs = Math.max(1000, Math.round(intervalMs / 1000) * 1000);
  const sinceMs = Math.max(0, nowMs - trafficStartMs);
  const longMs = Math.max(shortMs, Math.floor(sinceMs / 1000) * 1000);
  return { shortMs, longMs, checks: Math.floor(longMs / shortMs) };
}

/**
 * Share (percent) of the error budget that was left when the canary took traffic which the canary's own bad events
 * consumed. Over the SLO period the budget allows (1 - objective) × total events; `spentBad` of them are spent
 * (the canary's included), so what was left before the canary is allowed - spent + canaryBad. Infinity when nothing
 * was left and the canary still failed requests; 0 when it failed none.
 */
export function budgetConsumedPercent(e: { canaryBad: number; periodTotal: number; periodBad: number; objective: number }): number {
  if (!(e.canaryBad > 0)) return 0;
  const left = (1 - e.objective) * e.periodTotal - e.periodBad + e.canaryBad;
  return left > 0 ? (e.canaryBad / left) * 100 : Infinity;
}

export type SloVerdict = 'Pass' | 'Burning' | 'BudgetExceeded' | 'TooEarly' | 'NoData';

export interface SloDecisionInput {
  /** Burn rates over the short and the long window; undefined when the window has no events. */
  shortBurnRate?: number;
  longBurnRate?: number;
  pageBurnRate: number;
  windows: CanaryWindows;
  /** The long window must span at least this many analysis intervals before the gate can fail. */
  minChecks: number;
  budgetConsumedPercent?: number;
  maxBudgetConsumedPercent?: number;
}

/**
 * The multiwindow decision: Burning when the burn rate over both windows is above the page threshold (the long
 * window alone would keep failing long after a fixed canary recovered; the short alone would fail on one bad
 * interval); BudgetExceeded when the canary consumed more of the remaining budget than allowed; TooEarly while the
 * long window spans fewer than minChecks intervals (it would be no longer than the short one); NoData when a
 * window had no events.
 */
export function decideSlo(i: SloDecisionInput): SloVerdict {
  if (
    i.maxBudgetConsumedPercent !== undefined &&
    i.budgetConsumedPercent !== undefined &&
    i.budgetConsumedPercent > i.maxBudgetConsumedPercent
  )
    return 'BudgetExceeded';
  if (i.windows.checks < i.minChecks) return 'TooEarly';
  if (i.shortBurnRate === undefined || i.longBurnRate === undefined) return 'NoData';
  return i.shortBurnRate > i.pageBurnRate && i.longBurnRate > i.pageBurnRate ? 'Burning' : 'Pass';
}

/** Rounds away float noise (0.02 × 720 is 14.399999999999999). */
const round = (n: number): number => Math.round(n * 1e9) / 1e9;
