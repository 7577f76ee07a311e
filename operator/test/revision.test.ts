import { canonicalJson, revisionOf } from '../src/core/revision.js';

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['a number', 42, '42'],
    ['a string with quotes', 'a"b', '"a\\"b"'],
    ['a boolean', false, 'false'],
    ['undefined', undefined, 'null'],
    ['an empty object', {}, '{}'],
    ['an empty array', [], '[]'],
    [
      'an object with unsorted keys',
      { b: 1, a: 2, c: { z: 1, y: [3, { k: 1, j: 2 }] } },
      '{"a":2,"b":1,"c":{"y":[3,{"j":2,"k":1}],"z":1}}',
    ],
    ['an object with an undefined field', { a: 1, b: undefined }, '{"a":1}'],
    ['an array with an undefined entry', [1, undefined, 2], '[1,null,2]'],
    ['keys that need escaping', { 'a"b': 1, 'tollgate.dev/revision': 'x' }, '{"a\\"b":1,"tollgate.dev/revision":"x"}'],
  ])('given %s, then it serialises to %p', (_title, value, json) => {
    expect(canonicalJson(value)).toBe(json);
  });

  it('given plain data, then the output is valid JSON equal to the input', () => {
    const value = {
      spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] }] },
      metadata: { labels: { app: 'x' } },
    };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('given two objects that differ only in key order at every level, then they serialise identically', () => {
    const a = {
      metadata: { labels: { app: 'podinfo', tier: 'web' }, annotations: { x: '1' } },
      spec: { containers: [{ name: 'app', image: 'i:1' }] },
    };
    const b = {
      spec: { containers: [{ image: 'i:1', name: 'app' }] },
      metadata: { annotations: { x: '1' }, labels: { tier: 'web', app: 'podinfo' } },
    };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('given arrays in a different order, then they serialise differently', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe('revisionOf', () => {
  const template = { metadata: { labels: { app: 'podinfo' } }, spec: { containers: [{ name: 'app', image: 'podinfo:6.0.0' }] } };

  it('given a value, then the revision is 10 lowercase hex characters', () => {
    expect(revisionOf(template)).toMatch(/^[0-9a-f]{10}$/);
  });

  it('given the same value twice, then the revision is stable', () => {
    expect(revisionOf(template)).toBe(revisionOf(JSON.parse(JSON.stringify(template))));
  });

  it('given a reordered copy, then the revision is the same', () => {
    const reordered = { spec: { containers: [{ image: 'podinfo:6.0.0', name: 'app' }] }, metadata: { labels: { app: 'podinfo' } } };
    expect(revisionOf(reordered)).toBe(revisionOf(template));
  });

  it('given an undefined field added, then the revision is the same', () => {
    expect(revisionOf({ ...template, status: undefined })).toBe(revisionOf(template));
  });

  it.each<[string, unknown]>([
    ['a new image', { ...template, spec: { containers: [{ name: 'app', image: 'podinfo:6.0.1' }] } }],
    ['a new label', { ...template, metadata: { labels: { app: 'podinfo', v: '2' } } }],
    ['an empty env list', { ...template, spec: { containers: [{ name: 'app', image: 'podinfo:6.0.0', env: [] }] } }],
  ])('given %s, then the revision changes', (_title, changed) => {
    expect(revisionOf(changed)).not.toBe(revisionOf(template));
  });

  it('given a known value, then the revision is the sha256 prefix of its canonical JSON', async () => {
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256').update('{"a":1,"b":[true,null]}').digest('hex').slice(0, 10);
    expect(revisionOf({ b: [true, null], a: 1 })).toBe(expected);
  });
});
