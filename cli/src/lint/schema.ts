/**
 * Validation of a value against a CRD's structural schema (openAPIV3Schema), as the API server does it, with its
 * messages (apiextensions-apiserver: kube-openapi's validator, its errors turned into field errors). Fields the
 * schema does not declare are reported as `kubectl --validate=strict` (the default) reports them; under
 * x-kubernetes-preserve-unknown-fields anything goes. Null object members are pruned as the API server prunes them; a
 * null list item is refused unless the items are nullable. e2e/src/fuzz/schema.ts (checked against real servers) is
 * the reference for what is refused. Pure.
 *
 * Why not ajv: the messages must be the API server's, word for word, so every ajv error would need translating
 * back; the Kubernetes extensions (int-or-string, preserve-unknown-fields, pruning) would need custom keywords; and
 * the CRDs use a dozen keywords. The validator is this file.
 */
import { isObject, type Path } from './source.js';

export type Schema = Record<string, unknown>;

export interface SchemaFinding {
  path: Path;
  /** The API server's message, starting with the field path. */
  message: string;
  /**
   * Stops the CEL rules, as on the API server: every error but a value out of bounds or off its pattern (those the
   * rules can still read).
   */
  blocking: boolean;
  /** unknown: a field the schema does not declare. */
  kind: 'invalid' | 'unknown';
}

/** The field path as the API server prints schema errors: spec.analysis.metrics[0].name, map keys as fields. */
export function fieldPath(path: Path): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i ? `.${seg}` : seg)).join('');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The JSON type of a value as kube-openapi names it. An integer is a whole number that fits an int64 (the API server
 * decodes a larger one as a float64: 1e20 is a number); a JS number at or past 2^63 cannot be told from one that is.
 */
function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'integer' : 'number';
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** A value in an "Invalid value: ..." message: strings quoted as Go's %q, numbers and booleans as they are. */
function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(jsonType(v));
}

const itemCount = (n: number): string => `${n} item${n === 1 ? '' : 's'}`;

interface Walk {
  out: SchemaFinding[];
  unknown: SchemaFinding[];
}

class Visit {
  constructor(
    readonly path: Path,
    readonly w: Walk,
  ) {}
  get field(): string {
    return fieldPath(this.path);
  }
  child(seg: string | number): Visit {
    return new Visit([...this.path, seg], this.w);
  }
  add(detail: string, blocking = true): void {
    this.w.out.push({ path: this.path, message: `${this.field}: ${detail}`, blocking, kind: 'invalid' });
  }
  invalid(value: unknown, what: string): void {
    this.add(`Invalid value: ${goValue(value)}: ${this.field} in body ${what}`, false);
  }
}

/** Every way the value breaks the schema; unknown fields last (the API server refuses them before validating). */
export function validateSchema(schema: Schema, value: unknown, path: Path = []): SchemaFinding[] {
  const w: Walk = { out: [], unknown: [] };
  visit(schema, value, new Visit(path, w));
  return [...w.out, ...w.unknown];
}

function visit(schema: Schema, value: unknown, v: Visit): void {
  if (!typeMatches(schema, value, v)) return;
  if (typeof value === 'string') checkString(schema, value, v);
  else if (typeof value === 'number') checkNumber(schema, value, v);
  checkEnum(schema, value, v);
  if (Array.isArray(value)) checkArray(schema, value, v);
  else if (isObject(value)) checkObject(schema, value, v);
}

function typeMatches(schema: Schema, value: unknown, v: Visit): boolean {
  // Only a list item reaches here as null (null object members are pruned first); it is refused unless nullable.
  if (value === null && schema.nullable === true) return false;
  const actual = jsonType(value);
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (actual === 'integer' || actual === 'string') return true;
    v.add(`Invalid value: ${JSON.stringify(actual)}: ${v.field} in body must be of type integer,string: ${JSON.stringify(actual)}`);
    return false;
  }
  const want = (schema.type as string | undefined) ?? (value === null ? 'object' : undefined);
  if (!want || want === actual || (want === 'number' && actual === 'integer')) return true;
  v.add(`Invalid value: ${JSON.stringify(actual)}: ${v.field} in body must be of type ${want}: ${JSON.stringify(actual)}`, true);
  return false;
}

