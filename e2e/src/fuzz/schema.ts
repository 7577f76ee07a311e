import path from 'node:path';
import type { Schema } from '@tollgate/operator/api/crd/schema';
import { ruleViolations } from '@tollgate/operator/core/rules';
import { readCrds } from '../cluster/crds.js';
import { ROOT } from '../harness/paths.js';
import { DuplicateKey, isObject, objectOf, RawNumber, type JsonObject } from './json.js';

/** The parts of a structural OpenAPI v3 schema that the Canary CRD uses. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** The spec schema of the Canary CRD exactly as crds/canaries.yaml installs it. */
export function loadCanarySpecSchema(file = path.join(ROOT, 'crds', 'canaries.yaml')): SchemaNode {
  const crd = readCrds(file).find((d) => (d.spec as { names?: { kind?: string } } | undefined)?.names?.kind === 'Canary');
  if (!crd) throw new Error(`no Canary CRD in ${file}`);
  const version = (crd.spec as { versions: { schema: { openAPIV3Schema: SchemaNode } }[] }).versions[0]!;
  const spec = version.schema.openAPIV3Schema.properties?.spec;
  if (!spec) throw new Error(`the Canary CRD in ${file} has no spec schema`);
  return spec;
}

/** One error the API server is expected to report, at a path as it prints it (no list indices). */
export interface Issue {
  path: string;
  /** For a value of a map (labels, headers...): the map's path, as the key may be printed differently. */
  under?: string;
  what: 'required' | 'type' | 'enum' | 'range' | 'length' | 'pattern' | 'items' | 'properties' | 'rule';
  detail: string;
}

export interface OracleOptions {
  /**
   * The API server decodes an explicit "" as null and then rejects it for a typed string field (seen on
   * the local 1.20 build); other servers keep "". The test probes its server once and says which.
   */
  emptyStringIsNull: boolean;
  /**
   * The server checks the CRD's CEL rules (1.25 on; the harness strips them from older servers). It does so on an
   * object the schema accepts: the oracle evaluates them with the operator's evaluator, on the stored spec.
   */
  cel?: boolean;
}

export interface Prediction {
  /** Empty: the server accepts the object. */
  issues: Issue[];
  /** What the server stores for the spec when it accepts it: unknown fields and nulls pruned, numbers decoded. */
  stored: unknown;
  /**
   * With CEL: integer fields written as a float literal (100.0, 1e2). The schema accepts them, but the server's
   * CEL evaluation of a rule that reads one fails with "invalid data, expected int, got float64" (seen on 1.36),
   * so the server may refuse such an object naming the rule's path.
   */
  floatIntegers: string[];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The value of an integer the API server accepts as type integer (int64), or undefined. */
export function int64Of(v: unknown): number | undefined {
  if (!(v instanceof RawNumber) && typeof v !== 'number') return undefined;
  const text = v instanceof RawNumber ? v.text : JSON.stringify(v);
  if (/^-?[0-9]+$/.test(text)) {
    const b = BigInt(text);
    return b >= INT64_MIN && b <= INT64_MAX ? Number(text) : undefined;
  }
  const f = Number(text);
  return Number.isInteger(f) && Math.abs(f) < 2 ** 63 ? f : undefined;
}

/**
 * Whether the API server decodes the number as an int64: its literal is all digits and fits (sigs.k8s.io/json tries
 * int64 first). Such a value of a `number` field is checked against the bounds truncated to integers, as
 * kube-openapi's MinimumNativeType/MaximumNativeType do (int64(0.5) is 0): `confidence: 0` passes `minimum: 0.5`.
 */
function decodedAsInt64(v: unknown): boolean {
  const text = v instanceof RawNumber ? v.text : typeof v === 'number' ? JSON.stringify(v) : '';
  if (!/^-?[0-9]+$/.test(text)) return false;
  const b = BigInt(text);
  return b >= INT64_MIN && b <= INT64_MAX;
}

const numberOf = (v: unknown): number | undefined => (v instanceof RawNumber ? v.value : typeof v === 'number' ? v : undefined);

const typeName = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RawNumber) return int64Of(v) === undefined ? 'number' : 'integer';
  if (typeof v === 'number') return int64Of(v) === undefined ? 'number' : 'integer';
  return typeof v;
};

/** Runes, as Go counts string length; lone surrogates become U+FFFD on the way in. */
const runes = (s: string): number => [...wellFormed(s)].length;

