import type { Canary, CanarySpec } from '@tollgate/operator/api/types';
import { validateCanary } from '@tollgate/operator/core/validation';
import { supportedProviders } from '@tollgate/operator/meshes/registry';
import { fuzzConfig, replayHint } from '../src/fuzz/config.js';
import { generateCases, type FuzzCase, type Outcome } from '../src/fuzz/generator.js';
import { DuplicateKey, firstDifference, objectOf, plain, RawNumber, serialize } from '../src/fuzz/json.js';
import { mix, Rng } from '../src/fuzz/random.js';
import { int64Of, loadCanarySpecSchema, predict, type OracleOptions, type SchemaNode } from '../src/fuzz/schema.js';
import { checkCreate, checkReport, namesPath, unhelpful } from '../src/fuzz/verdict.js';

const schema: SchemaNode = loadCanarySpecSchema();
const oracle: OracleOptions = { emptyStringIsNull: true };
const gen = (seed: number, count: number, namespaces = ['fa', 'fb']): FuzzCase[] =>
  generateCases({ seed, count, namespaces, schema, oracle });
const base = (): Record<string, unknown> => ({ targetRef: { kind: 'Deployment', name: 'x' }, service: { port: 80 } });
const paths = (spec: unknown, o = oracle): string[] => predict(schema, spec, o).issues.map((i) => i.path);

describe('the seeded random stream', () => {
  it('is the same for the same seed and differs between seeds and cases', () => {
    const draw = (r: Rng): number[] => Array.from({ length: 8 }, () => r.u32());
    expect(draw(new Rng(42))).toEqual(draw(new Rng(42)));
    expect(draw(new Rng(42))).not.toEqual(draw(new Rng(43)));
    expect(draw(Rng.forCase(7, 1))).not.toEqual(draw(Rng.forCase(7, 2)));
    expect(mix(7, 1)).toBe(mix(7, 1));
  });

  it('keeps int() within its bounds, both included, and ascending() distinct and sorted', () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = r.int(-2, 2);
      expect(n).toBeGreaterThanOrEqual(-2);
      expect(n).toBeLessThanOrEqual(2);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2].sort());
    const a = r.ascending(5, 1, 100);
    expect(a).toEqual([...new Set(a)].sort((x, y) => x - y));
  });
});

describe('JSON as the fuzzer writes it', () => {
  it('writes raw number literals verbatim and duplicate members twice; a decoder keeps the last', () => {
    const v = objectOf([
      ['big', new RawNumber('9223372036854775807')],
      ['f', new RawNumber('100.0')],
      ['d', new DuplicateKey(['a', 'b'])],
    ]);
    const text = serialize(v);
    expect(text).toBe('{"big":9223372036854775807,"f":100.0,"d":"a","d":"b"}');
    expect(JSON.parse(text)).toEqual(plain(v));
    expect(plain(v)).toEqual({ big: 9223372036854775807, f: 100, d: 'b' });
  });

  it('writes own members whatever their name, and refuses values JSON has no spelling for', () => {
    expect(serialize(objectOf([['__proto__', { polluted: true }]]))).toBe('{"__proto__":{"polluted":true}}');
    expect(() => serialize({ n: Number.NaN })).toThrow(/NaN/);
    expect(() => serialize([new DuplicateKey([1, 2])])).toThrow(/outside an object/);
    expect(() => new RawNumber('1e')).toThrow();
  });

  it('compares decoded values by number value and reports where they differ', () => {
    expect(firstDifference({ a: [0, 1] }, { a: [-0, 1] })).toBeUndefined();
    expect(firstDifference({ a: { b: 1 } }, { a: { b: 2 } }, 'spec')).toBe('spec.a.b: 1 != 2');
    expect(firstDifference({ a: 1 }, {}, 'spec')).toMatch(/spec\.a: 1 != absent/);
  });
});

