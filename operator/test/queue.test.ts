import {
  decideQueue,
  ordinal,
  parsePriority,
  placeMessage,
  queueEnabled,
  type QueueCaps,
  type Running,
  type Waiter,
} from '../src/core/queue.js';

const run = (key: string): Running => ({ key, namespace: key.split('/')[0]! });
const wait = (key: string, since: number, urgent = false): Waiter => ({ key, namespace: key.split('/')[0]!, since, urgent });

describe('decideQueue', () => {
  // caps, running, waiting => admitted (in order)
  it.each<[string, QueueCaps, Running[], Waiter[], string[]]>([
    ['no cap admits everyone', { global: 0, perNamespace: 0 }, [run('a/x')], [wait('a/1', 1), wait('a/2', 2)], ['a/1', 'a/2']],
    [
      'a free slot goes to the earliest revision',
      { global: 2, perNamespace: 0 },
      [run('a/x')],
      [wait('a/2', 20), wait('a/1', 10)],
      ['a/1'],
    ],
    ['a full cap admits no one', { global: 1, perNamespace: 0 }, [run('a/x')], [wait('a/1', 1)], []],
    [
      'more running than the cap (the cap lowered) admits no one',
      { global: 1, perNamespace: 0 },
      [run('a/x'), run('a/y')],
      [wait('a/1', 1)],
      [],
    ],
    ['an urgent release jumps the queue', { global: 1, perNamespace: 0 }, [], [wait('a/1', 1), wait('a/2', 2, true)], ['a/2']],
    [
      'urgent ones keep their order among themselves',
      { global: 1, perNamespace: 0 },
      [],
      [wait('a/3', 3, true), wait('a/2', 2, true)],
      ['a/2'],
    ],
    ['equal times are ordered by key', { global: 1, perNamespace: 0 }, [], [wait('b/1', 5), wait('a/1', 5)], ['a/1']],
    [
      'a namespace at its cap lets another namespace through',
      { global: 10, perNamespace: 1 },
      [run('a/x')],
      [wait('a/1', 1), wait('b/1', 2)],
      ['b/1'],
    ],
    [
      'the namespace cap counts the releases admitted in the same decision',
      { global: 10, perNamespace: 2 },
      [],
      [wait('a/1', 1), wait('a/2', 2), wait('a/3', 3), wait('b/1', 4)],
      ['a/1', 'a/2', 'b/1'],
    ],
    ['the global cap holds up every namespace', { global: 2, perNamespace: 5 }, [run('a/x')], [wait('a/1', 1), wait('b/1', 2)], ['a/1']],
    [
      'only a namespace cap',
      { global: 0, perNamespace: 1 },
      [run('a/x'), run('b/x')],
      [wait('a/1', 1), wait('c/1', 2), wait('c/2', 3)],
      ['c/1'],
    ],
  ])('%s', (_t, caps, running, waiting, admitted) => {
    expect(decideQueue(caps, running, waiting).admitted).toEqual(admitted);
  });

  it('gives every release left waiting its place among all the waiting ones, and whether its namespace is full', () => {
    const d = decideQueue(
      { global: 3, perNamespace: 1 },
      [run('a/x'), run('b/x')],
      [wait('a/1', 1), wait('b/1', 2), wait('c/1', 3), wait('c/2', 4)],
    );
    expect(d.admitted).toEqual(['c/1']);
    expect(Object.fromEntries(d.places)).toEqual({
      'a/1': { place: 1, of: 4, namespaceFull: true },
      'b/1': { place: 2, of: 4, namespaceFull: true },
      'c/2': { place: 4, of: 4, namespaceFull: true },
    });
  });

  it('200 waiting releases under a cap of 10 with none running: the 10 earliest start', () => {
    const waiting = Array.from({ length: 200 }, (_, i) => wait(`ns/c${String(199 - i).padStart(3, '0')}`, 1000 + (199 - i)));
    const d = decideQueue({ global: 10, perNamespace: 0 }, [], waiting);
    expect(d.admitted).toEqual(Array.from({ length: 10 }, (_, i) => `ns/c${String(i).padStart(3, '0')}`));
    expect(d.places.get('ns/c010')).toEqual({ place: 11, of: 200, namespaceFull: false });
  });
});

describe('placeMessage', () => {
  it.each<[QueueCaps, boolean, string]>([
    [{ global: 10, perNamespace: 5 }, false, '3rd of 12 waiting; cap 10 (namespace cap 5)'],
    [{ global: 10, perNamespace: 0 }, false, '3rd of 12 waiting; cap 10'],
    [{ global: 0, perNamespace: 5 }, true, '3rd of 12 waiting; namespace cap 5; its namespace is at its cap'],
  ])('caps %j', (caps, namespaceFull, message) => {
    expect(placeMessage({ place: 3, of: 12, namespaceFull }, caps)).toBe(message);
  });

  it.each<[number, string]>([
    [1, '1st'],
    [2, '2nd'],
    [3, '3rd'],
    [4, '4th'],
    [11, '11th'],
    [12, '12th'],
    [13, '13th'],
    [21, '21st'],
    [102, '102nd'],
    [111, '111th'],
  ])('ordinal(%p) is %s', (n, s) => expect(ordinal(n)).toBe(s));
});

describe('parsePriority', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['normal', false],
    ['urgent', true],
    [' urgent ', true],
  ])('%p: urgent=%p, no error', (v, urgent) => {
    expect(parsePriority(v, 'tollgate.dev/priority')).toEqual({ urgent });
  });

  it.each<string>(['high', 'URGENT', '10', 'x'.repeat(10_000)])('%p is refused with a bounded message and queues as normal', (v) => {
    const p = parsePriority(v, 'tollgate.dev/priority');
    expect(p.urgent).toBe(false);
    expect(p.error).toMatch(
      /^annotation tollgate.dev\/priority: ".*" is not a priority \(normal or urgent\); the release queues as normal$/,
    );
    expect(p.error!.length).toBeLessThan(200);
  });
});

describe('queueEnabled', () => {
  it.each<[QueueCaps, boolean]>([
    [{ global: 0, perNamespace: 0 }, false],
    [{ global: 1, perNamespace: 0 }, true],
    [{ global: 0, perNamespace: 1 }, true],
  ])('%j: %p', (caps, on) => expect(queueEnabled(caps)).toBe(on));
});
