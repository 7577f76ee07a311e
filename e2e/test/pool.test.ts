import { runPool, startable, type PoolTask } from '../src/harness/pool.js';

describe('startable', () => {
  it.each([
    { title: 'all fit', waiting: [[], ['a'], ['b']], held: [], free: 3, want: [0, 1, 2] },
    { title: 'no more than the free slots', waiting: [['a'], ['b'], ['c']], held: [], free: 2, want: [0, 1] },
    { title: 'no slot', waiting: [['a']], held: [], free: 0, want: [] },
    { title: 'a held key blocks', waiting: [['a'], ['b']], held: ['a'], free: 2, want: [1] },
    { title: 'a later task overtakes a blocked one', waiting: [['a', 'x'], ['b']], held: ['x'], free: 1, want: [1] },
    { title: 'two waiting on one key: only the first', waiting: [['k'], ['k'], ['m']], held: [], free: 3, want: [0, 2] },
    { title: 'keyless tasks never block', waiting: [[], []], held: ['a'], free: 2, want: [0, 1] },
  ])('$title', ({ waiting, held, free, want }) => {
    expect(startable(waiting, new Set(held), free)).toEqual(want);
  });
});

/** A task that records when it runs and finishes when the test says so. */
function controlled(keys: string[], log: string[], name: string): PoolTask<string> & { finish(ok?: boolean): void } {
  let end: (ok: boolean) => void = () => undefined;
  return {
    keys,
    finish: (ok = true) => end(ok),
    run: () =>
      new Promise<string>((resolve, reject) => {
        log.push(`start ${name}`);
        end = (ok) => (ok ? resolve(name) : reject(new Error(`${name} failed`)));
      }),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('runPool', () => {
  it('runs at most limit tasks at once, never two sharing a key, each outcome settled on its own', async () => {
    const log: string[] = [];
    const [a, b, c, d] = [controlled(['crd'], log, 'a'), controlled(['crd'], log, 'b'), controlled([], log, 'c'), controlled([], log, 'd')];
    const outcomes = runPool([a, b, c, d], 2);
    await tick();
    expect(log).toEqual(['start a', 'start c']);
    a.finish(false);
    await tick();
    expect(log).toEqual(['start a', 'start c', 'start b']);
    c.finish();
    await tick();
    expect(log).toEqual(['start a', 'start c', 'start b', 'start d']);
    b.finish();
    d.finish();
    const settled = await Promise.all(outcomes);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason).toEqual(new Error('a failed'));
    expect((settled[3] as PromiseFulfilledResult<string>).value).toBe('d');
  });

  it('settles a task that throws synchronously as rejected, and goes on', async () => {
    const outcomes = runPool<number>(
      [
        {
          keys: [],
          run: () => {
            throw new Error('sync');
          },
        },
        { keys: [], run: () => Promise.resolve(2) },
      ],
      1,
    );
    expect((await Promise.all(outcomes)).map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %p', (limit) => {
    expect(() => runPool([], limit)).toThrow(RangeError);
  });
});
