/**
 * Argo Rollouts' successCondition / failureCondition (expr-lang expressions over `result`) as a Tollgate
 * thresholdRange, where the expression is one: comparisons of the measured value with number literals, joined by
 * `&&` (success) or `||` (failure), and an optional "no data" alternative (`len(result) == 0 ||`, `isNaN(result) ||`,
 * `default(result, N)`). Anything else (string or boolean equality, functions over several values, arithmetic) is
 * refused with the reason. Pure.
 */

export interface Range {
  min?: number;
  max?: number;
  /** What a query without data means: pass (Tollgate onNoData: ignore) or fail (the default). */
  noData: 'pass' | 'fail';
  /** A field the expression reads from the result (result.successRate), for providers that answer a JSON object. */
  field?: string;
  /** Approximations made: strict bounds made inclusive, inconclusive values made failures. */
  notes: string[];
}

export class ConditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConditionError';
  }
}

type Op = '<' | '<=' | '>' | '>=';

/** One comparison of the value with a number, `value OP bound`; or the no-data test. */
type Term = { kind: 'cmp'; op: Op; bound: number; field?: string; defaultValue?: number } | { kind: 'nodata' };

const TOKEN = /\s*(>=|<=|==|!=|&&|\|\||[<>()[\],.!]|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|'[^']*'|"[^"]*"|#|\S)/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text))) {
    if (m[1] !== undefined) out.push(m[1]);
  }
  return out.map((t) => (t === 'and' ? '&&' : t === 'or' ? '||' : t));
}