/** Lone UTF-16 surrogates replaced by U+FFFD, as a UTF-8 decoder does with the \uD800 escape of one. */
export const wellFormed = (s: string): string =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/**
 * Predicts what the API server does with a Canary spec: the errors it reports (as paths) and what it stores.
 * Mirrors the structural-schema validation and pruning of apiextensions (types, enums, bounds, lengths,
 * patterns, required and maxItems; nulls of object members dropped, unknown fields pruned except under
 * x-kubernetes-preserve-unknown-fields, invalid UTF-16 replaced by U+FFFD).
 */
export function predict(schema: SchemaNode, spec: unknown, o: OracleOptions): Prediction {
  const issues: Issue[] = [];
  const value = spec instanceof DuplicateKey ? spec.last : spec;
  if (value === undefined || value === null)
    return { issues: [{ path: 'spec', what: 'required', detail: 'Required value' }], stored: undefined, floatIntegers: [] };
  const stored = check(schema, value, 'spec', issues, o);
  if (o.cel && issues.length === 0) {
    for (const v of ruleViolations(schema as Schema, stored, 'spec')) issues.push({ path: v.path, what: 'rule', detail: v.message });
  }
  return { issues, stored, floatIntegers: o.cel ? floatLiteralIntegers(schema, value, 'spec') : [] };
}

/** The paths of integer fields (type integer, not int-or-string) written as an integral float literal: 100.0, 1e2. */
export function floatLiteralIntegers(s: SchemaNode, v: unknown, at: string): string[] {
  if (v instanceof DuplicateKey) return floatLiteralIntegers(s, v.last, at);
  if (s.type === 'integer') return v instanceof RawNumber && !/^-?[0-9]+$/.test(v.text) && int64Of(v) !== undefined ? [at] : [];
  if (s.type === 'array' && Array.isArray(v) && s.items) return v.flatMap((item, i) => floatLiteralIntegers(s.items!, item, `${at}[${i}]`));
  if (s.type !== 'object' || !isObject(v)) return [];
  const map = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  return Object.keys(v).flatMap((key) => {
    const declared = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key]! : map;
    return declared ? floatLiteralIntegers(declared, v[key], `${at}.${key}`) : [];
  });
}

// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
function check(s: SchemaNode, v: unknown, at: string, issues: Issue[], o: OracleOptions, under?: string): unknown {
  const fail = (what: Issue['what'], detail: string): unknown => {
    issues.push({ path: at, what, detail, ...(under ? { under } : {}) });
    return undefined;
  };
  if (v instanceof DuplicateKey) v = v.last;
  if (s['x-kubernetes-int-or-string']) {
    if (typeof v === 'string')
      return v === '' && o.emptyStringIsNull ? fail('type', 'must be of type integer,string: "null"') : wellFormed(v);
    const i = int64Of(v);
    return i === undefined ? fail('type', `must be of type integer,string: "${typeName(v)}"`) : i;
  }
  switch (s.type) {
    case 'object': {
      if (!isObject(v)) return fail('type', `must be of type object: "${typeName(v)}"`);
      return checkObject(s, v, at, issues, o);
    }
    case 'array': {
      if (!Array.isArray(v)) return fail('type', `must be of type array: "${typeName(v)}"`);
      if (s.maxItems !== undefined && v.length > s.maxItems) fail('items', `should have at most ${s.maxItems} items`);
      if (s.minItems !== undefined && v.length < s.minItems) fail('items', `should have at least ${s.minItems} items`);
      return v.map((item) => {
        const x = item instanceof DuplicateKey ? item.last : item;
        if (x === null && !s.items?.nullable) {
          issues.push({ path: at, what: 'type', detail: `must be of type ${s.items?.type ?? 'object'}: "null"` });
          return null;
        }
        return s.items ? check(s.items, x, at, issues, o) : x;
      });
    }
    case 'string': {
      if (typeof v !== 'string') return fail('type', `must be of type string: "${typeName(v)}"`);
      const text = wellFormed(v);
      const before = issues.length;
      if (text === '' && o.emptyStringIsNull) fail('type', 'must be of type string: "null"');
      if (s.enum && !s.enum.includes(text)) fail('enum', 'Unsupported value');
      if (s.minLength !== undefined && runes(text) < s.minLength) fail('length', `should be at least ${s.minLength} chars long`);
      if (s.maxLength !== undefined && runes(text) > s.maxLength) fail('length', `may not be longer than ${s.maxLength}`);
      if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(text)) fail('pattern', `should match '${s.pattern}'`);
      return issues.length === before ? text : undefined;
    }
    case 'integer': {
      const i = int64Of(v);
      if (i === undefined) return fail('type', `must be of type integer: "${typeName(v)}"`);
      return checkRange(s, i, fail);
    }
    case 'number': {
      const n = numberOf(v);
      if (n === undefined) return fail('type', `must be of type number: "${typeName(v)}"`);
      const bounds = decodedAsInt64(v) ? { minimum: truncated(s.minimum), maximum: truncated(s.maximum) } : s;
      return checkRange(bounds, n === 0 ? 0 : n, fail);
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : fail('type', `must be of type boolean: "${typeName(v)}"`);
    default:
      return v;
  }
}

