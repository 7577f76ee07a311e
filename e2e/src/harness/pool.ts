/**
 * A small task pool for e2e suites whose cases are mostly waiting (analysis intervals, scrapes): at most `limit`
 * tasks at once, and never two at once that share a key (e.g. a CRD one case installs in another version, or
 * deletes, while another case uses it).
 */

/** One task: the keys it holds while it runs, and the work. */
export interface PoolTask<T> {
  keys: readonly string[];
  run: () => Promise<T>;
}

/**
 * Which waiting tasks start now (their indices into `waiting`, in order): each in turn, while a slot is free,
 * if none of its keys is held by a running task or by one chosen before it. A task blocked by a key does not hold
 * back the later ones; it is chosen first once its key is free, as it comes earlier.
 */
export function startable(waiting: readonly (readonly string[])[], held: ReadonlySet<string>, free: number): number[] {
  const taken = new Set(held);
  const chosen: number[] = [];
  for (const [i, keys] of waiting.entries()) {
    if (chosen.length >= free) break;
    if (keys.some((k) => taken.has(k))) continue;
    for (const k of keys) taken.add(k);
    chosen.push(i);
  }
  return chosen;
}

/**
 * Runs the tasks (in the order given, as `startable` allows) and returns one settled outcome per task, in the
 * tasks' order: a task that fails does not stop the others, and no outcome is ever a rejected promise.
 */
export function runPool<T>(tasks: readonly PoolTask<T>[], limit: number): Promise<PromiseSettledResult<T>>[] {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool limit must be a positive integer, not ${limit}`);
  const waiting = tasks.map((task, index) => ({ task, index }));
  const held = new Set<string>();
  let running = 0;
  const settle: ((r: PromiseSettledResult<T>) => void)[] = [];
  const outcomes = tasks.map((_, i) => new Promise<PromiseSettledResult<T>>((resolve) => (settle[i] = resolve)));
  const pump = (): void => {
    const picked = startable(
      waiting.map((w) => w.task.keys),
      held,
      limit - running,
    );
    for (const { task, index } of picked.map((i) => waiting[i]!)) {
      running++;
      for (const k of task.keys) held.add(k);
      const finish = (r: PromiseSettledResult<T>): void => {
        running--;
        for (const k of task.keys) held.delete(k);
        settle[index]!(r);
        pump();
      };
      Promise.resolve()
        .then(task.run)
        .then(
          (value) => finish({ status: 'fulfilled', value }),
          (reason: unknown) => finish({ status: 'rejected', reason }),
        );
    }
    for (const i of picked.reverse()) waiting.splice(i, 1);
  };
  pump();
  return outcomes;
}
