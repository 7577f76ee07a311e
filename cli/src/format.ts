import type { Canary, CheckResult, Judgement, SloEvaluation } from '@tollgate/operator/api/types';
import { formatDuration } from '@tollgate/operator/api/duration';
import {
  ANNOTATIONS,
  analysisSettings,
  conditionOf,
  eventCount,
  eventLast,
  eventsOfRun,
  eventStart,
  isPaused,
  phaseOf,
  runInProgress,
  runStart,
  thresholdOf,
  type CoreEvent,
} from './canary.js';

/** Pure text formatting: tables, durations, the status timeline. Nothing here reads a clock or the cluster. */

/** A short human duration, as kubectl prints ages: 45s, 3m20s, 45m, 3h20m, 30h, 3d4h, 45d, 2y10d. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 730) return `${d}d`;
  const y = Math.floor(d / 365);
  return d % 365 ? `${y}y${d % 365}d` : `${y}y`;
}

/** How long ago an RFC 3339 time was; "-" when absent or unreadable. */
export function age(iso: string | undefined | null, now: number): string {
  const t = Date.parse(iso ?? '');
  return Number.isFinite(t) ? humanDuration(now - t) : '-';
}

/** A signed offset on a timeline: +0s, +1m5s, -3m (Event times have whole seconds: less than a second early is +0s). */
export const offset = (ms: number): string => `${ms <= -1000 ? '-' : '+'}${humanDuration(Math.abs(ms))}`;

/** Columns padded to their widest cell, three spaces apart, as kubectl prints them; no trailing blanks. */
export function table(headers: string[], rows: string[][], indent = ''): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map(
    (r) =>
      indent +
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
  );
}

/** A metric value: integers as is, others to at most 3 decimals. */
export function num(v: number | undefined): string {
  if (v === undefined || v === null) return '-';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3)));
}

export function boundsText(c: CheckResult): string {
  if (c.min !== undefined && c.max !== undefined) return `${num(c.min)}..${num(c.max)}`;
  if (c.min !== undefined) return `>= ${num(c.min)}`;
  if (c.max !== undefined) return `<= ${num(c.max)}`;
  return '-';
}

/** "ok", "held: …", "FAIL: …"; a dry-run metric's result starts with "dry-run" (it never counts). */
export function checkResultText(c: CheckResult): string {
  const dry = c.dryRun ? 'dry-run ' : '';
  if (c.ok) return `${dry}ok`;
  const why = c.message ?? c.reason ?? '';
  if (c.halt && !c.dryRun) return `held${why ? `: ${why}` : ''}`;
  return `${dry}FAIL${why ? `: ${why}` : ''}`;
}

/** A p-value: 4 decimals, or in exponent form below 0.001. */
const pText = (p: number | undefined): string => (p === undefined ? '-' : p >= 0.001 ? String(Number(p.toFixed(4))) : p.toExponential(2));

/** The statistical judge's latest judgement: the score against its thresholds, then one row per metric. */
function judgementLines(j: Judgement): string[] {
  const score = j.score === undefined ? 'no metric with enough data' : `score ${num(j.score)}`;
  const rows = j.metrics.map((m) => [
    m.name,
    m.classification,
    num(m.canaryMedian),
    num(m.primaryMedian),
    m.ratio === undefined ? (m.canaryMedian === undefined ? '-' : 'Infinity') : num(m.ratio),
    pText(m.pValue),
    `${m.canarySamples}/${m.primarySamples}`,
  ]);
  return [
    `Judge: ${score}, ${j.verdict} (pass >= ${num(j.pass)}, marginal >= ${num(j.marginal)}):`,
    ...table(['METRIC', 'CLASS', 'CANARY MEDIAN', 'PRIMARY MEDIAN', 'RATIO', 'P-VALUE', 'SAMPLES'], rows, '  '),
  ];
}

