/**
 * Reads an SLO definition (Sloth PrometheusServiceLevel, Pyrra ServiceLevelObjective, OpenSLO v1 SLO) into what
 * the gate needs: the objective, the SLO period, the SLI's error and total queries for any window, and the page
 * burn rate the definition's own alerts use. Pure: the objects are read by the caller.
 */
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../api/types.js';
import { pyrraPageRules, slothPageRules } from './burn-rate.js';

export interface SloDefinition {
  /** Kind/name[/slo], for the status and the Events. */
  source: string;
  /** The objective as a ratio (0.999). */
  objective: number;
  periodMs: number;
  /** The SLI's bad events per second over a window (a PromQL duration such as 5m). */
  errorQuery(window: string): string;
  /** The SLI's events per second over a window. */
  totalQuery(window: string): string;
  /** The page threshold of the definition's own alerts (the fast page rule). */
  pageBurnRate: number;
  thresholdFrom: 'sloth' | 'pyrra' | 'sre-workbook';
}

/** The definition cannot be used: missing, of a kind of SLI the gate does not read, or malformed. */
export class SloSourceError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'SloSourceError';
  }
}

const DAY = 86_400_000;
const PROM_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY, y: 365 * DAY };

/** A Prometheus duration (1d12h, 4w, 28d) in milliseconds. */
export function parsePromDuration(text: string): number {
  const part = /([0-9]+)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  if (!text) throw new SloSourceError('InvalidSLO', 'empty duration');
  while (part.lastIndex < text.length) {
    const m = part.exec(text);
    if (!m) throw new SloSourceError('InvalidSLO', `invalid duration "${text}" (a Prometheus duration such as 28d or 4w)`);
    total += Number(m[1]) * PROM_UNITS[m[2]!]!;
  }
  return total;
}

/** An objective as a ratio strictly between 0 and 1, from a percentage. */
function objectiveFromPercent(percent: unknown, where: string): number {
  const n = typeof percent === 'string' ? Number(percent) : percent;
  if (typeof n !== 'number' || !(n > 0 && n < 100))
    throw new SloSourceError('InvalidSLO', `${where}: objective ${String(percent)} is not a percentage between 0 and 100`);
  return n / 100;
}

const SLOTH_WINDOW = /\{\{\s*\.window\s*\}\}/g;

interface SlothSlo {
  name?: string;
  objective?: number;
  sli?: { events?: { errorQuery?: string; totalQuery?: string }; raw?: unknown; plugin?: unknown };
}

/** A Sloth PrometheusServiceLevel's SLO by name (or its only one): an events SLI with {{.window}} in both queries. */
export function fromSloth(obj: KubeObject & { spec?: { slos?: SlothSlo[] } }, sloName?: string): SloDefinition {
  const slos = obj.spec?.slos ?? [];
  const where = `PrometheusServiceLevel ${obj.metadata.name}`;
  const slo = sloName ? slos.find((s) => s.name === sloName) : slos.length === 1 ? slos[0] : undefined;
  if (!slo)
    throw new SloSourceError(
      'SLONotFound',
      sloName
        ? `${where} has no SLO named "${sloName}" (it has: ${slos.map((s) => s.name).join(', ') || 'none'})`
        : `${where} has ${slos.length} SLOs: name one with slo.ref.sloName`,
    );
  const at = `${where}/${slo.name}`;
  const events = slo.sli?.events;
  if (!events?.errorQuery || !events.totalQuery)
    throw new SloSourceError('UnsupportedSLI', `${at}: only an events SLI (errorQuery and totalQuery) can be scoped to the canary`);
  for (const q of [events.errorQuery, events.totalQuery])
    if (!new RegExp(SLOTH_WINDOW.source).test(q)) throw new SloSourceError('InvalidSLO', `${at}: a query without {{.window}}: ${q}`);
  const fill = (q: string) => (window: string) => q.replace(SLOTH_WINDOW, window);
  return {
    source: `PrometheusServiceLevel/${obj.metadata.name}/${slo.name}`,
    objective: objectiveFromPercent(slo.objective, at),
    periodMs: 30 * DAY,
    errorQuery: fill(events.errorQuery),
    totalQuery: fill(events.totalQuery),
    pageBurnRate: slothPageRules(30 * DAY)[0].burnRate,
    thresholdFrom: 'sloth',
  };
}

interface PyrraSpec {
  target?: string;
  window?: string;
  indicator?: {
    ratio?: { errors?: { metric?: string }; total?: { metric?: string } };
    latency?: { success?: { metric?: string }; total?: { metric?: string } };
  };
}

