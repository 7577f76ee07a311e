/**
 * JSON the way a fuzzer needs to write it: number literals JavaScript cannot hold (int64 bounds, 1e2,
 * 100.0, -0), and an object key written twice. serialize() writes the request body; plain() is the value
 * a JSON parser reads back from it (the last duplicate wins, as in Go's and JavaScript's decoders).
 */

/** A number written verbatim, e.g. 9223372036854775807 or 100.0. */
export class RawNumber {
  constructor(readonly text: string) {
    if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text)) throw new Error(`not a JSON number: ${text}`);
  }

  get value(): number {
    return Number(this.text);
  }
}

/** An object member written once per value, under the same key; the last one is the one that counts. */
export class DuplicateKey {
  constructor(readonly values: readonly unknown[]) {
    if (values.length < 2) throw new Error('a duplicate key needs two values at least');
  }

  get last(): unknown {
    return this.values[this.values.length - 1];
  }
}

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawNumber) && !(v instanceof DuplicateKey);

/** Sets an own, enumerable member, even for keys such as __proto__ that plain assignment would not create. */
export function setKey(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An object from entries, every key an own member (see setKey). */
export function objectOf(entries: Iterable<readonly [string, unknown]>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) setKey(out, k, v);
  return out;
}

/** Writes JSON; RawNumber verbatim, DuplicateKey as repeated members. Refuses values JSON cannot carry. */
export function serialize(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof RawNumber) return value.text;
  if (value instanceof DuplicateKey) throw new Error('a duplicate key outside an object');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`JSON has no ${value}`);
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map((v) => serialize(v)).join(',')}]`;
      return `{${Object.keys(value)
        .map((k) => {
          const v = (value as JsonObject)[k];
          const key = JSON.stringify(k);
          return v instanceof DuplicateKey ? v.values.map((x) => `${key}:${serialize(x)}`).join(',') : `${key}:${serialize(v)}`;
        })
        .join(',')}}`;
    default:
      throw new Error(`JSON has no ${typeof value}`);
  }
}

/** The value a decoder reads from serialize(value): numbers as doubles, the last of duplicate members. */
export function plain(value: unknown): unknown {
  if (value instanceof RawNumber) return value.value;
  if (value instanceof DuplicateKey) return plain(value.last);
  if (Array.isArray(value)) return value.map(plain);
  if (isObject(value)) return objectOf(Object.keys(value).map((k) => [k, plain(value[k])]));
  return value;
}

/** Deep copy keeping RawNumber and DuplicateKey (immutable, shared). */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isObject(value)) return objectOf(Object.keys(value).map((k) => [k, clone(value[k])])) as T;
  return value;
}

/**
 * The first difference between two decoded JSON values, as a path and both sides; undefined when equal.
 * Numbers compare by value (0 equals -0), so what a server echoes compares with what was predicted.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? undefined : `${path || '.'}: ${a} != ${b}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || '.'}: ${a.length} items != ${b.length} items`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      if (!Object.hasOwn(a, k)) return `${path}.${k}: absent != ${preview(b[k])}`;
      if (!Object.hasOwn(b, k)) return `${path}.${k}: ${preview(a[k])} != absent`;
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : `${path || '.'}: ${preview(a)} != ${preview(b)}`;
}

/** A short rendering of a value for messages. */
export function preview(v: unknown, max = 80): string {
  let s: string;
  try {
    s = v === undefined ? 'undefined' : serialize(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}