describe('the schema oracle (what the API server will say)', () => {
  it('checks an integer literal of a number field against the bounds truncated to integers, as the API server does', () => {
    // Seen on 1.36: `confidence: 0` (minimum 0.5, maximum 0.9999) is accepted; `confidence: 1` and `0.3` are not.
    const judged = (confidence: unknown): Record<string, unknown> => ({
      ...base(),
      analysis: { judge: { metrics: [{ name: 'latency', query: 'q', confidence }] } },
    });
    const at = 'spec.analysis.judge.metrics.confidence';
    expect(paths(judged(0))).toEqual([]);
    expect(paths(judged(1))).toEqual([at]);
    expect(paths(judged(0.3))).toEqual([at]);
    expect(paths(judged(new RawNumber('0.0')))).toEqual([at]);
    expect(paths(judged(0.95))).toEqual([]);
  });

  it('finds each bad field at the path the server prints, list indices left out', () => {
    expect(paths(base())).toEqual([]);
    expect(paths({ ...base(), analysis: { maxWeight: 150, interval: '500ms' } }).sort()).toEqual([
      'spec.analysis.interval',
      'spec.analysis.maxWeight',
    ]);
    expect(paths({ ...base(), analysis: { metrics: [{ interval: '1m' }] } })).toEqual(['spec.analysis.metrics.name']);
    expect(paths({ ...base(), provider: 'Istio' })).toEqual(['spec.provider']);
    expect(paths({ service: { port: 80 } })).toEqual(['spec.targetRef']);
    expect(paths({ targetRef: { kind: 'Deployment', name: 'x' } }, { ...oracle, cel: true })).toEqual(['spec']);
    expect(paths(undefined)).toEqual(['spec']);
    expect(paths([])).toEqual(['spec']);
  });

  it('drops null members and unknown fields, keeps them under x-kubernetes-preserve-unknown-fields, refuses null list items', () => {
    const p = predict(schema, { ...base(), provider: null, zzz: 1, service: { port: 80, trafficPolicy: { tls: { x: null } } } }, oracle);
    expect(p.issues).toEqual([]);
    expect(p.stored).toEqual({ targetRef: { kind: 'Deployment', name: 'x' }, service: { port: 80, trafficPolicy: { tls: { x: null } } } });
    expect(paths({ ...base(), analysis: { metrics: [null] } })).toEqual(['spec.analysis.metrics']);
    expect(paths({ ...base(), service: { port: null } })).toEqual(['spec.service.port']);
  });

  it('knows int64: bounds, literals with a fraction or exponent, and what JavaScript cannot hold', () => {
    expect(int64Of(new RawNumber('9223372036854775807'))).toBe(9223372036854775807);
    expect(int64Of(new RawNumber('9223372036854775808'))).toBeUndefined();
    expect(int64Of(new RawNumber('1e2'))).toBe(100);
    expect(int64Of(new RawNumber('100.0'))).toBe(100);
    expect(int64Of(1.5)).toBeUndefined();
    expect(int64Of(1e21)).toBeUndefined();
    expect(paths({ ...base(), progressDeadlineSeconds: new RawNumber('9223372036854775807') })).toEqual([]);
    expect(paths({ ...base(), progressDeadlineSeconds: new RawNumber('-0') })).toEqual(['spec.progressDeadlineSeconds']);
  });

  it('follows the server on empty strings and replaces lone surrogates', () => {
    const spec = { ...base(), service: { port: 80, name: '' } };
    expect(paths(spec, { emptyStringIsNull: true })).toEqual(['spec.service.name']);
    expect(paths(spec, { emptyStringIsNull: false })).toEqual([]);
    expect(
      (predict(schema, { ...base(), service: { port: 80, name: 'a\ud800' } }, oracle).stored as { service: { name: string } }).service.name,
    ).toBe('a\ufffd');
  });

  it('names a map entry under its map, whose key the server may print differently', () => {
    const p = predict(schema, { ...base(), service: { port: 80, apex: { labels: { 'a.b': 5 } } } }, oracle);
    expect(p.issues).toEqual([expect.objectContaining({ path: 'spec.service.apex.labels.a.b', under: 'spec.service.apex.labels' })]);
  });

  it('refuses a string match with two keys at the match itself, and only there (maxProperties)', () => {
    expect(paths({ ...base(), service: { port: 80, match: [{ uri: { prefix: '/', exact: 5 } }] } })).toEqual(['spec.service.match.uri']);
    expect(paths({ ...base(), service: { port: 80, match: [{ uri: { prefix: '/', exact: null } }] } })).toEqual([]);
    expect(paths({ ...base(), service: { port: 80, match: [{ uri: { exact: 5 } }] } })).toEqual(['spec.service.match.uri.exact']);
  });
});

