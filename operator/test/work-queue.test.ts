import { jest } from '@jest/globals';
import { currentPriority } from '../src/kube/rate-limit.js';
import { MAX_DELAY_MS, WorkQueue, type WorkHandler, type WorkQueueOptions } from '../src/kube/work-queue.js';
import { FakeClock, settle } from './fakes/clock.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs = 1000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await delay(2);
  }
}

/** A queue whose handler records every call and its start time; stopped after each test. */
const queues: WorkQueue[] = [];
function queueOf(handler: WorkHandler, opts: Partial<WorkQueueOptions> = {}): WorkQueue {
  const q = new WorkQueue({ workers: 2, handler, onError: () => {}, ...opts });
  queues.push(q);
  return q;
}
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.shutdown()));
});

describe('WorkQueue de-duplication', () => {
  it('given a key added three times before start, then it is held once and processed once', async () => {
    const calls: string[] = [];
    const depths: number[] = [];
    const q = queueOf(async (k) => void calls.push(k), { onDepth: (d) => depths.push(d) });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    expect(depths).toEqual([1, 2]);
    q.start();
    await waitFor(() => calls.length === 2);
    await delay(20);
    expect(calls.sort()).toEqual(['a', 'b']);
    expect(q.depth).toBe(0);
  });

  it('given a key processed and done, when added again, then it is processed again', async () => {
    const calls: string[] = [];
    const q = queueOf(async (k) => void calls.push(k));
    q.start();
    q.add('a');
    await waitFor(() => calls.length === 1);
    q.add('a');
    await waitFor(() => calls.length === 2);
  });
});

describe('WorkQueue concurrency', () => {
  it('given a key being processed, when it is added again many times, then it never runs twice at once and runs exactly once more afterwards', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const q = queueOf(
      async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await gate.promise;
        else await delay(5);
        running--;
      },
      { workers: 4 },
    );
    q.start();
    q.add('a');
    await waitFor(() => calls === 1);
    for (let i = 0; i < 5; i++) q.add('a');
    expect(q.depth).toBe(0);
    await delay(30);
    expect(calls).toBe(1);
    gate.resolve();
    await waitFor(() => calls === 2);
    await delay(30);
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('given two workers, then two different keys are processed in parallel', async () => {
    const gate = deferred();
    const started: string[] = [];
    const q = queueOf(async (k) => {
      started.push(k);
      await gate.promise;
    });
    q.start();
    q.add('a');
    q.add('b');
    await waitFor(() => started.length === 2);
    expect(started.sort()).toEqual(['a', 'b']);
    gate.resolve();
  });

  it('given one worker, then keys are processed one at a time in the order added', async () => {
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const q = queueOf(
      async (k) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        order.push(k);
        await delay(3);
        running--;
      },
      { workers: 1 },
    );
    for (const k of ['c', 'a', 'b']) q.add(k);
    q.start();
    await waitFor(() => order.length === 3);
    expect(order).toEqual(['c', 'a', 'b']);
    expect(maxRunning).toBe(1);
  });
});

