import type { KubeClient } from '../src/kube/client.js';
import { Informer } from '../src/kube/informer.js';
import { currentPriority, RateLimitTimeout, TokenBucket, withPriority, type TakeOptions } from '../src/kube/rate-limit.js';
import { Resources } from '../src/kube/resources.js';
import { silentLogger } from '../src/util/log.js';
import { FakeClock, settle } from './fakes/clock.js';

/** A bucket on fake time, and the times (ms) at which each take() resolved, by label. */
function bucket(qps: number, burst: number) {
  const clock = new FakeClock();
  const waited: [number, string][] = [];
  const waiting: number[] = [];
  const b = new TokenBucket({ qps, burst, clock, observer: { waited: (s, p) => waited.push([s, p]), waiting: (n) => waiting.push(n) } });
  const got: [string, number][] = [];
  const take = (label: string, o: TakeOptions = {}): Promise<void> =>
    b.take(o).then(
      () => void got.push([label, clock.now()]),
      (err: unknown) => void got.push([`${label}:${(err as Error).name}`, clock.now()]),
    );
  return { b, clock, got, take, waited, waiting };
}

describe('TokenBucket', () => {
  it.each<[string, number, number, number, number[]]>([
    ['burst 3 at 10 qps: 3 at once, then one every 100ms', 10, 3, 6, [0, 0, 0, 100, 200, 300]],
    ['burst 1 at 2 qps: one every 500ms', 2, 1, 4, [0, 500, 1000, 1500]],
    ['burst 5 at 1000 qps: 5 at once, then one every ms', 1000, 5, 8, [0, 0, 0, 0, 0, 1, 2, 3]],
    ['fractional 0.5 qps: one every 2s', 0.5, 1, 3, [0, 2000, 4000]],
  ])('given %s, then requests get tokens at those times', async (_t, qps, burst, n, times) => {
    const { clock, got, take } = bucket(qps, burst);
    for (let i = 0; i < n; i++) void take(`r${i}`);
    await clock.advance(10_000);
    expect(got.map(([, t]) => t)).toEqual(times);
    expect(got.map(([l]) => l)).toEqual(times.map((_, i) => `r${i}`));
  });

  it('given a quiet spell, then tokens refill up to the burst and no further', async () => {
    const { clock, got, take } = bucket(10, 2);
    await take('a');
    await take('b');
    await clock.advance(5_000);
    for (const l of ['c', 'd', 'e']) void take(l);
    await clock.advance(1_000);
    expect(got).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 5000],
      ['d', 5000],
      ['e', 5100],
    ]);
  });

  it("given requests waiting, then 'due' ones get tokens before 'event' ones that came earlier", async () => {
    const { clock, got, take } = bucket(10, 1);
    await take('first');
    void take('event-1', { priority: 'event' });
    void take('event-2');
    void take('due-1', { priority: 'due' });
    void withPriority('due', () => take('due-2'));
    await clock.advance(1_000);
    expect(got).toEqual([
      ['first', 0],
      ['due-1', 100],
      ['due-2', 200],
      ['event-1', 300],
      ['event-2', 400],
    ]);
  });

  it('given a token available but others waiting, then a new request queues behind them (no overtaking)', async () => {
    const { b, clock, got, take } = bucket(10, 1);
    await take('a');
    void take('b');
    // b's timer (due at 100) has not fired by 150, when a token and a half are there: c must not take one first.
    clock.skip(150);
    void take('c');
    await clock.advance(200);
    expect(got.map(([l]) => l)).toEqual(['a', 'b', 'c']);
    expect(got[1]).toEqual(['b', 150]);
    expect(b.waiting).toBe(0);
  });

  it('given a wait longer than the timeout, then the take rejects at the timeout and its place goes to the next', async () => {
    const { b, clock, got, take } = bucket(1, 1);
    await take('a');
    void take('short', { timeoutMs: 300 });
    void take('long', { timeoutMs: 5_000 });
    await clock.advance(2_000);
    expect(got).toEqual([
      ['a', 0],
      ['short:RateLimitTimeout', 300],
      ['long', 1000],
    ]);
    expect(b.waiting).toBe(0);
  });

  it('given an aborted signal, then the waiting take rejects with its reason and leaves the queue', async () => {
    const { b, clock, take, got } = bucket(1, 1);
    await take('a');
    const ctl = new AbortController();
    void take('b', { signal: ctl.signal });
    await settle();
    expect(b.waiting).toBe(1);
    ctl.abort(new Error('stop'));
    await settle();
    expect(b.waiting).toBe(0);
    await clock.advance(2_000);
    expect(got).toEqual([
      ['a', 0],
      ['b:Error', 0],
    ]);
  });

  it('given every waiter gone (timed out), then no refill timer is left behind', async () => {
    const { clock, take } = bucket(0.01, 1);
    await take('a');
    void take('b', { timeoutMs: 50 });
    await clock.advance(50);
    expect(clock.pending).toBe(0);
  });

  it('reports the requests waiting and the time each waited, with its priority', async () => {
    const { clock, take, waited, waiting } = bucket(4, 1);
    void take('a');
    void take('b');
    void take('c');
    void withPriority('due', () => take('d'));
    await clock.advance(1_000);
    expect(waited).toEqual([
      [0, 'event'],
      [0.25, 'due'],
      [0.5, 'event'],
      [0.75, 'event'],
    ]);
    expect(waiting).toEqual([1, 2, 3, 2, 1, 0]);
  });

  it.each<[number, number]>([
    [0, 1],
    [-1, 1],
    [NaN, 1],
    [1, 0],
  ])('given qps %p and burst %p, then it refuses to be built', (qps, burst) => {
    expect(() => new TokenBucket({ qps, burst })).toThrow(RangeError);
  });

  it('names the limit in its timeout error', () => {
    expect(new RateLimitTimeout(300).message).toContain('--kube-api-qps');
  });
});

describe('the priority of an informer started inside a due handler', () => {
  it("given an informer first started within a 'due' context, then its list and watch requests run at 'event'", async () => {
    const seen: string[] = [];
    const client = {
      list: async () => (seen.push(`list:${currentPriority()}`), { items: [], metadata: { resourceVersion: '1' } }),
      watch: (_p: string, _q: unknown, _cb: unknown, signal: AbortSignal) => {
        seen.push(`watch:${currentPriority()}`);
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    } as unknown as KubeClient;
    const informer = new Informer({ client, resource: Resources.configMaps, logger: silentLogger() });
    await withPriority('due', () => informer.start());
    await settle();
    informer.stop();
    expect(seen).toEqual(['list:event', 'watch:event']);
  });
});
