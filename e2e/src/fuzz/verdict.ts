import type { Canary, Condition } from '@tollgate/operator/api/types';
import type { FuzzCase } from './generator.js';
import { firstDifference, isObject } from './json.js';

/** The reasons a Canary the operator cannot act on may be Stalled with. */
export const STALLED_REASONS: ReadonlySet<string> = new Set([
  'InvalidSpec',
  'Unsupported',
  'TargetNotFound',
  'TargetInvalid',
  'RouterUnavailable',
  'Rejected',
  'Forbidden',
  'Failed',
  'Conflict',
]);

interface Named {
  targetRef?: { kind?: string; name?: string };
  service?: { name?: string };
}

/** The names a stored spec takes in its namespace: its target, and its apex, -primary and -canary Services. */
export function namesTaken(spec: unknown): string[] {
  const s = (isObject(spec) ? spec : {}) as Named;
  const target = s.targetRef?.name ?? '';
  const apex = s.service?.name || target;
  return [`target:${s.targetRef?.kind ?? ''}/${target}`, `service:${apex}`, `service:${apex}-primary`, `service:${apex}-canary`];
}

/** Whether two stored specs of one namespace take a name in common (then the newer one must be Stalled Conflict). */
export function shareNames(a: unknown, b: unknown): boolean {
  const mine = new Set(namesTaken(a));
  return namesTaken(b).some((n) => mine.has(n));
}

/** What the API server answered to the create. */
export type CreateResult =
  | { kind: 'created'; spec: unknown; generation: number }
  | { kind: 'refused'; status: number; reason: string; message: string }
  | { kind: 'error'; message: string };

/** A problem with the API server's answer, or undefined when it is the predicted one. */
export function checkCreate(c: FuzzCase, r: CreateResult): string | undefined {
  if (r.kind === 'error') return `create failed: ${r.message.slice(0, 300)}`;
  if (c.expect.kind === 'reject') {
    const paths = c.expect.paths;
    if (r.kind === 'created') return `accepted, expected a 422 naming ${paths.map((p) => p.path).join(', ')}`;
    if (r.status !== 422) return `refused with ${r.status} ${r.reason}, expected 422 Invalid: ${r.message.slice(0, 300)}`;
    const missing = paths.filter((p) => !namesPath(r.message, p.path, p.under)).map((p) => p.path);
    return missing.length ? `the 422 does not name ${missing.join(', ')}: ${r.message.slice(0, 400)}` : undefined;
  }
  if (r.kind === 'refused' && celFloatRefusal(c.expect.floatIntegers ?? [], r)) return undefined;
  if (r.kind === 'refused') return `refused with ${r.status} ${r.reason} but the schema allows it: ${r.message.slice(0, 400)}`;
  const diff = firstDifference(c.expect.stored, r.spec, 'spec');
  return diff ? `stored spec differs from the prediction at ${diff.slice(0, 300)}` : undefined;
}

/**
 * The server's CEL evaluation refusing an integer field written as a float literal (100.0): a 422 saying
 * "expected int, got float64" that names the field or an object holding it (where the rule that read it sits).
 */
export function celFloatRefusal(floatIntegers: string[], r: { status: number; message: string }): boolean {
  if (r.status !== 422 || !r.message.includes('expected int, got float64')) return false;
  const ancestors = (p: string): string[] => p.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));
  return floatIntegers.some((p) => ancestors(p.replace(/\[\d+\]/g, '')).some((a) => namesPath(r.message, a)));
}

/**
 * Whether an API server message names a field path (spec.a.b: ... or spec.a.b in body ...). List indices are
 * left out of the comparison: 1.20 names `spec.a.b`, later servers `spec.a[0].b`.
 */
export function namesPath(message: string, path: string, under?: string): boolean {
  const plain = (s: string): string => s.replace(/\[\d+\]/g, '');
  const [m, p, u] = [plain(message), plain(path), under === undefined ? undefined : plain(under)];
  if (m.includes(`${p}:`) || m.includes(`${p} in body`)) return true;
  return u !== undefined && (m.includes(`${u}.`) || m.includes(`${u}[`) || m.includes(`${u}:`) || m.includes(`${u} in body`));
}

export interface Report {
  /** The operator's answer is final for this check. */
  settled: boolean;
  /** Why it does not meet the expectation (settled or not). */
  problem?: string;
  /** A short class for the summary: Initialized, or the Stalled/Ready reason. */
  outcome: string;
  /** The Stalled (or else Ready) message, shortened. */
  message?: string;
}

