import type { QueueClock } from '../../src/kube/clock.js';

/** Lets the queue's workers run: several turns of the event loop, so every promise chain in flight settles. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Time that moves only when a test moves it; the timers due on the way fire in order, each followed by settle(). */
export class FakeClock implements QueueClock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimer = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimer = (handle: unknown): void => void this.timers.delete(handle as number);

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time on without firing the timers due on the way (a busy event loop): the next advance() fires them late. */
  skip(ms: number): void {
    this.t += ms;
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const [id, next] = [...this.timers.entries()].sort(([a, x], [b, y]) => x.at - y.at || a - b)[0] ?? [];
      if (id === undefined || !next || next.at > end) break;
      this.timers.delete(id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await settle();
  }
}