function checkString(schema: Schema, value: string, v: Visit): void {
  const length = [...value].length;
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) v.add(`Too long: may not be more than ${schema.maxLength} bytes`);
  if (typeof schema.minLength === 'number' && length < schema.minLength)
    v.invalid(value, `should be at least ${schema.minLength} chars long`);
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
    v.invalid(value, `should match '${schema.pattern}'`);
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value)))
    v.add(`Invalid value: ${goValue(value)}: ${v.field} in body must be of type date-time: ${goValue(value)}`);
}

/**
 * Whether the API server decodes the value as an int64: kubectl sends a whole number without a fraction (Go formats
 * the float64 1.0 as 1), and the server tries int64 first. Such a value is checked against the bounds truncated to
 * integers, as kube-openapi's MinimumNativeType does (int64(0.5) is 0): `confidence: 0` passes `minimum: 0.5`.
 */
const decodedAsInt64 = (n: number): boolean => Number.isInteger(n) && Math.abs(n) < 2 ** 63;

function checkNumber(schema: Schema, value: number, v: Visit): void {
  const bound = (b: unknown): number | undefined =>
    typeof b !== 'number' ? undefined : decodedAsInt64(value) && schema.type === 'number' ? Math.trunc(b) : b;
  const [max, min] = [bound(schema.maximum), bound(schema.minimum)];
  if (max !== undefined && value > max) v.invalid(value, `should be less than or equal to ${schema.maximum}`);
  if (min !== undefined && value < min) v.invalid(value, `should be greater than or equal to ${schema.minimum}`);
}

function checkEnum(schema: Schema, value: unknown, v: Visit): void {
  const values = schema.enum as unknown[] | undefined;
  if (!values || values.some((e) => e === value)) return;
  v.add(`Unsupported value: ${goValue(value)}: supported values: ${values.map((e) => goValue(e)).join(', ')}`);
}

function checkArray(schema: Schema, value: unknown[], v: Visit): void {
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
    v.add(`Too many: ${value.length}: must have at most ${itemCount(schema.maxItems)}`);
  if (typeof schema.minItems === 'number' && value.length < schema.minItems)
    v.invalid(value, `should have at least ${schema.minItems} items`);
  const items = schema.items;
  if (!isObject(items)) return;
  value.forEach((item, i) => visit(items, item, v.child(i)));
}

function checkObject(schema: Schema, value: Record<string, unknown>, v: Visit): void {
  const props = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : undefined;
  const extra = isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined;
  const open = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  const present = Object.keys(value).filter((k) => value[k] !== null && value[k] !== undefined);
  const before = v.w.out.length;
  let kept = 0;
  for (const req of (schema.required as string[] | undefined) ?? []) {
    if (!present.includes(req)) v.child(req).add('Required value');
  }
  for (const key of present) {
    const sub = props && Object.hasOwn(props, key) ? props[key] : extra;
    if (sub || open) kept++;
    if (sub) visit(sub, value[key], v.child(key));
    else if (!open) v.w.unknown.push(unknownField(v.child(key)));
  }
  // Too many members (unknown fields pruned first): the API server reports that alone, not what is wrong inside.
  if (typeof schema.maxProperties === 'number' && kept > schema.maxProperties) {
    v.w.out.splice(before);
    v.add(`Too many: ${kept}: must have at most ${itemCount(schema.maxProperties)}`);
  }
}

function unknownField(v: Visit): SchemaFinding {
  return { path: v.path, message: `unknown field ${JSON.stringify(v.field)}`, blocking: false, kind: 'unknown' };
}