describe('WorkQueue errors and backoff', () => {
  it('given a handler failing three times, then each retry waits longer, per key, and other keys are not delayed', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const retries: number[] = [];
    const other: number[] = [];
    const q = queueOf(
      async (k) => {
        if (k === 'b') return void other.push(clock.now());
        attempts.push(clock.now());
        if (attempts.length <= 3) throw new Error(`boom ${attempts.length}`);
      },
      {
        clock,
        backoff: { initialMs: 20, maxMs: 60 },
        onError: (key, err, retryIn) => {
          expect(key).toBe('a');
          expect((err as Error).message).toBe(`boom ${retries.length + 1}`);
          retries.push(retryIn);
        },
      },
    );
    q.start();
    q.add('a');
    q.add('b');
    await clock.advance(1000);
    expect(attempts).toHaveLength(4);
    // full jitter: between half and all of min(max, initial * 2^n)
    expect(retries[0]).toBeGreaterThanOrEqual(10);
    expect(retries[0]).toBeLessThanOrEqual(20);
    expect(retries[1]).toBeGreaterThanOrEqual(20);
    expect(retries[1]).toBeLessThanOrEqual(40);
    expect(retries[2]).toBeGreaterThanOrEqual(30);
    expect(retries[2]).toBeLessThanOrEqual(60);
    for (let i = 1; i < 4; i++) expect(attempts[i]! - attempts[i - 1]!).toBe(retries[i - 1]);
    expect(other).toEqual([0]);
  });

  it('given a success after failures, then the backoff of that key starts over', async () => {
    const clock = new FakeClock();
    let mode: 'fail' | 'ok' = 'fail';
    let calls = 0;
    const retries: number[] = [];
    const q = queueOf(
      async () => {
        calls++;
        if (mode === 'fail') throw new Error('boom');
      },
      { clock, backoff: { initialMs: 10, maxMs: 1000 }, onError: (_k, _e, retryIn) => retries.push(retryIn) },
    );
    q.start();
    q.add('a');
    await settle();
    await clock.advance(retries[0]!);
    await clock.advance(retries[1]!);
    expect([calls, retries.length]).toEqual([3, 3]);
    mode = 'ok';
    await clock.advance(retries[2]!);
    expect(calls).toBe(4);
    mode = 'fail';
    q.add('a');
    await settle();
    expect(retries).toHaveLength(4);
    expect(retries[2]).toBeGreaterThanOrEqual(20);
    expect(retries[3]).toBeGreaterThanOrEqual(5);
    expect(retries[3]).toBeLessThanOrEqual(10);
  });

  it('given a failure, when forget is called before the retry, then the retry is dropped', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const q = queueOf(
      async () => {
        calls++;
        throw new Error('gone');
      },
      { clock, backoff: { initialMs: 40, maxMs: 40 } },
    );
    q.start();
    q.add('a');
    await settle();
    expect([calls, clock.pending]).toEqual([1, 1]);
    q.forget('a');
    await clock.advance(80);
    expect([calls, clock.pending]).toEqual([1, 0]);
  });
});

describe('WorkQueue delayed adds', () => {
  it('given a handler asking for a requeue, then the key is processed again after that delay', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const q = queueOf(
      async () => {
        times.push(clock.now());
        return times.length === 1 ? { requeueAfterMs: 40 } : {};
      },
      { clock },
    );
    q.start();
    q.add('a');
    await clock.advance(39);
    expect(times).toEqual([0]);
    await clock.advance(1);
    expect(times).toEqual([0, 40]);
    await clock.advance(60);
    expect(times).toEqual([0, 40]);
  });

  it('given a later addAfter, then the earlier deadline wins and the key runs once', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const q = queueOf(async () => void times.push(clock.now()), { clock });
    q.start();
    q.addAfter('a', 30);
    q.addAfter('a', 150);
    await clock.advance(200);
    expect(times).toEqual([30]);
  });

  it('given an earlier addAfter, then it replaces the pending later one', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const q = queueOf(async () => void times.push(clock.now()), { clock });
    q.start();
    q.addAfter('a', 150);
    q.addAfter('a', 30);
    await clock.advance(200);
    expect(times).toEqual([30]);
  });

  it.each([[0], [-5]])('given addAfter with %p ms, then the key is added at once', (ms) => {
    const q = queueOf(async () => {});
    q.addAfter('a', ms);
    expect(q.depth).toBe(1);
  });

  it('given a pending addAfter, when forget is called, then nothing runs', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const q = queueOf(async () => void calls++, { clock });
    q.start();
    q.addAfter('a', 20);
    q.forget('a');
    await clock.advance(50);
    expect([calls, clock.pending]).toEqual([0, 0]);
  });

  it('given delayed adds of different keys, then each runs on its own schedule', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const q = queueOf(async (k) => void seen.push(`${k}@${clock.now()}`), { clock });
    q.start();
    q.addAfter('late', 50);
    q.addAfter('early', 10);
    await clock.advance(100);
    expect(seen).toEqual(['early@10', 'late@50']);
  });
});

