import type { Canary, CanaryStatus, Phase } from '@tollgate/operator/api/types';
import { canaryConditions } from '@tollgate/operator/core/conditions';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import type { CoreEvent } from '../src/canary.js';
import { pollFeed } from '../src/feed.js';
import type { Io } from '../src/io.js';
import { run, type Deps } from '../src/main.js';
import { FakeKube } from '../../operator/test/fakes/fake-kube.js';

export const T0 = Date.parse('2026-03-01T12:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A Canary as the API server returns it, with the status the operator would write for the phase. */
export function canary(
  o: {
    name?: string;
    namespace?: string;
    phase?: Phase;
    status?: Partial<CanaryStatus>;
    annotations?: Record<string, string>;
    generation?: number;
    readyMessage?: string;
    paused?: boolean;
    analysis?: NonNullable<Canary['spec']['analysis']>;
    created?: number;
  } = {},
): Canary {
  const phase = o.phase ?? 'Succeeded';
  const generation = o.generation ?? 1;
  const status: CanaryStatus = {
    phase,
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: 'rev2',
    lastPromotedSpec: phase === 'Succeeded' || phase === 'Initialized' ? 'rev2' : 'rev1',
    observedGeneration: generation,
    runStartTime: iso(T0 - 60_000),
    lastAnalysisTime: iso(T0 - 3000),
    ...o.status,
  };
  const upToDate = status.lastAppliedSpec === status.lastPromotedSpec;
  status.conditions ??= canaryConditions(
    [],
    { phase, generation, upToDate, paused: o.paused, ...(o.readyMessage ? { detail: o.readyMessage } : {}) },
    iso(T0 - 30_000),
  );
  return {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: {
      name: o.name ?? 'podinfo',
      namespace: o.namespace ?? 'test',
      generation,
      uid: 'uid-1',
      creationTimestamp: iso(o.created ?? T0 - 3 * 86_400_000),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name ?? 'podinfo' },
      service: { port: 9898 },
      analysis: o.analysis ?? { interval: '3s', threshold: 2, stepWeight: 20, maxWeight: 60 },
    },
    status,
  };
}

export function event(
  reason: string,
  message: string,
  at: number,
  o: { count?: number; last?: number; type?: string; name?: string; canary?: string; uid?: string } = {},
): CoreEvent {
  return {
    metadata: { name: o.name ?? `${o.canary ?? 'podinfo'}.${reason}.${at}`, namespace: 'test' },
    involvedObject: { kind: 'Canary', name: o.canary ?? 'podinfo', namespace: 'test', ...(o.uid ? { uid: o.uid } : {}) },
    type: o.type ?? 'Normal',
    reason,
    message,
    count: o.count ?? 1,
    firstTimestamp: iso(at),
    lastTimestamp: iso(o.last ?? at),
  };
}

/**
 * A virtual clock: sleep() resolves when the test's driver advances time to it, so timeouts of minutes take no
 * time and happen in order with scheduled changes (what the operator would do at that moment).
 */
class Clock {
  now = T0;
  private timers: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = { at: this.now + ms, seq: this.seq++, fire: () => resolve() };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          resolve();
        },
        { once: true },
      );
    });

  /** Runs fn when the clock reaches at (ms from T0). */
  at(offsetMs: number, fn: () => void): void {
    this.timers.push({ at: T0 + offsetMs, seq: this.seq++, fire: fn });
  }

  /** Advances to the earliest timer and fires it; false when there is none. */
  fireNext(): boolean {
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = this.timers.shift();
    if (!next) return false;
    this.now = Math.max(this.now, next.at);
    next.fire();
    return true;
  }
}

export interface Harness {
  kube: FakeKube;
  clock: Clock;
  out: string[];
  err: string[];
  io: Io;
  /** Runs a command line to its exit code, advancing the virtual clock whenever everything else waits. */
  run(...argv: string[]): Promise<number>;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

export function harness(o: { connectError?: Error; wrap?: (k: KubeClient) => KubeClient } = {}): Harness {
  const kube = new FakeKube();
  const clock = new Clock();
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { stdout: (l) => void out.push(l), stderr: (l) => void err.push(l), now: () => clock.now, sleep: clock.sleep };
  const deps = (): Deps => ({
    io,
    connect: async (cluster) => {
      if (o.connectError) throw o.connectError;
      // The fake is built on the operator's sources, the CLI on its build: the same class, declared twice.
      const client = kube.client() as unknown as KubeClient;
      return { kube: o.wrap ? o.wrap(client) : client, namespace: cluster.namespace ?? 'test', server: 'https://fake:6443' };
    },
    feed: pollFeed(1000),
    signal: new AbortController().signal,
    prog: 'tollgate',
  });
  return {
    kube,
    clock,
    out,
    err,
    io,
    async run(...argv) {
      let done = false;
      const p = run(argv, deps()).finally(() => {
        done = true;
      });
      for (let idle = 0; !done && idle < 3;) {
        await settle();
        if (done) break;
        if (clock.fireNext()) idle = 0;
        else idle++;
      }
      if (!done) throw new Error(`command stuck: ${argv.join(' ')}\n${out.join('\n')}\n${err.join('\n')}`);
      return p;
    },
  };
}

export const putCanary = (h: Harness, c: Canary): Canary => h.kube.put(Resources.canaries, c);

/** Changes the stored Canary's status as the operator would (conditions included; metadata and annotations kept). */
export function operatorWrites(
  h: Harness,
  change: Partial<CanaryStatus> | ((c: Canary) => Partial<CanaryStatus>),
  detail?: string,
  o: { blocked?: { reason: string; message: string }; paused?: boolean } = {},
  name = 'podinfo',
): void {
  const live = h.kube.get<Canary>(Resources.canaries, 'test', name)!;
  const next = { ...live.status, ...(typeof change === 'function' ? change(live) : change) } as CanaryStatus;
  const generation = live.metadata.generation ?? 1;
  next.conditions = canaryConditions(
    live.status?.conditions ?? [],
    {
      phase: next.phase ?? '',
      generation,
      upToDate: next.lastAppliedSpec === next.lastPromotedSpec,
      ...(detail ? { detail } : {}),
      ...o,
    },
    iso(h.clock.now),
  );
  h.kube.put(Resources.canaries, { ...live, status: { ...next, observedGeneration: generation } });
}

/** Runs a command line that needs no cluster (lint, convert, completion) to its end: real time, real files. */
export async function offline(argv: string[], stdin = ''): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    io: { stdout: (l) => void out.push(l), stderr: (l) => void err.push(l), now: Date.now, sleep: async () => undefined },
    connect: () => Promise.reject(new Error('no cluster')),
    feed: pollFeed(1000),
    signal: new AbortController().signal,
    prog: 'tollgate',
    stdin: async () => stdin,
  });
  return { code, out, err };
}