const UNHELPFUL = [
  /\bundefined\b/,
  /\[object Object\]/,
  /\bNaN\b/,
  /\binternal:/,
  /TypeError|ReferenceError|RangeError|SyntaxError/,
  /is not a function/,
  /Cannot read prop/,
  /^\s*$/,
];

/**
 * A message that says nothing or leaks a programming error; the user's own strings (anything in the spec)
 * are taken out first, so a target named "undefined" does not count.
 */
export function unhelpful(message: string | undefined, spec: unknown): string | undefined {
  if (!message || message.trim().length < 8) return `message ${JSON.stringify(message ?? '')} is too short to help`;
  let rest = message;
  for (const s of stringsOf(spec).sort((a, b) => b.length - a.length)) if (s.length >= 2) rest = rest.split(s).join('‹›');
  const hit = UNHELPFUL.find((re) => re.test(rest));
  return hit ? `message matches ${hit}: ${message.slice(0, 300)}` : undefined;
}

function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsOf(x, out));
  else if (isObject(v))
    for (const k of Object.keys(v)) {
      out.push(k);
      stringsOf(v[k], out);
    }
  return out;
}

const cond = (c: Canary, type: string): Condition | undefined => c.status?.conditions?.find((x) => x.type === type);

/** Judges the operator's report of an accepted Canary against the case's expectation. */
export function checkReport(c: FuzzCase, canary: Canary | undefined): Report {
  if (c.expect.kind !== 'accept') return { settled: true, outcome: 'rejected' };
  if (!canary) return { settled: false, problem: 'the Canary is gone', outcome: 'missing' };
  const ready = cond(canary, 'Ready');
  const stalled = cond(canary, 'Stalled');
  const generation = canary.metadata.generation ?? 0;
  if (!ready) return { settled: false, problem: 'no Ready condition', outcome: 'unreported' };
  if (ready.observedGeneration !== generation)
    return { settled: false, problem: `Ready is about generation ${ready.observedGeneration}, not ${generation}`, outcome: 'stale' };
  if (!ready.reason) return { settled: true, problem: 'Ready condition without a reason', outcome: 'no-reason' };
  const blocked = stalled?.status === 'True' ? stalled : undefined;
  const outcome =
    canary.status?.phase === 'Initialized'
      ? 'Initialized'
      : blocked
        ? `Stalled/${blocked.reason}`
        : `Ready=${ready.status}/${ready.reason}`;
  const spec = canary.spec;
  const shown = (blocked ?? ready).message ?? '';
  const message = shown.length > 300 ? `${shown.slice(0, 300)}…(${shown.length} chars)` : shown;
  const judged = checkOutcome(c, canary, ready, blocked, outcome, spec);
  return { ...judged, message };
}

// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
function checkOutcome(
  c: FuzzCase,
  canary: Canary,
  ready: Condition,
  blocked: Condition | undefined,
  outcome: string,
  spec: unknown,
): Report {
  if (c.expect.kind !== 'accept') return { settled: true, outcome };
  const noise = unhelpful(ready.message, spec) ?? (blocked ? unhelpful(blocked.message, spec) : undefined);
  if (noise) return { settled: true, problem: noise, outcome };
  if (blocked && !STALLED_REASONS.has(blocked.reason ?? ''))
    return { settled: true, problem: `Stalled with an unknown reason ${blocked.reason}`, outcome };
  const o = c.expect.outcome;
  switch (o.kind) {
    case 'report':
      return { settled: true, outcome };
    case 'initialize':
      if (canary.status?.phase === 'Initialized' && ready.status === 'True') return { settled: true, outcome };
      return {
        settled: false,
        problem: `not initialized: phase ${canary.status?.phase || '(none)'}, Ready ${ready.status} ${ready.reason}: ${ready.message?.slice(0, 300)}`,
        outcome,
      };
    case 'blocked': {
      if (!blocked)
        return {
          settled: false,
          problem: `expected Stalled ${o.reason}, got Ready ${ready.status} ${ready.reason}: ${ready.message?.slice(0, 200)}`,
          outcome,
        };
      if (blocked.reason !== o.reason)
        return {
          settled: true,
          problem: `expected Stalled ${o.reason}, got ${blocked.reason}: ${blocked.message?.slice(0, 300)}`,
          outcome,
        };
      const missing = o.fragments.filter((re) => !re.test(blocked.message ?? ''));
      if (missing.length)
        return {
          settled: true,
          problem: `Stalled ${blocked.reason} message lacks ${missing.join(', ')}: ${blocked.message?.slice(0, 300)}`,
          outcome,
        };
      if (ready.status !== 'False') return { settled: true, problem: `Stalled but Ready is ${ready.status}`, outcome };
      return { settled: true, outcome };
    }
  }
}