const truncated = (b: number | undefined): number | undefined => (b === undefined ? undefined : Math.trunc(b));

function checkRange(
  s: Pick<SchemaNode, 'minimum' | 'maximum'>,
  n: number,
  fail: (what: Issue['what'], detail: string) => unknown,
): unknown {
  if (s.minimum !== undefined && n < s.minimum) return fail('range', `should be greater than or equal to ${s.minimum}`);
  if (s.maximum !== undefined && n > s.maximum) return fail('range', `should be less than or equal to ${s.maximum}`);
  return n === 0 ? 0 : n;
}

function checkObject(s: SchemaNode, v: JsonObject, at: string, issues: Issue[], o: OracleOptions): JsonObject {
  const open = s['x-kubernetes-preserve-unknown-fields'] === true;
  const map = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  const out: [string, unknown][] = [];
  const before = issues.length;
  for (const key of Object.keys(v)) {
    let value = v[key];
    if (value instanceof DuplicateKey) value = value.last;
    const declared = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key]! : map;
    if (declared) {
      // A null member of a field that is not nullable is dropped before validation, as if absent.
      if (value === null && !declared.nullable) continue;
      const isMapEntry = !(s.properties && Object.hasOwn(s.properties, key));
      const checked = check(declared, value, `${at}.${key}`, issues, o, isMapEntry ? at : undefined);
      out.push([wellFormed(key), checked]);
    } else if (open) {
      out.push([wellFormed(key), decoded(value)]);
    }
  }
  for (const r of s.required ?? []) {
    if (!out.some(([k]) => k === r)) issues.push({ path: `${at}.${r}`, what: 'required', detail: 'Required value' });
  }
  // Too many members (after nulls and unknown fields are dropped): the server reports that alone, not what is
  // wrong inside the object.
  if (s.maxProperties !== undefined && out.length > s.maxProperties) {
    issues.splice(before, issues.length - before, {
      path: at,
      what: 'properties',
      detail: `should have at most ${s.maxProperties} properties`,
    });
  }
  return objectOf(out);
}

/** A value kept verbatim (under x-kubernetes-preserve-unknown-fields), as the server decodes it. */
function decoded(v: unknown): unknown {
  if (v instanceof DuplicateKey) return decoded(v.last);
  if (v instanceof RawNumber) return v.value === 0 ? 0 : v.value;
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (typeof v === 'string') return wellFormed(v);
  if (Array.isArray(v)) return v.map(decoded);
  if (isObject(v)) return objectOf(Object.keys(v).map((k) => [wellFormed(k), decoded(v[k])]));
  return v;
}

/** Every field path of the schema (list items as index 0), with its schema, to a depth. */
export function fieldPaths(
  s: SchemaNode,
  maxDepth = 6,
  prefix: (string | number)[] = [],
): { path: (string | number)[]; schema: SchemaNode }[] {
  const out: { path: (string | number)[]; schema: SchemaNode }[] = [];
  if (prefix.length >= maxDepth) return out;
  if (s.type === 'object' && s.properties) {
    for (const [k, child] of Object.entries(s.properties)) {
      out.push({ path: [...prefix, k], schema: child });
      out.push(...fieldPaths(child, maxDepth, [...prefix, k]));
    }
  }
  if (s.type === 'array' && s.items) {
    out.push({ path: [...prefix, 0], schema: s.items });
    out.push(...fieldPaths(s.items, maxDepth, [...prefix, 0]));
  }
  return out;
}

/** The schema at a path of field names and list indices; undefined past the schema (unknown fields). */
export function schemaAt(s: SchemaNode, p: readonly (string | number)[]): SchemaNode | undefined {
  let cur: SchemaNode | undefined = s;
  for (const seg of p) {
    if (!cur) return undefined;
    if (typeof seg === 'number') cur = cur.type === 'array' ? cur.items : undefined;
    else if (cur.properties && Object.hasOwn(cur.properties, seg)) cur = cur.properties[seg];
    else cur = typeof cur.additionalProperties === 'object' ? cur.additionalProperties : undefined;
  }
  return cur;
}