/** The SLO gate's latest evaluation: the SLO, its page threshold and verdict, then one row per window. */
function sloLines(e: SloEvaluation): string[] {
  const burn = (r: number | undefined): string => (r === undefined ? 'no events' : num(r));
  const ratio = (r: number | undefined): string => (r === undefined ? '-' : `${num(r * 100)}%`);
  const rows = [
    ['short (interval)', e.short.window, ratio(e.short.errorRatio), burn(e.short.burnRate)],
    ['long (since traffic)', e.long.window, ratio(e.long.errorRatio), burn(e.long.burnRate)],
    ...(e.primaryBurnRate !== undefined ? [['primary (long)', e.long.window, '-', num(e.primaryBurnRate)]] : []),
  ];
  const budget =
    e.budgetConsumedPercent === undefined
      ? []
      : [
          `  budget consumed: ${num(e.budgetConsumedPercent)}% of what was left${e.maxBudgetConsumedPercent !== undefined ? ` (max ${num(e.maxBudgetConsumedPercent)}%)` : ''}`,
        ];
  return [
    `SLO: ${e.source} (${num(e.objective)}%), page burn rate ${num(e.pageBurnRate)} (${e.thresholdFrom}): ${e.verdict}`,
    ...table(['WINDOW', 'LENGTH', 'ERRORS', 'BURN RATE'], rows, '  '),
    ...budget,
  ];
}

