import { ReplayCache } from '../src/auth/replay.js';
import { permits, coversNamespace, type Capability, type Scope } from '../src/auth/scope.js';
import { claimedNamespace } from '../src/http/auth.js';
import { capabilityOf } from '../src/app.js';

describe('ReplayCache', () => {
  it('given a signature seen before and not expired, then it is a replay', () => {
    const c = new ReplayCache(10);
    expect(c.remember('a', 1300, 1000)).toBe('new');
    expect(c.remember('a', 1300, 1299)).toBe('seen');
    expect(c.remember('b', 1300, 1000)).toBe('new');
  });

  it('given entries past their expiry, then they are dropped and the cache does not grow', () => {
    const c = new ReplayCache(10);
    for (let i = 0; i < 5; i++) c.remember(`s${i}`, 1000 + i, 900);
    c.remember('later', 2400, 2100);
    expect(c.size).toBe(1);
  });

  it('given a full cache, then expired entries anywhere in it make room; with none expired, it answers full and keeps what it has', () => {
    const c = new ReplayCache(3);
    c.remember('long', 5000, 1000);
    c.remember('short', 1100, 1000);
    c.remember('long2', 5000, 1000);
    expect(c.remember('new', 5000, 1200)).toBe('new');
    expect(c.remember('more', 5000, 1200)).toBe('full');
    expect(c.remember('long', 5000, 1200)).toBe('seen');
  });
});

describe('what a credential may call', () => {
  const all: Scope = { kind: 'all' };
  const tasks: Scope = { kind: 'namespace', namespace: 'a', role: 'tasks' };
  const gates: Scope = { kind: 'namespace', namespace: 'a', role: 'gates' };
  it.each<[string, Scope, Capability, boolean]>([
    ['the token', all, 'admin', true],
    ['the token', all, 'tasks', true],
    ['a namespace key', tasks, 'tasks', true],
    ['a namespace key', tasks, 'gates', true],
    ['a namespace key', tasks, 'admin', false],
    ['a gate key', gates, 'gates', true],
    ['a gate key', gates, 'tasks', false],
    ['a gate key', gates, 'admin', false],
  ])('given %s and an endpoint needing %#, then permits is as listed', (_who, scope, needed, expected) => {
    expect(permits(scope, needed)).toBe(expected);
  });

  it('given a namespace scope, then it covers its namespace only', () => {
    expect([coversNamespace(tasks, 'a'), coversNamespace(tasks, 'b'), coversNamespace(all, 'b')]).toEqual([true, false, true]);
  });

  it.each<[string, Capability]>([
    ['/gate/open', 'gates'],
    ['/rollback/check', 'gates'],
    ['/gate/status', 'gates'],
    ['/', 'tasks'],
    ['/tasks', 'admin'],
    ['/metrics', 'admin'],
    ['/GATE/OPEN', 'admin'],
    ['/gate/open/', 'admin'],
    ['/unknown', 'admin'],
  ])('given the path %s, then it needs %s (unknown spellings fail closed)', (path, needed) => {
    expect(capabilityOf(path)).toBe(needed);
  });
});

describe('claimedNamespace', () => {
  it.each<[string, unknown, unknown, string | undefined]>([
    ["the body's", { namespace: 'a' }, { namespace: 'b' }, 'a'],
    ["the query's without a body", undefined, { namespace: 'b' }, 'b'],
    ["the query's when the body has none", { name: 'x' }, { namespace: 'b' }, 'b'],
    ['none for a number', { namespace: 7 }, {}, undefined],
    ['none for a repeated query parameter', undefined, { namespace: ['a', 'b'] }, undefined],
    ['none for a JSON array body', ['a'], {}, undefined],
  ])('given %s namespace, then that is the claimed one', (_what, body, query, expected) => {
    expect(claimedNamespace(body, query)).toBe(expected);
  });
});