/** Splits tokens on a top-level operator (outside parentheses and brackets). */
function splitTop(tokens: string[], sep: string): string[][] {
  const parts: string[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t === '(' || t === '[') depth++;
    if (t === ')' || t === ']') depth--;
    if (t === sep && depth === 0) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

const FLIP: Record<Op, Op> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** Strips one pair of parentheses around the whole term. */
function unwrap(tokens: string[]): string[] {
  if (tokens[0] !== '(' || tokens[tokens.length - 1] !== ')') return tokens;
  const inner = tokens.slice(1, -1);
  return balanced(inner) ? inner : tokens;
}

function balanced(tokens: string[]): boolean {
  let depth = 0;
  for (const t of tokens) {
    if (t === '(') depth++;
    if (t === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** The measured value: result, result[0], result.field, result['field'], asFloat(...), asInt(...), float(...), default(result, N). */
function operand(tokens: string[]): { field?: string; defaultValue?: number } | undefined {
  const t = tokens.join(' ');
  const conv = /^(?:asFloat|asInt|float|int) \( (.*) \)$/.exec(t);
  if (conv) return operand(conv[1]!.split(' '));
  const dflt = /^default \( (.*) , (-?[\d.eE+-]+) \)$/.exec(t);
  if (dflt && NUMBER.test(dflt[2]!)) {
    const inner = operand(dflt[1]!.split(' '));
    return inner && inner.defaultValue === undefined ? { ...inner, defaultValue: Number(dflt[2]) } : undefined;
  }
  if (t === 'result' || t === 'result [ 0 ]') return {};
  const field = /^result(?: \[ 0 \])? (?:\. ([A-Za-z_][A-Za-z0-9_]*)|\[ '([^']+)' \]|\[ "([^"]+)" \])$/.exec(t);
  if (field) return { field: field[1] ?? field[2] ?? field[3]! };
  return undefined;
}

const NO_DATA = new Set(['len ( result ) == 0', 'isNaN ( result )', 'isNaN ( result [ 0 ] )', 'result == nil', 'len ( result ) < 1']);

function term(tokens: string[], text: string): Term {
  const inner = unwrap(tokens);
  if (NO_DATA.has(inner.join(' '))) return { kind: 'nodata' };
  const i = inner.findIndex((t) => t === '<' || t === '<=' || t === '>' || t === '>=');
  const eq = inner.find((t) => t === '==' || t === '!=');
  if (i < 0) {
    throw new ConditionError(
      eq ? `"${text}" tests for equality, not a range` : `"${text}" is not a comparison of the result with a number`,
    );
  }
  const left = inner.slice(0, i);
  const right = inner.slice(i + 1);
  const op = inner[i] as Op;
  if (right.length === 1 && NUMBER.test(right[0]!)) {
    const v = operand(left);
    if (v) return { kind: 'cmp', op, bound: Number(right[0]), ...v };
  }
  if (left.length === 1 && NUMBER.test(left[0]!)) {
    const v = operand(right);
    if (v) return { kind: 'cmp', op: FLIP[op], bound: Number(left[0]), ...v };
  }
  throw new ConditionError(`"${text}" does not compare the result with a number literal`);
}

interface Bounds {
  min?: number;
  max?: number;
  field?: string;
  defaultValue?: number;
  noData: boolean;
  notes: string[];
}

/** A bound the value must meet; strict bounds become inclusive (thresholdRange bounds are). */
function meet(b: Bounds, op: Op, bound: number, text: string): void {
  if (op === '>' || op === '<') b.notes.push(`"${text}": the strict bound ${bound} becomes inclusive (thresholdRange bounds are)`);
  if (op === '>' || op === '>=') b.min = b.min === undefined ? bound : Math.max(b.min, bound);
  else b.max = b.max === undefined ? bound : Math.min(b.max, bound);
}

function sameField(b: Bounds, t: Extract<Term, { kind: 'cmp' }>, text: string): void {
  if (b.field !== undefined && b.field !== t.field) throw new ConditionError(`"${text}" reads more than one field of the result`);
  if (t.field !== undefined) b.field = t.field;
  if (t.defaultValue !== undefined) b.defaultValue = t.defaultValue;
}

/** success: [nodata ||] cmp && cmp ... */
function success(text: string, b: Bounds): void {
  const alternatives = splitTop(tokenize(text), '||');
  const terms = alternatives.map((alt) => splitTop(unwrap(alt), '&&').map((c) => term(c, text)));
  const conj = terms.filter((ts) => !(ts.length === 1 && ts[0]!.kind === 'nodata'));
  if (!conj.length) throw new ConditionError(`"${text}" only tests for no data: it sets no bound on the value`);
  if (conj.length !== 1) throw new ConditionError(`"${text}" is an "or" of several ranges, not one range`);
  if (terms.length > 1) b.noData = true;
  for (const t of conj[0]!) {
    if (t.kind === 'nodata') throw new ConditionError(`"${text}" requires no data and a value at once`);
    sameField(b, t, text);
    meet(b, t.op, t.bound, text);
  }
}

const NEGATE: Record<Op, Op> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' };

/** failure: cmp || cmp ... [|| nodata]: the value passes outside of every one. */
function failure(text: string, b: Bounds): void {
  for (const alt of splitTop(tokenize(text), '||')) {
    const conj = splitTop(unwrap(alt), '&&');
    if (!conj.length) throw new ConditionError(`"${text}" only tests for no data: it sets no bound on the value`);
    if (conj.length !== 1) throw new ConditionError(`"${text}" fails on an "and" of comparisons, whose opposite is not one range`);
    const t = term(conj[0]!, text);
    if (t.kind === 'nodata') {
      b.noData = false;
      continue;
    }
    sameField(b, t, text);
    meet(b, NEGATE[t.op], t.bound, text);
  }
}

/**
 * The range of values that pass. success and failure are Argo's expressions (either may be empty, not both); a value
 * that meets neither is Inconclusive in Argo (the rollout pauses) and a failed check in Tollgate.
 */
export function conditionRange(successCondition?: string, failureCondition?: string): Range {
  const s = successCondition?.trim();
  const f = failureCondition?.trim();
  if (!s && !f)
    throw new ConditionError('neither successCondition nor failureCondition is set (every measurement is Inconclusive in Argo)');
  const b: Bounds = { noData: false, notes: [] };
  if (s) success(s, b);
  if (f) {
    const before = s ? { ...b } : undefined;
    failure(f, b);
    if (before && (before.min !== b.min || before.max !== b.max))
      b.notes.push('a value meeting neither successCondition nor failureCondition (Inconclusive in Argo) fails the check');
  }
  if (b.min !== undefined && b.max !== undefined && b.min > b.max) throw new ConditionError(`no value passes: min ${b.min} > max ${b.max}`);
  if (b.min === undefined && b.max === undefined) throw new ConditionError('the conditions set no bound on the value');
  return finish(b);
}

function finish(b: Bounds): Range {
  let noData: Range['noData'] = b.noData ? 'pass' : 'fail';
  if (b.defaultValue !== undefined) {
    const d = b.defaultValue;
    noData = (b.min === undefined || d >= b.min) && (b.max === undefined || d <= b.max) ? 'pass' : 'fail';
  }
  return {
    ...(b.min !== undefined ? { min: b.min } : {}),
    ...(b.max !== undefined ? { max: b.max } : {}),
    noData,
    ...(b.field !== undefined ? { field: b.field } : {}),
    notes: b.notes,
  };
}