describe('the generator', () => {
  const cases = gen(12345, 1000);

  it('is reproducible from its seed, and a shorter run is a prefix of a longer one', () => {
    expect(gen(12345, 60).map((c) => c.body)).toEqual(cases.slice(0, 60).map((c) => c.body));
    expect(gen(54321, 60).map((c) => c.body)).not.toEqual(cases.slice(0, 60).map((c) => c.body));
    expect(cases.map((c) => c.id).slice(0, 2)).toEqual(['12345:0', '12345:1']);
  });

  it('writes 1000 Canaries of valid JSON, each small enough for etcd, spread over the namespaces', () => {
    expect(cases).toHaveLength(1000);
    for (const c of cases) {
      const obj = JSON.parse(c.body) as Canary;
      expect(obj.metadata).toMatchObject({ name: c.name, namespace: c.namespace });
      expect(Buffer.byteLength(c.body)).toBeLessThanOrEqual(900_000);
    }
    expect(new Set(cases.map((c) => c.name)).size).toBe(1000);
    expect(new Set(cases.map((c) => c.namespace))).toEqual(new Set(['fa', 'fb']));
  });

  it('mixes every family, rejections and acceptances, and bounds the Deployments it needs', () => {
    const families = new Set(cases.map((c) => c.family));
    expect(families).toEqual(new Set(['valid', 'semantic', 'schema', 'deep', 'wild']));
    const rejected = cases.filter((c) => c.expect.kind === 'reject').length;
    expect(rejected).toBeGreaterThan(300);
    expect(rejected).toBeLessThan(800);
    expect(cases.filter((c) => c.target).length).toBeLessThanOrEqual(4 + 60);
    for (const c of cases.filter((x) => x.family === 'valid' || x.family === 'semantic')) expect(c.expect.kind).toBe('accept');
    for (const c of cases.filter((x) => x.family === 'valid')) expect(c.expect).toMatchObject({ outcome: { kind: 'initialize' } });
  });

  it('covers the kinds of trouble the issue lists', () => {
    const text = cases.flatMap((c) => c.mutations).join('\n');
    for (const re of [
      /\(invalid for integer\)/,
      /\(invalid for string\)/,
      /\(enum off by case\)/,
      /= null/,
      /deleted/,
      /unknown field/,
      /written twice/,
      /-character string/,
      /nested (objects|lists)/,
      /9223372036854775807|9223372036854775808/,
      /= \[\]|= \{\}/,
      /levels of nesting/,
    ]) {
      expect(text).toMatch(re);
    }
    const bodies = cases.map((c) => c.body).join('\n');
    expect(bodies).toMatch(/\\u202e|\u202e/);
    expect(bodies).toMatch(/\\ud800/);
  });

  it('predicts the stored spec of an accepted case from what a decoder reads', () => {
    for (const c of cases.filter((x) => x.expect.kind === 'accept').slice(0, 100)) {
      const sent = (JSON.parse(c.body) as { spec: unknown }).spec;
      expect(predict(schema, sent, oracle).stored).toEqual(c.expect.kind === 'accept' ? c.expect.stored : undefined);
    }
  });
});

describe('the oracle on a server that checks CEL rules', () => {
  const cel = { ...oracle, cel: true };
  const weighted = (analysis: Record<string, unknown>): Record<string, unknown> => ({
    ...base(),
    analysis: { stepWeight: 20, ...analysis },
  });

  it('predicts a CEL refusal at the path the server prints, only when the schema itself accepts the object', () => {
    expect(predict(schema, weighted({ maxWeight: 10 }), cel).issues).toEqual([
      { path: 'spec.analysis', what: 'rule', detail: 'stepWeight must not exceed maxWeight' },
    ]);
    expect(predict(schema, weighted({ maxWeight: 10 }), oracle).issues).toEqual([]);
    expect(paths(weighted({ maxWeight: 10, threshold: 0 }), cel)).toEqual(['spec.analysis.threshold']);
    expect(
      predict(schema, weighted({ metrics: [{ name: 'request-duration' }, { name: 'custom' }] }), cel).issues.map((i) => i.path),
    ).toEqual(['spec.analysis.metrics[1]']);
  });

  it("turns the semantic cases that break a CEL rule into 422s naming the rule's path, and keeps valid cases valid", () => {
    const cases = generateCases({ seed: 12345, count: 400, namespaces: ['fa'], schema, oracle: cel });
    const semantic = cases.filter((c) => c.family === 'semantic');
    const refused = semantic.filter((c) => c.expect.kind === 'reject');
    expect(refused.length).toBeGreaterThan(10);
    expect(semantic.length - refused.length).toBeGreaterThan(0);
    for (const c of refused) expect(c.prediction.issues.every((i) => i.what === 'rule')).toBe(true);
    for (const c of cases.filter((x) => x.family === 'valid'))
      expect(c.expect).toMatchObject({ kind: 'accept', outcome: { kind: 'initialize' } });
  });
});

