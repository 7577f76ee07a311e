import { RawNumber, objectOf, type JsonObject } from './json.js';
import type { Rng } from './random.js';
import type { SchemaNode } from './schema.js';

/** Strings that break naive code: direction overrides, zero-width and combining marks, emoji, NUL, lone surrogates. */
export const ODD_STRINGS: readonly string[] = [
  '\u202eoiratsi',
  'pod\u200binfo',
  'e\u0301\u0301\u0301',
  '👩🏽‍💻🚀',
  'a\u0000b',
  '\u0007\u001b[31mred',
  '\ud800',
  'x\udfffy',
  '𝕡𝕠𝕕𝕚𝕟𝕗𝕠',
  '名前',
  'ﷺ',
  '\ufeffbom',
  'İstanbul',
  'ǅ',
  '   ',
  '\t\n\r',
  '\\',
  '"quoted"',
  "it's",
  '<script>alert(1)</script>',
  '{{ .Values }}',
  '${HOME}',
  '%s%s%n',
  '../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e400',
  'true',
  '[]',
  '{}',
  '\u2028\u2029',
  'a'.repeat(253),
  'A-b_c.d',
  'ⅷ',
  '\u0130',
  'ß',
  'ﬃ',
];

/** Keys that break naive object handling. */
export const ODD_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  'a.b',
  'a/b',
  '$ref',
  '🔑',
  'k\u0000',
  '\ud800',
  'x'.repeat(300),
  'spec',
  'apiVersion',
];

/** Variants of an enum value that are not it: case, whitespace, homoglyphs, fullwidth letters. */
export function offByCase(rng: Rng, v: string): string {
  const variants = [
    v.toUpperCase(),
    v.charAt(0).toUpperCase() + v.slice(1),
    `${v} `,
    ` ${v}`,
    `${v}\u0000`,
    `${v}\u200b`,
    v.replace(/i/g, 'ı'),
    v.replace(/i/g, 'і'),
    v.replace(/e/g, 'е'),
    v.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    v.toLowerCase() === v ? v.replace(/^./, (c) => c.toUpperCase()) : v.toLowerCase(),
    `${v}s`,
    v.slice(0, -1),
  ].filter((x) => x !== v && x !== '');
  return variants.length ? rng.pick(variants) : `${v}x`;
}

export function hugeString(rng: Rng): string {
  const n = rng.weighted([
    [5, 1024],
    [3, 16_384],
    [2, 65_536],
    [1, 262_144],
    [0.5, 655_360],
  ] as const);
  const unit = rng.pick(['x', 'é', '🚀', 'ab', '\u200b', 'z']);
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

const UNITS = ['ns', 'us', 'ms', 's', 'm', 'h'] as const;

/** A Go duration matching the CRD pattern; atLeast1s: one non-zero h, m or s component. */
export function validDuration(rng: Rng, atLeast1s: boolean): string {
  const common = ['1s', '3s', '10s', '30s', '1m', '1m30s', '5m', '1h', '2h30m', '1.5s', '90s', '24h', '1h0m0s', '720h', '1000000h'];
  if (rng.chance(0.6)) return rng.pick(atLeast1s ? common : [...common, '500ms', '0s', '250ms', '1500us', '0.5s']);
  const parts: string[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) parts.push(`${rng.int(0, 120)}${rng.chance(0.2) ? `.${rng.int(0, 99)}` : ''}${rng.pick(UNITS)}`);
  if (atLeast1s) parts.push(`${rng.int(1, 59)}${rng.pick(['h', 'm', 's'] as const)}`);
  return parts.join('');
}

/** Strings that look like durations and are not (or are below the 1s floor). */
export const BAD_DURATIONS: readonly string[] = [
  '500ms',
  '999ms',
  '0s',
  '0.5s',
  'often',
  '10',
  '1 s',
  '-1s',
  '+1s',
  '1S',
  '1d',
  '1w',
  '1.s',
  '.5s',
  '1e3s',
  '5µs',
  '1h 30m',
  'PT1M',
  '∞',
  '0x10s',
  '1_000s',
  '10s ',
  ' 10s',
  '１０s',
  's',
  'ms',
  '1m-30s',
  '10ms10',
  'NaN s',
  '1h\n',
  '1sec',
  '1min',
  '2hrs',
];

/** Integers near every bound an int64 field can meet, some written as raw literals JavaScript cannot hold. */
export function boundaryInteger(rng: Rng, s: SchemaNode): number | RawNumber {
  const around = (b: number): number[] => [b - 1, b, b + 1];
  const candidates: (number | RawNumber)[] = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, -(2 ** 53), 1e15];
  if (s.minimum !== undefined) candidates.push(...around(s.minimum));
  if (s.maximum !== undefined) candidates.push(...around(s.maximum));
  candidates.push(
    new RawNumber('9223372036854775807'),
    new RawNumber('-9223372036854775808'),
    new RawNumber('9223372036854775808'),
    new RawNumber('9007199254740993'),
    new RawNumber('1e2'),
    new RawNumber('100.0'),
    new RawNumber('-0'),
    new RawNumber('1.5e1'),
    new RawNumber('123456789012345678901234567890'),
    new RawNumber('1e21'),
    new RawNumber('0.1'),
    new RawNumber('99.99999999999999999'),
  );
  return rng.pick(candidates);
}