/** A Pyrra ServiceLevelObjective with a ratio or latency indicator: the metrics wrapped in sum(rate(...[window])). */
export function fromPyrra(obj: KubeObject & { spec?: PyrraSpec }): SloDefinition {
  const where = `ServiceLevelObjective ${obj.metadata.name}`;
  const s = obj.spec ?? {};
  const rate = (metric: string) => (w: string) => `sum(rate(${metric}[${w}]))`;
  const ratio = s.indicator?.ratio;
  const latency = s.indicator?.latency;
  let errorQuery: (w: string) => string;
  let totalQuery: (w: string) => string;
  if (ratio?.errors?.metric && ratio.total?.metric) {
    errorQuery = rate(ratio.errors.metric);
    totalQuery = rate(ratio.total.metric);
  } else if (latency?.success?.metric && latency.total?.metric) {
    const [total, success] = [latency.total.metric, latency.success.metric];
    errorQuery = (w) => `(${rate(total)(w)} - ${rate(success)(w)})`;
    totalQuery = rate(total);
  } else throw new SloSourceError('UnsupportedSLI', `${where}: only a ratio or latency indicator can be scoped to the canary`);
  const windowMs = parsePromDuration(s.window ?? '28d');
  return {
    source: `ServiceLevelObjective/${obj.metadata.name}`,
    objective: objectiveFromPercent(s.target, where),
    periodMs: windowMs,
    errorQuery,
    totalQuery,
    pageBurnRate: pyrraPageRules(windowMs)[0].burnRate,
    thresholdFrom: 'pyrra',
  };
}

interface OpenSloMetric {
  metricSource?: { type?: string; spec?: { query?: string } };
}
interface OpenSloDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    indicator?: { spec?: { ratioMetric?: { good?: OpenSloMetric; bad?: OpenSloMetric; total?: OpenSloMetric } } };
    timeWindow?: { duration?: string }[];
    objectives?: { target?: number; targetPercent?: number }[];
  };
}

/** Most bytes of OpenSLO YAML read from a ConfigMap key. */
export const MAX_OPENSLO_BYTES = 256 * 1024;

/**
 * An OpenSLO v1 SLO (in YAML, possibly among other documents) with an inline ratioMetric of Prometheus queries.
 * Its queries are range-free selectors or expressions of counters; the gate wraps each in
 * sum(rate((...)[window])) when it is a bare selector, and fills {{.window}} / $window otherwise.
 */
export function fromOpenSLO(text: string, where: string, sloName?: string): SloDefinition {
  const doc = openSloDocument(text, where, sloName);
  const at = `${where}/${doc.metadata?.name}`;
  const r = doc.spec?.indicator?.spec?.ratioMetric;
  const query = (m?: OpenSloMetric): string | undefined => m?.metricSource?.spec?.query;
  const [good, bad, total] = [query(r?.good), query(r?.bad), query(r?.total)];
  if (!total || !(good || bad))
    throw new SloSourceError(
      'UnsupportedSLI',
      `${at}: only an inline ratioMetric with total and good or bad Prometheus queries can be scoped to the canary`,
    );
  const windowMs = parsePromDuration(doc.spec?.timeWindow?.[0]?.duration ?? '28d');
  return {
    source: `OpenSLO/${where.split(' ').pop()}/${doc.metadata?.name}`,
    objective: openSloObjective(doc, at),
    periodMs: windowMs,
    errorQuery: bad ? openSloRate(bad) : (w) => `(${openSloRate(total)(w)} - ${openSloRate(good!)(w)})`,
    totalQuery: openSloRate(total),
    pageBurnRate: slothPageRules(windowMs)[0].burnRate,
    thresholdFrom: 'sre-workbook',
  };
}

/** The openslo/v1 SLO document of that name (or the only one) in the YAML, size-capped. */
function openSloDocument(text: string, where: string, sloName?: string): OpenSloDoc {
  if (Buffer.byteLength(text) > MAX_OPENSLO_BYTES) throw new SloSourceError('InvalidSLO', `${where}: more than ${MAX_OPENSLO_BYTES} bytes`);
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    throw new SloSourceError('InvalidSLO', `${where}: not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const slos = docs.filter(
    (d): d is OpenSloDoc => (d as OpenSloDoc | null)?.kind === 'SLO' && (d as OpenSloDoc).apiVersion === 'openslo/v1',
  );
  const doc = sloName ? slos.find((d) => d.metadata?.name === sloName) : slos.length === 1 ? slos[0] : undefined;
  if (doc) return doc;
  throw new SloSourceError(
    'SLONotFound',
    `${where}: ${sloName ? `no openslo/v1 SLO named "${sloName}"` : `${slos.length} openslo/v1 SLOs: name one with slo.ref.sloName`}`,
  );
}

/** The first objective's target (a ratio) or targetPercent, as a ratio. */
function openSloObjective(doc: OpenSloDoc, at: string): number {
  const o = doc.spec?.objectives?.[0];
  return o?.target !== undefined ? objectiveFromPercent(o.target * 100, at) : objectiveFromPercent(o?.targetPercent, at);
}

const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}|\$window\b/g;

/** A query with a window placeholder is filled; a bare counter selector is wrapped in sum(rate(...[window])). */
const openSloRate = (q: string) => (w: string) =>
  new RegExp(WINDOW_PLACEHOLDER.source).test(q) ? q.replace(WINDOW_PLACEHOLDER, w) : `sum(rate(${q}[${w}]))`;