describe('integer fields written as a float literal on a server that checks CEL', () => {
  const cel = { ...oracle, cel: true };
  const spec = (): Record<string, unknown> => ({
    ...base(),
    analysis: { stepWeight: 20, maxWeight: new RawNumber('100.0'), threshold: new RawNumber('1e1') },
  });
  const message =
    'Canary.tollgate.dev "x" is invalid: spec.analysis: Invalid value: "object": invalid data, expected int, got float64 evaluating rule: stepWeight must not exceed maxWeight';

  it("are accepted by the schema, and listed as fields the server's CEL evaluation may refuse", () => {
    const p = predict(schema, spec(), cel);
    expect(p.issues).toEqual([]);
    expect(p.floatIntegers).toEqual(['spec.analysis.maxWeight', 'spec.analysis.threshold']);
    expect(predict(schema, spec(), oracle).floatIntegers).toEqual([]);
    expect(predict(schema, { ...base(), analysis: { stepWeight: 20, maxWeight: new RawNumber('100') } }, cel).floatIntegers).toEqual([]);
  });

  it('may be refused with the server\'s "expected int, got float64" naming an object that holds them, and only so', () => {
    const c = gen(1, 1)[0]!;
    const accept = {
      ...c,
      expect: { kind: 'accept' as const, stored: {}, outcome: { kind: 'initialize' as const }, floatIntegers: ['spec.analysis.maxWeight'] },
    } as FuzzCase;
    expect(checkCreate(accept, { kind: 'refused', status: 422, reason: 'Invalid', message })).toBeUndefined();
    expect(
      checkCreate(accept, { kind: 'refused', status: 422, reason: 'Invalid', message: message.replace('spec.analysis:', 'spec.service:') }),
    ).toMatch(/schema allows it/);
    expect(
      checkCreate(accept, { kind: 'refused', status: 422, reason: 'Invalid', message: message.replace('expected int, got float64', 'x') }),
    ).toMatch(/schema allows it/);
    const plainAccept = { ...accept, expect: { ...accept.expect, floatIntegers: undefined } } as FuzzCase;
    expect(checkCreate(plainAccept, { kind: 'refused', status: 422, reason: 'Invalid', message })).toMatch(/schema allows it/);
  });
});