export function boundaryNumber(rng: Rng): number | RawNumber {
  return rng.pick<number | RawNumber>([
    0,
    -0,
    1,
    -1,
    0.5,
    99.5,
    1e-300,
    -1e-300,
    1e308,
    -1e308,
    5e-324,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    99.99999,
    new RawNumber('1e2'),
    new RawNumber('100.0'),
    new RawNumber('-0.0'),
    new RawNumber('1E-7'),
    new RawNumber('9223372036854775808'),
  ]);
}

/** A random JSON tree: the stuff of unknown fields and open objects. */
export function randomJson(rng: Rng, depth: number): unknown {
  const leaf = (): unknown =>
    rng.pick<() => unknown>([
      () => rng.pick(ODD_STRINGS),
      () => rng.int(-1000, 1000),
      () => rng.chance(0.5),
      () => null,
      () => rng.float() * 1e6,
      () => 'x',
    ])();
  if (depth <= 0 || rng.chance(0.3)) return leaf();
  if (rng.chance(0.4)) return Array.from({ length: rng.int(0, 3) }, () => randomJson(rng, depth - 1));
  return objectOf(
    Array.from(
      { length: rng.int(0, 3) },
      () => [rng.chance(0.3) ? rng.pick(ODD_KEYS) : `k${rng.int(0, 99)}`, randomJson(rng, depth - 1)] as const,
    ),
  );
}

/** Objects nested depth times ({"a":{"a":...}}), or lists ([[[...]]]). */
export function nested(depth: number, asList: boolean, inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = asList ? [v] : objectOf([['a', v]]);
  return v;
}

/** A value conforming to the schema, boundary-heavy; required members always, optional ones sometimes. */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export function validValue(rng: Rng, s: SchemaNode, depth = 0): unknown {
  if (s['x-kubernetes-int-or-string']) return rng.chance(0.5) ? rng.int(1, 65535) : rng.pick(['http', 'grpc', 'metrics', 'p8080']);
  switch (s.type) {
    case 'object': {
      if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) {
        return objectOf(
          Array.from(
            { length: rng.int(0, 3) },
            () => [rng.chance(0.3) ? rng.pick(ODD_KEYS) : `k${rng.int(0, 99)}`, randomJson(rng, 2)] as const,
          ),
        );
      }
      const out: JsonObject = {};
      const props = Object.entries(s.properties ?? {});
      for (const [k, child] of props) {
        if ((s.required ?? []).includes(k) || (depth < 3 && rng.chance(0.25))) out[k] = validValue(rng, child, depth + 1);
      }
      if (typeof s.additionalProperties === 'object' && rng.chance(0.7)) {
        const map = s.additionalProperties;
        for (let i = rng.int(1, 3); i > 0; i--)
          out[rng.pick(['app', 'team', 'x-canary', 'version', 'tier'])] = validValue(rng, map, depth + 1);
      }
      return out;
    }
    case 'array': {
      const n = rng.int(0, Math.min(3, s.maxItems ?? 3));
      return Array.from({ length: n }, () => (s.items ? validValue(rng, s.items, depth + 1) : 'x'));
    }
    case 'string':
      return validString(rng, s);
    case 'integer': {
      const lo = s.minimum ?? -1000;
      const hi = s.maximum ?? 100_000;
      return rng.pick([lo, hi, rng.int(lo, hi), rng.int(lo, hi)]);
    }
    case 'number':
      return rng.pick([0, 1, 99, 99.5, 500, -1, 1e-9]);
    case 'boolean':
      return rng.chance(0.5);
    default:
      return null;
  }
}

function validString(rng: Rng, s: SchemaNode): string {
  if (s.enum) return String(rng.pick(s.enum.filter((e) => e !== '') as string[]));
  if (s.pattern) return validDuration(rng, s.pattern.includes('[1-9]'));
  return rng.weighted<() => string>([
    [6, () => rng.pick(['podinfo', 'app', 'http', 'x', 'gateway', 'mesh', 'default', 'GET', 'https://example.com', '/api', 'prefix-a'])],
    [2, () => rng.pick(ODD_STRINGS.filter((x) => x !== ''))],
    [1, () => `v${rng.int(0, 1e6)}`],
  ])();
}