describe('WorkQueue shutdown', () => {
  it('given keys in flight and queued, then shutdown waits for the ones in flight and drops the rest', async () => {
    const gate = deferred();
    const started: string[] = [];
    const finished: string[] = [];
    const q = queueOf(
      async (k) => {
        started.push(k);
        await gate.promise;
        finished.push(k);
      },
      { workers: 1 },
    );
    q.start();
    q.add('a');
    q.add('b');
    q.add('c');
    await waitFor(() => started.length === 1);
    let done = false;
    const stopping = q.shutdown().then(() => (done = true));
    await delay(20);
    expect(done).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toEqual(['a']);
    expect(started).toEqual(['a']);
  });

  it('given a key added during processing, when shutting down, then it is not re-queued', async () => {
    const gate = deferred();
    let calls = 0;
    const q = queueOf(async () => {
      calls++;
      await gate.promise;
    });
    q.start();
    q.add('a');
    await waitFor(() => calls === 1);
    q.add('a');
    const stopping = q.shutdown();
    gate.resolve();
    await stopping;
    await delay(10);
    expect(calls).toBe(1);
  });

  it('given a pending addAfter and a pending retry, then neither fires after shutdown', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const q = queueOf(
      async (k) => {
        calls++;
        if (k === 'fails') throw new Error('boom');
      },
      { clock, backoff: { initialMs: 20, maxMs: 20 } },
    );
    q.start();
    q.add('fails');
    await settle();
    q.addAfter('later', 20);
    expect([calls, clock.pending]).toEqual([1, 2]);
    await q.shutdown();
    await clock.advance(50);
    expect([calls, clock.pending]).toEqual([1, 0]);
  });

  it('given idle workers, then shutdown resolves promptly and later adds are ignored', async () => {
    let calls = 0;
    const q = queueOf(async () => void calls++, { workers: 3 });
    q.start();
    await delay(5);
    const t = Date.now();
    await q.shutdown();
    expect(Date.now() - t).toBeLessThan(50);
    q.add('a');
    q.addAfter('b', 1);
    expect(q.depth).toBe(0);
    await delay(10);
    expect(calls).toBe(0);
  });

  it('given a queue never started, then shutdown resolves', async () => {
    const q = queueOf(async () => {});
    q.add('a');
    await expect(q.shutdown()).resolves.toBeUndefined();
  });
});

describe('WorkQueue delays', () => {
  it.each([[3.6e12], [Number.POSITIVE_INFINITY], [Number.NaN]])(
    'given a handler asking to be called again in %p ms, then the key waits MAX_DELAY_MS instead of looping',
    async (requeueAfterMs) => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      try {
        let calls = 0;
        const q = queueOf(async () => {
          calls++;
          return { requeueAfterMs };
        });
        q.start();
        q.add('a');
        for (let i = 0; i < 20 && calls === 0; i++) await Promise.resolve();
        await jest.advanceTimersByTimeAsync(10);
        expect(calls).toBe(1);
        await jest.advanceTimersByTimeAsync(MAX_DELAY_MS - 100);
        expect(calls).toBe(1);
        await jest.advanceTimersByTimeAsync(200);
        expect(calls).toBe(2);
      } finally {
        jest.useRealTimers();
      }
    },
  );
});