describe('the semantic cases on a server without CEL', () => {
  const caps = {
    providers: supportedProviders(),
    targetKinds: new Set(['Deployment', 'DaemonSet']),
    builtinMetricProviders: new Set(['istio', 'linkerd', 'appmesh', 'appmesh:v1beta2', 'osm', 'kubernetes']),
  };

  it("expect the reason and the message the operator's validation gives them", () => {
    const semantic = gen(12345, 1000).filter((c) => c.family === 'semantic' && c.expect.kind === 'accept');
    let checked = 0;
    for (const c of semantic) {
      const outcome = (c.expect as { outcome: Outcome }).outcome;
      if (outcome.kind !== 'blocked' || !['InvalidSpec', 'Unsupported'].includes(outcome.reason)) continue;
      const spec = c.expect.kind === 'accept' ? (c.expect.stored as CanarySpec) : undefined;
      const r = validateCanary(spec!, spec!.provider || 'istio', caps);
      const [reason, message] = r.errors.length ? ['InvalidSpec', r.errors.join('; ')] : ['Unsupported', r.unsupported.join('; ')];
      expect({ name: c.mutations[0], reason }).toEqual({ name: c.mutations[0], reason: outcome.reason });
      for (const f of outcome.fragments) expect(message).toMatch(f);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('the verdicts', () => {
  const [reject] = gen(1, 40).filter((c) => c.expect.kind === 'reject');
  const accept = gen(1, 40).find((c) => c.family === 'semantic')!;

  it('wants a 422 that names every bad field', () => {
    const c = reject!;
    const named = c.expect.kind === 'reject' ? c.expect.paths.map((p) => `${p.path}: Invalid value`).join(', ') : '';
    expect(checkCreate(c, { kind: 'refused', status: 422, reason: 'Invalid', message: `is invalid: [${named}]` })).toBeUndefined();
    expect(checkCreate(c, { kind: 'refused', status: 422, reason: 'Invalid', message: 'is invalid' })).toMatch(/does not name/);
    expect(checkCreate(c, { kind: 'refused', status: 400, reason: 'BadRequest', message: named })).toMatch(/expected 422/);
    expect(checkCreate(c, { kind: 'created', spec: {}, generation: 1 })).toMatch(/accepted/);
    expect(namesPath('x: spec.service.apex.labels[a.b]: Invalid', 'spec.service.apex.labels.a.b', 'spec.service.apex.labels')).toBe(true);
    // 1.20 names list items without their index, later servers with it.
    expect(namesPath('[spec.analysis.metrics[1].interval: Invalid value', 'spec.analysis.metrics.interval')).toBe(true);
    expect(namesPath('spec.analysis.alerts[0].providerRef: Required value', 'spec.analysis.alerts.providerRef')).toBe(true);
    expect(namesPath('spec.analysis.alerts[0].providerRef: Required value', 'spec.analysis.alerts.name')).toBe(false);
  });

  it('wants an accepted spec stored as predicted and reported with the expected reason', () => {
    const stored = accept.expect.kind === 'accept' ? accept.expect.stored : undefined;
    expect(checkCreate(accept, { kind: 'created', spec: stored, generation: 1 })).toBeUndefined();
    expect(checkCreate(accept, { kind: 'created', spec: { ...(stored as object), extra: 1 }, generation: 1 })).toMatch(/differs/);
    const outcome = accept.expect.kind === 'accept' ? accept.expect.outcome : undefined;
    if (outcome?.kind !== 'blocked') throw new Error('a semantic case expects a block');
    const canary = (reason: string, message: string): Canary =>
      ({
        metadata: { name: accept.name, namespace: accept.namespace, generation: 1 },
        spec: stored,
        status: {
          conditions: [
            { type: 'Ready', status: 'False', reason, message, observedGeneration: 1 },
            { type: 'Stalled', status: 'True', reason, message, observedGeneration: 1 },
          ],
        },
      }) as unknown as Canary;
    const good = checkReport(
      accept,
      canary(outcome.reason, `${outcome.fragments.map((f) => f.source.replace(/\\/g, '')).join(' ')} and more`),
    );
    expect(good.outcome).toBe(`Stalled/${outcome.reason}`);
    expect(checkReport(accept, undefined)).toMatchObject({ settled: false });
    expect(checkReport(accept, canary('Surprise', 'something went wrong here')).problem).toBeDefined();
  });

  it('calls a message unhelpful when it leaks a programming error, not when it quotes the user', () => {
    expect(unhelpful('cannot read target: undefined', {})).toMatch(/undefined/);
    expect(unhelpful('Deployment ns/undefined not found', { targetRef: { name: 'undefined' } })).toBeUndefined();
    expect(unhelpful('TypeError: x is not a function', {})).toBeDefined();
    expect(unhelpful('', {})).toMatch(/too short/);
  });
});

describe('the run settings', () => {
  it('draws and prints a seed unless FUZZ_SEED is set, and reads FUZZ_COUNT and FUZZ_CASES', () => {
    expect(fuzzConfig({}, () => 99)).toMatchObject({ seed: 99, count: 1000, seedGiven: false, concurrency: 16 });
    expect(fuzzConfig({ FUZZ_SEED: '7', FUZZ_COUNT: '50' })).toMatchObject({ seed: 7, count: 50, seedGiven: true });
    const only = fuzzConfig({ FUZZ_SEED: '7', FUZZ_COUNT: '10', FUZZ_CASES: '3, 250' });
    expect(only.count).toBe(251);
    expect([...only.only!]).toEqual([3, 250]);
    expect(() => fuzzConfig({ FUZZ_COUNT: 'many' })).toThrow(/FUZZ_COUNT/);
    expect(replayHint(only, [3])).toBe('FUZZ_SEED=7 FUZZ_COUNT=251 FUZZ_CASES=3');
  });
});
