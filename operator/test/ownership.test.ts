import { ShardedOwnership, type ShardOptions } from '../src/controller/ownership.js';
import { preferredOwner, shardOf } from '../src/controller/shards.js';
import { LeaseLock, type Lease } from '../src/kube/leases.js';
import { KubeApiError } from '../src/kube/errors.js';
import { Resources } from '../src/kube/resources.js';
import { currentPriority } from '../src/kube/rate-limit.js';
import { silentLogger } from '../src/util/log.js';
import { FakeKube } from './fakes/fake-kube.js';

describe('shardOf and preferredOwner', () => {
  it('given one shard, then every key is in shard 0', () => {
    expect(['a/b', 'c/d', 'e/f'].map((k) => shardOf(k, 1))).toEqual([0, 0, 0]);
  });

  it('given 8 shards, then keys spread over them and the same key always lands in the same shard', () => {
    const keys = Array.from({ length: 400 }, (_, i) => `ns-${i % 7}/canary-${i}`);
    const counts = new Array(8).fill(0) as number[];
    for (const k of keys) counts[shardOf(k, 8)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(25);
    expect(keys.map((k) => shardOf(k, 8))).toEqual(keys.map((k) => shardOf(k, 8)));
  });

  it('given members, then each shard has one preferred owner, and removing a member moves only its shards', () => {
    const members = ['a', 'b', 'c'];
    const before = Array.from({ length: 16 }, (_, s) => preferredOwner(s, members));
    expect(new Set(before)).toEqual(new Set(members));
    const after = Array.from({ length: 16 }, (_, s) => preferredOwner(s, ['a', 'c']));
    before.forEach((owner, s) => {
      if (owner !== 'b') expect(after[s]).toBe(owner);
    });
    expect(after).not.toContain('b');
  });
});

describe('LeaseLock', () => {
  it('given a holder that stops renewing, then another takes the lease only after the lease duration, by its own clock', async () => {
    const kube = new FakeKube();
    let now = 1_000_000;
    const a = new LeaseLock(kube.client(), 'ns', 'l', { identity: 'a', leaseDurationMs: 15_000, now: () => now });
    const b = new LeaseLock(kube.client(), 'ns', 'l', { identity: 'b', leaseDurationMs: 15_000, now: () => now + 3_600_000 });
    expect(await a.tryAcquireOrRenew()).toBe('taken');
    expect(await b.tryAcquireOrRenew()).toBe('not-held');
    now += 10_000;
    expect(await b.tryAcquireOrRenew()).toBe('not-held');
    now += 6_000;
    expect(await b.tryAcquireOrRenew()).toBe('taken');
    expect(await a.tryAcquireOrRenew()).toBe('not-held');
  });
});

describe('ShardedOwnership', () => {
  const make = (
    kube: FakeKube,
    identity: string,
    clock: { now: number },
    events: string[],
    shards = 4,
    client = kube.client(),
  ): ShardedOwnership =>
    new ShardedOwnership({
      client,
      namespace: 'ns',
      prefix: 'tg',
      identity,
      shards,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      log: silentLogger(),
      now: () => clock.now,
      onAcquire: (s) => events.push(`${identity}+${s}`),
      onLose: (s) => events.push(`${identity}-${s}`),
    } satisfies ShardOptions);
  const round = (o: ShardedOwnership): Promise<void> => (o as unknown as { round(): Promise<void> }).round();

  it("given the renewal loop, then its Lease requests run at priority 'due' (before reconciles woken by events when tokens are short)", async () => {
    const kube = new FakeKube();
    const seen = new Set<string>();
    const inner = kube.client();
    const client = new Proxy(inner, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => (
          seen.add(`${String(prop)}:${currentPriority()}`),
          (v as (...a: unknown[]) => unknown).apply(target, args)
        );
      },
    });
    const a = make(kube, 'a', { now: 1_000_000 }, [], 1, client);
    a.start();
    for (let i = 0; i < 100 && a.heldShards.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const during = [...seen];
    await a.stop();
    expect(during.filter((s) => !s.endsWith(':due'))).toEqual([]);
    expect(during).toEqual(expect.arrayContaining(['list:due', 'create:due']));
  });

  it('given one replica, then it holds every shard', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const a = make(kube, 'a', clock, []);
    await round(a);
    expect(a.heldShards).toEqual([0, 1, 2, 3]);
  });

  it('given a second replica, then the shards are shared without overlap, and when one dies the other takes its shards back within a lease duration', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const events: string[] = [];
    const a = make(kube, 'a', clock, events, 8);
    const b = make(kube, 'b', clock, events, 8);
    await round(a);
    await round(b);
    clock.now += 2000;
    await round(a);
    await round(b);
    clock.now += 2000;
    await round(a);
    await round(b);
    const sa = a.heldShards;
    const sb = b.heldShards;
    expect([...sa, ...sb].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sa.filter((s) => sb.includes(s))).toEqual([]);
    expect(sb.length).toBeGreaterThan(0);
    // b dies: no more rounds. a keeps going; b's member lease and shard leases expire.
    for (let i = 0; i < 12; i++) {
      clock.now += 2000;
      await round(a);
    }
    expect(a.heldShards).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('given the API unreachable, then a replica drops its shards after renewDeadline, before they can expire for others', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const events: string[] = [];
    const a = make(kube, 'a', clock, events, 2);
    await round(a);
    expect(a.owns('x/y') || a.owns('y/z')).toBe(true);
    kube.notServed.add('leases.coordination.k8s.io/v1');
    clock.now += 8_000;
    await round(a);
    expect(a.heldShards).toEqual([0, 1]);
    clock.now += 3_000;
    await round(a);
    expect(a.heldShards).toEqual([]);
    expect(events).toEqual(['a+0', 'a+1', 'a-0', 'a-1']);
    expect(a.signalFor('x/y').aborted).toBe(true);
  });

  const memberLeases = (kube: FakeKube): string[] =>
    kube
      .lister<Lease>(Resources.leases)
      .list('ns')
      .filter((l) => l.metadata.labels?.['tollgate.dev/member'] === 'true')
      .map((l) => l.metadata.name!)
      .sort();

  it('given a replica stopping, then its member Lease is deleted and its shard Leases are left free for the others', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const a = make(kube, 'a', clock, [], 2);
    const b = make(kube, 'b', clock, [], 2);
    await round(a);
    await round(b);
    expect(memberLeases(kube)).toEqual(['tg-member-a', 'tg-member-b']);
    await b.stop();
    expect(memberLeases(kube)).toEqual(['tg-member-a']);
    await a.stop();
    expect(memberLeases(kube)).toEqual([]);
    expect(
      kube
        .lister<Lease>(Resources.leases)
        .list('ns')
        .map((l) => l.spec.holderIdentity),
    ).toEqual(['', '']);
  });

  /** rounds of `o`, each a retry period (2 s) after the last. */
  const advance = async (o: ShardedOwnership, clock: { now: number }, rounds: number): Promise<void> => {
    for (let t = 0; t < rounds; t++) {
      clock.now += 2000;
      await round(o);
    }
  };
  const peerCount = (o: ShardedOwnership): number => (o as unknown as { peers: Map<string, unknown> }).peers.size;

  it('given a replica killed without stopping, then a survivor deletes its member Lease after ten lease durations, not before', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const a = make(kube, 'a', clock, [], 2);
    const dead = make(kube, 'dead', clock, [], 2);
    await round(dead);
    await round(a);
    await advance(a, clock, 74);
    expect(memberLeases(kube)).toEqual(['tg-member-a', 'tg-member-dead']);
    await advance(a, clock, 2);
    expect(memberLeases(kube)).toEqual(['tg-member-a']);
    expect(a.heldShards).toEqual([0, 1]);
    expect(peerCount(a)).toBe(0);
  });

  it("given a dead member that renews between the survivor's list and its delete, then the delete fails on the resourceVersion and the Lease stays", async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const slow = new LeaseLock(kube.client(), 'ns', 'tg-member-slow', {
      identity: 'slow',
      leaseDurationMs: 15_000,
      now: () => clock.now,
      labels: { 'tollgate.dev/lease-of': 'tg', 'tollgate.dev/member': 'true' },
    });
    await slow.tryAcquireOrRenew();
    // The survivor's client: the member renews just before each delete reaches the API server.
    const client = kube.client();
    const deletes: string[] = [];
    const racing = Object.assign(Object.create(client) as typeof client, {
      delete: async (...args: Parameters<typeof client.delete>) => {
        deletes.push(args[2]);
        await slow.tryAcquireOrRenew();
        return client.delete(...args);
      },
    });
    const a = make(kube, 'a', clock, [], 1, racing);
    await round(a);
    await advance(a, clock, 80);
    expect(deletes.length).toBeGreaterThan(0);
    expect(memberLeases(kube)).toEqual(['tg-member-a', 'tg-member-slow']);
  });

  it('given member Leases it may not delete (403), then the survivor still renews its shards and keeps them', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const client = kube.client();
    const forbidden = Object.assign(Object.create(client) as typeof client, {
      delete: async () => {
        throw new KubeApiError(403, 'Forbidden', 'leases is forbidden', 'DELETE', 'leases');
      },
    });
    const dead = make(kube, 'dead', clock, [], 2);
    const a = make(kube, 'a', clock, [], 2, forbidden);
    await round(dead);
    await round(a);
    await advance(a, clock, 90);
    expect(a.heldShards).toEqual([0, 1]);
    expect(memberLeases(kube)).toEqual(['tg-member-a', 'tg-member-dead']);
  });

  it('given a member that deleted its own Lease on stop, then the survivor forgets its observer', async () => {
    const kube = new FakeKube();
    const clock = { now: 1_000_000 };
    const a = make(kube, 'a', clock, [], 2);
    const b = make(kube, 'b', clock, [], 2);
    await round(b);
    await round(a);
    expect(peerCount(a)).toBe(1);
    await b.stop();
    await advance(a, clock, 1);
    expect(peerCount(a)).toBe(0);
  });
});