/** Ready condition as "True (Succeeded)"; "-" before the operator reports one. */
function readyText(c: Canary): string {
  const ready = conditionOf(c, 'Ready');
  return ready ? `${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : '-';
}

const failedText = (c: Canary): string => `${c.status?.failedChecks ?? 0}/${thresholdOf(c)}`;

/** How the analysis moves, in one line: "canary, +20 up to 60 every 3s, rollback after 2 failed checks". */
export function strategyText(c: Canary): string {
  const a = analysisSettings(c);
  if (!a) return 'analysis settings unreadable (see the Ready condition)';
  const every = `every ${formatDuration(a.intervalMs)}`;
  let how: string;
  if (a.strategy === 'blue-green') how = `blue/green, ${a.iterations} iterations ${every}`;
  else if (a.strategy === 'ab-testing') how = `A/B testing, ${a.iterations} iterations ${every}`;
  else if (a.stepWeights.length) how = `canary, weights ${a.stepWeights.join(', ')} ${every}`;
  else how = `canary, +${a.stepWeight} up to ${a.maxWeight} ${every}`;
  const extras = [
    a.replicaRatio ? 'by replica ratio' : '',
    a.mirror ? 'mirrored' : '',
    a.stepWeightPromotion ? `promotion in steps of ${a.stepWeightPromotion}` : '',
    a.skipAnalysis ? 'analysis skipped (skipAnalysis)' : `rollback after ${a.threshold} failed check${a.threshold === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return [how, ...extras].join(', ');
}

export interface GetOptions {
  allNamespaces: boolean;
  wide: boolean;
  now: number;
}

/** The `tollgate get` table. */
export function canaryTable(canaries: Canary[], o: GetOptions): string[] {
  const headers = [
    ...(o.allNamespaces ? ['NAMESPACE'] : []),
    'NAME',
    'PHASE',
    'WEIGHT',
    'FAILED',
    'REVISION',
    'PROMOTED',
    'READY',
    'AGE',
    ...(o.wide ? ['PROVIDER', 'TARGET', 'INTERVAL', 'PAUSED', 'MESSAGE'] : []),
  ];
  const rows = canaries.map((c) => {
    const s = c.status ?? {};
    const a = analysisSettings(c);
    return [
      ...(o.allNamespaces ? [c.metadata.namespace ?? ''] : []),
      c.metadata.name ?? '',
      phaseOf(c),
      String(s.canaryWeight ?? 0),
      failedText(c),
      s.lastAppliedSpec || '-',
      s.lastPromotedSpec || '-',
      readyText(c),
      age(c.metadata.creationTimestamp, o.now),
      ...(o.wide
        ? [
            c.spec.provider ?? '-',
            `${c.spec.targetRef.kind}/${c.spec.targetRef.name}`,
            a ? formatDuration(a.intervalMs) : '-',
            isPaused(c) ? 'true' : 'false',
            oneLine(conditionOf(c, 'Ready')?.message ?? ''),
          ]
        : []),
    ];
  });
  return table(headers, rows);
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ');

export interface StatusOptions {
  now: number;
  /** Events of earlier runs too (by default those of the current run only). */
  allEvents?: boolean;
}

/** `tollgate status`: the current run as a readable page. */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export function statusLines(c: Canary, events: CoreEvent[], o: StatusOptions): string[] {
  const s = c.status ?? {};
  const a = analysisSettings(c);
  const phase = phaseOf(c);
  const paused = isPaused(c);
  const field = (label: string, value: string): string => `${`${label}:`.padEnd(12)}${value}`;
  const out: string[] = [];
  out.push(field('Canary', `${c.metadata.namespace}/${c.metadata.name}`));
  out.push(field('Target', `${c.spec.targetRef.kind}/${c.spec.targetRef.name}${c.spec.provider ? ` via ${c.spec.provider}` : ''}`));
  out.push(field('Strategy', strategyText(c)));
  const pauseNote = paused
    ? runInProgress(c)
      ? ` (paused: ${ANNOTATIONS.paused}=true)`
      : ` (the next run will be paused: ${ANNOTATIONS.paused}=true)`
    : '';
  out.push(field('Phase', `${phase}${pauseNote}${c.spec.suspend ? ' (suspended: spec.suspend)' : ''}`));
  if (s.lastAppliedSpec) {
    out.push(
      field(
        'Revision',
        s.lastAppliedSpec === s.lastPromotedSpec
          ? `${s.lastAppliedSpec} (promoted)`
          : `${s.lastAppliedSpec} under analysis, ${s.lastPromotedSpec || 'none'} promoted`,
      ),
    );
  }
  out.push(field('Weight', `${s.canaryWeight ?? 0}%${s.mirrored ? ' (mirroring)' : ''}`));
  const iterations = a && a.iterations > 0 ? `${s.iterations ?? 0} of ${a.iterations}` : String(s.iterations ?? 0);
  out.push(field('Iteration', iterations));
  out.push(field('Failed', `${s.failedChecks ?? 0} of ${thresholdOf(c)} checks`));
  const started = Date.parse(s.runStartTime ?? '');
  if (Number.isFinite(started)) {
    const last = s.lastAnalysisTime && s.lastAnalysisTime !== s.runStartTime ? `, last analysis ${age(s.lastAnalysisTime, o.now)} ago` : '';
    out.push(field('Run', `started ${age(s.runStartTime, o.now)} ago${last}`));
  }
  const ready = conditionOf(c, 'Ready');
  if (ready) out.push(field('Ready', `${readyText(c)}${ready.message ? `: ${oneLine(ready.message)}` : ''}`));

  out.push('');
  const checks = s.lastChecks ?? [];
  if (checks.length) {
    out.push(`Last analysis (${age(s.lastAnalysisTime, o.now)} ago):`);
    out.push(
      ...table(
        ['METRIC', 'VALUE', 'BOUNDS', 'RESULT'],
        checks.map((k) => [k.name, num(k.value), boundsText(k), oneLine(checkResultText(k))]),
        '  ',
      ),
    );
  } else {
    out.push(Number.isFinite(started) ? 'Last analysis: no checks yet in this run' : 'Last analysis: none (no run yet)');
  }
  if (s.lastJudgement) out.push('', ...judgementLines(s.lastJudgement));
  if (s.lastSLO) out.push('', ...sloLines(s.lastSLO));

  out.push('');
  const conditions = s.conditions ?? [];
  if (conditions.length) {
    out.push('Conditions:');
    out.push(
      ...table(
        ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
        conditions.map((x) => [x.type, x.status, x.reason ?? '', age(x.lastTransitionTime, o.now), oneLine(x.message ?? '')]),
        '  ',
      ),
    );
  } else {
    out.push('Conditions: none reported yet');
  }

  out.push('');
  out.push(...eventSection(c, events, o));
  return out;
}

function eventSection(c: Canary, events: CoreEvent[], o: StatusOptions): string[] {
  const shown = o.allEvents ? events : eventsOfRun(c, events);
  const hidden = events.length - shown.length;
  const hiddenNote = hidden > 0 ? ` (${hidden} earlier not shown: --all-events)` : '';
  if (!shown.length) return [`Events: none${hiddenNote}`];
  const start = runStart(c);
  const origin = start ?? eventStart(shown[0]!);
  // In the run's view, an Event repeated since an earlier run is placed at its last time, which is in this run.
  const at = (e: CoreEvent): number =>
    o.allEvents || start === undefined || eventStart(e) >= Math.floor(start / 1000) * 1000 ? eventStart(e) : eventLast(e);
  const rows = [...shown]
    .sort((a, b) => at(a) - at(b))
    .map((e) => [offset(at(e) - origin), e.type ?? '', e.reason ?? '', `${oneLine(e.message ?? '')}${repeatNote(e, at(e), origin)}`]);
  const from = start !== undefined ? "the run's start" : 'the first Event';
  return [`Events, oldest first, times from ${from}${hiddenNote}:`, ...table(['AT', 'TYPE', 'REASON', 'MESSAGE'], rows, '  ')];
}

function repeatNote(e: CoreEvent, at: number, origin: number): string {
  const n = eventCount(e);
  if (n <= 1) return '';
  return at === eventStart(e)
    ? ` (x${n}, last at ${offset(eventLast(e) - origin)})`
    : ` (x${n}, the first at ${offset(eventStart(e) - origin)})`;
}

/** One line about where the run stands, for wait and status --watch: "Progressing  weight 20  failed 0/2  canary weight 20". */
export function summaryLine(c: Canary): string {
  const s = c.status ?? {};
  const a = analysisSettings(c);
  const parts = [phaseOf(c), `weight ${s.canaryWeight ?? 0}`];
  if (a && a.iterations > 0) parts.push(`iteration ${s.iterations ?? 0}/${a.iterations}`);
  parts.push(`failed ${failedText(c)}`);
  if (isPaused(c) && runInProgress(c)) parts.push('paused');
  const message = conditionOf(c, 'Ready')?.message;
  return `${parts.join('  ')}${message ? `: ${oneLine(message)}` : ''}`;
}

/** The checks of an analysis step on one line: "request-success-rate 99.9 (>= 99) ok; request-duration 612 (<= 500) FAIL". */
export const checksLine = (checks: CheckResult[]): string =>
  checks
    .map(
      (k) =>
        `${k.name} ${num(k.value)} (${boundsText(k)}) ${k.dryRun ? 'dry-run ' : ''}${k.ok ? 'ok' : k.halt && !k.dryRun ? 'held' : 'FAIL'}`,
    )
    .join('; ');

export interface Snapshot {
  canary: Canary | undefined;
  events: CoreEvent[];
}

/**
 * What changed between two snapshots, as timeline lines for `status --watch`: a new run, the run's state (seen
 * at now), the checks of a new analysis step, and new or repeated Events. Times are offsets from the run's start.
 */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export function changeLines(prev: Snapshot | undefined, next: Snapshot, now: number): string[] {
  const c = next.canary;
  if (!c) return prev?.canary ? ['canary deleted'] : [];
  const p = prev?.canary;
  const s = c.status ?? {};
  const origin = Date.parse(s.runStartTime ?? '');
  const at = (t: number): string => (Number.isFinite(origin) && Number.isFinite(t) ? offset(t - origin) : '').padEnd(8);
  const out: string[] = [];
  if (p && s.runStartTime && s.runStartTime !== p.status?.runStartTime)
    out.push(`${at(origin)}new run of revision ${s.lastAppliedSpec ?? '?'}`);
  const summary = summaryLine(c);
  if (!p || summaryLine(p) !== summary) out.push(`${at(now)}${summary}`);
  if ((!p || p.status?.lastAnalysisTime !== s.lastAnalysisTime) && s.lastChecks?.length) {
    out.push(`${at(Date.parse(s.lastAnalysisTime ?? ''))}checks: ${checksLine(s.lastChecks)}`);
  }
  const before = new Map((prev?.events ?? []).map((e) => [e.metadata?.name ?? '', eventCount(e)]));
  for (const e of next.events) {
    const seen = before.get(e.metadata?.name ?? '');
    if (seen !== undefined && seen >= eventCount(e)) continue;
    if (Number.isFinite(origin) && eventLast(e) < Math.floor(origin / 1000) * 1000) continue;
    const n = eventCount(e);
    out.push(`${at(eventLast(e))}event ${e.type ?? ''} ${e.reason ?? ''}: ${oneLine(e.message ?? '')}${n > 1 ? ` (x${n})` : ''}`);
  }
  return out;
}