describe('WorkQueue: due keys before event keys', () => {
  it('given keys added by events and keys whose requested time came, then the due ones are taken first, each in its order', async () => {
    const order: string[] = [];
    const q = queueOf(async (k) => void order.push(k), { workers: 1 });
    for (const k of ['e1', 'e2']) q.add(k);
    q.add('d1', 'due');
    q.add('e3');
    q.add('d2', 'due');
    expect(q.depth).toBe(5);
    q.start();
    await waitFor(() => order.length === 5);
    expect(order).toEqual(['d1', 'd2', 'e1', 'e2', 'e3']);
    expect(q.depth).toBe(0);
  });

  it('given a key waiting for an event, when its time comes, then it moves ahead, runs once, and the depth counts it once', async () => {
    const order: string[] = [];
    const q = queueOf(async (k) => void order.push(k), { workers: 1 });
    q.add('a');
    q.add('b');
    q.add('b', 'due');
    q.add('b');
    expect(q.depth).toBe(2);
    q.start();
    await waitFor(() => order.length === 2);
    await delay(20);
    expect(order).toEqual(['b', 'a']);
    expect(q.depth).toBe(0);
  });

  it('given a handler asking for a requeue while other keys wait for events, then the requeued key runs before them', async () => {
    const order: string[] = [];
    const gate = deferred();
    const q = queueOf(
      async (k) => {
        order.push(k);
        if (k === 'tick' && order.length === 1) return { requeueAfterMs: 10 };
        if (k === 'slow') await gate.promise;
        return {};
      },
      { workers: 1 },
    );
    q.add('tick');
    q.start();
    await waitFor(() => order.length === 1);
    q.add('slow');
    await waitFor(() => order.length === 2);
    for (const k of ['e1', 'e2', 'e3']) q.add(k);
    await delay(30); // the tick's time comes while 'slow' holds the only worker
    gate.resolve();
    await waitFor(() => order.length === 6);
    expect(order).toEqual(['tick', 'slow', 'tick', 'e1', 'e2', 'e3']);
  });

  it('given a failing key, then its retry waits among the event keys, behind a due one', async () => {
    const order: string[] = [];
    const gate = deferred();
    const q = queueOf(
      async (k) => {
        order.push(k);
        if (k === 'bad' && order.length === 1) throw new Error('boom');
        if (k === 'slow') await gate.promise;
        return {};
      },
      { workers: 1, backoff: { initialMs: 10, maxMs: 10 } },
    );
    q.add('bad');
    q.add('slow');
    q.start();
    await waitFor(() => order.length === 2);
    await delay(30); // the retry of 'bad' is queued while 'slow' holds the only worker
    q.add('due', 'due');
    gate.resolve();
    await waitFor(() => order.length === 4);
    expect(order).toEqual(['bad', 'slow', 'due', 'bad']);
  });
});

describe('WorkQueue: workers reserved for due keys', () => {
  /** A handler whose event keys block until released; records what runs at once. */
  function blocking() {
    const gate = deferred();
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const handler: WorkHandler = async (k) => {
      started.push(k);
      running++;
      most = Math.max(most, running);
      if (k.startsWith('e')) await gate.promise;
      running--;
    };
    return { gate, started, handler, most: () => most };
  }

  it('given event keys that hold their workers, then they never take the reserved ones, and a due key runs at once', async () => {
    const b = blocking();
    const q = queueOf(b.handler, { workers: 4, reservedForDue: 1 });
    q.start();
    for (let i = 0; i < 10; i++) q.add(`e${i}`);
    await waitFor(() => b.started.length === 3);
    await delay(20);
    expect(b.started).toEqual(['e0', 'e1', 'e2']);
    q.add('d', 'due');
    await waitFor(() => b.started.includes('d'));
    expect(q.depth).toBe(7);
    // Released, the event keys go on, three at a time at most.
    b.gate.resolve();
    await waitFor(() => b.started.length === 11);
    expect(b.most()).toBeLessThanOrEqual(4);
    expect(q.depth).toBe(0);
  });

  it('given no reservation (the default), then event keys may take every worker', async () => {
    const b = blocking();
    const q = queueOf(b.handler, { workers: 4 });
    q.start();
    for (let i = 0; i < 10; i++) q.add(`e${i}`);
    await waitFor(() => b.started.length === 4);
    q.add('d', 'due');
    await delay(20);
    expect(b.started).not.toContain('d');
    b.gate.resolve();
    await waitFor(() => b.started.length === 11);
    // Freed, the first worker took the due key before the six events left.
    expect(b.started[4]).toBe('d');
  });

  it('given a reservation of every worker, then one is still left to event keys', async () => {
    const b = blocking();
    const q = queueOf(b.handler, { workers: 2, reservedForDue: 5 });
    q.start();
    q.add('e0');
    q.add('e1');
    await waitFor(() => b.started.length === 1);
    await delay(20);
    expect(b.started).toEqual(['e0']);
    b.gate.resolve();
    await waitFor(() => b.started.length === 2);
  });
});

describe('WorkQueue request priority', () => {
  it("given a due key and an event key, then each handler's API requests run at its key's priority", async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const q = queueOf(
      async (k) => {
        await settle();
        seen.push(`${k}:${currentPriority()}`);
      },
      { clock, workers: 1 },
    );
    q.addAfter('step', 10);
    q.add('change');
    q.start();
    await clock.advance(10);
    await waitFor(() => seen.length === 2);
    expect(seen.sort()).toEqual(['change:event', 'step:due']);
    expect(currentPriority()).toBe('event');
  });
});
