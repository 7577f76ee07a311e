import { LABELS } from '@tollgate/contract/metadata';
import type { KubeClient } from '../kube/client.js';
import { LeaseLock, type Lease } from '../kube/leases.js';
import { withPriority } from '../kube/rate-limit.js';
import { Resources } from '../kube/resources.js';
import type { Logger } from '../util/log.js';
import { preferredOwner, shardOf } from './shards.js';

/** Which Canaries this replica may act on. */
export interface Ownership {
  owns(key: string): boolean;
  /** Aborted when the key's shard is lost: in-flight work for it stops at once. */
  signalFor(key: string): AbortSignal;
}

/** A single replica without leader election owns everything. */
export const OWN_EVERYTHING: Ownership = { owns: () => true, signalFor: () => new AbortController().signal };

export interface ShardOptions {
  client: KubeClient;
  namespace: string;
  /** Lease names start with it: `<prefix>-shard-<n>`, `<prefix>-member-<identity>`. */
  prefix: string;
  identity: string;
  shards: number;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  now: () => number;
  onAcquire: (shard: number) => void;
  onLose: (shard: number) => void;
}

/** A member Lease unchanged for this many lease durations belongs to a dead process and is deleted. */
const MEMBER_GC_LEASES = 10;

/**
 * Leader election generalised to N shards, one Lease each. Replicas announce themselves with a member Lease;
 * each shard is wanted by the member rendezvous hashing prefers, so N replicas share the Canaries evenly.
 * A replica that cannot renew a shard within renewDeadline stops its work (onLose) before the Lease can
 * expire for anyone else (leaseDuration > renewDeadline); a dead replica's shards are taken over once their
 * Leases expire, within one lease duration. With shards = 1 this is plain active/passive leader election.
 */
export class ShardedOwnership implements Ownership {
  private readonly locks: LeaseLock[];
  private readonly member: LeaseLock;
  private readonly held = new Map<number, { renewedAt: number; abort: AbortController }>();
  /** Observers of other members' Leases. */
  private readonly peers = new Map<string, LeaseLock>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: ShardOptions) {
    const lock = (name: string, labels: Record<string, string>): LeaseLock =>
      new LeaseLock(o.client, o.namespace, name, {
        identity: o.identity,
        leaseDurationMs: o.leaseDurationMs,
        now: o.now,
        labels: { [LABELS.leaseOf]: o.prefix, ...labels },
      });
    this.locks = Array.from({ length: o.shards }, (_, i) => lock(`${o.prefix}-shard-${i}`, {}));
    this.member = lock(`${o.prefix}-member-${o.identity}`.slice(0, 253), { [LABELS.member]: 'true' });
  }

  owns(key: string): boolean {
    return this.held.has(shardOf(key, this.o.shards));
  }

  signalFor(key: string): AbortSignal {
    return this.held.get(shardOf(key, this.o.shards))?.abort.signal ?? AbortSignal.abort();
  }

  get heldShards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  start(): void {
    const loop = (): void => {
      if (this.stopped) return;
      // Lease renewals go before reconciles woken by events when the client's rate limit is short of tokens.
      void withPriority('due', () => this.round()).finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.o.retryPeriodMs);
      });
    };
    loop();
  }

  /**
   * Stops the work of every shard, then gives the shard Leases up so another replica takes over at once, and
   * deletes this process's member Lease (it names this process, which will not come back under that name).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const shard of [...this.held.keys()]) this.lose(shard);
    await Promise.all([...this.locks.map((l) => l.release()), this.member.remove().catch(() => false)]);
  }

  /** One list of every Lease, then the member Lease renewed and each shard kept, taken or handed over. */
  private async round(): Promise<void> {
    try {
      const leases = await this.o.client.list<Lease>(Resources.leases, this.o.namespace, {
        labelSelector: `${LABELS.leaseOf}=${this.o.prefix}`,
      });
      const byName = new Map(leases.items.map((l) => [l.metadata.name!, l]));
      await this.member.tryAcquireOrRenew(undefined, byName.get(this.member.name) ?? null);
      const members = this.liveMembers(leases.items);
      for (let shard = 0; shard < this.o.shards; shard++) {
        await this.tend(shard, preferredOwner(shard, members), byName.get(this.locks[shard]!.name) ?? null);
      }
      // Housekeeping last, and on its own: a failed delete (no RBAC for it, a 5xx) must not stop the renewals.
      await this.collectDeadMembers(leases.items).catch((err: unknown) => this.o.log.warn({ err }, 'dead member leases not collected'));
    } catch (err) {
      this.o.log.warn({ err }, 'shard leases: round failed');
    }
    this.dropStale();
  }

  /** Members whose Lease changed within its duration, as this process saw it (clock skew does not count). */
  private liveMembers(leases: Lease[]): string[] {
    const live: string[] = [this.o.identity];
    for (const l of this.otherMembers(leases)) {
      if (l.spec.holderIdentity && !this.peer(l).expired(l)) live.push(l.spec.holderIdentity);
    }
    return live;
  }

  private otherMembers(leases: Lease[]): Lease[] {
    return leases.filter(
      (l) =>
        l.metadata.labels?.[LABELS.member] === 'true' && l.metadata.name !== this.member.name && l.spec.holderIdentity !== this.o.identity,
    );
  }

  /** The observer of another member's Lease. */
  private peer(l: Lease): LeaseLock {
    const name = l.metadata.name!;
    let seen = this.peers.get(name);
    if (!seen)
      this.peers.set(
        name,
        (seen = new LeaseLock(this.o.client, this.o.namespace, name, {
          identity: this.o.identity,
          leaseDurationMs: this.o.leaseDurationMs,
          now: this.o.now,
        })),
      );
    return seen;
  }

  /**
   * Deletes the member Leases of processes that died without deleting theirs (SIGKILL, node loss): each new
   * pod name leaves one behind otherwise. A Lease counts as dead once this process has seen it unchanged for
   * MEMBER_GC_LEASES lease durations; the delete carries its resourceVersion, so a member that renews at the
   * same moment keeps its Lease.
   */
  private async collectDeadMembers(leases: Lease[]): Promise<void> {
    const others = this.otherMembers(leases);
    // Observers of Leases that are gone (deleted by their member on stop, or by another replica) go too.
    const listed = new Set(others.map((l) => l.metadata.name!));
    for (const name of this.peers.keys()) if (!listed.has(name)) this.peers.delete(name);
    for (const l of others) {
      const seen = this.peer(l);
      if (seen.unchangedFor(l) <= MEMBER_GC_LEASES * this.o.leaseDurationMs) continue;
      if (await seen.remove(l)) {
        this.peers.delete(l.metadata.name!);
        this.o.log.info({ lease: l.metadata.name, holder: l.spec.holderIdentity }, 'member lease of a dead replica deleted');
      }
    }
  }

  /** Keeps, takes or hands over one shard; every shard Lease is observed each round, so expiry is timely. */
  private async tend(shard: number, preferred: string | undefined, known: Lease | null): Promise<void> {
    const lock = this.locks[shard]!;
    if (known) lock.observe(known);
    const mine = this.held.has(shard);
    if (mine && preferred !== this.o.identity) {
      this.lose(shard);
      await lock.release();
      return;
    }
    if (!mine && preferred !== this.o.identity) return;
    const outcome = await lock.tryAcquireOrRenew(undefined, known).catch((err: unknown) => {
      this.o.log.warn({ shard, err }, 'shard lease not renewed');
      return 'error' as const;
    });
    if (outcome === 'held' || outcome === 'taken') {
      const entry = this.held.get(shard);
      if (entry) entry.renewedAt = this.o.now();
      else this.gain(shard);
    }
  }

  private gain(shard: number): void {
    this.held.set(shard, { renewedAt: this.o.now(), abort: new AbortController() });
    this.o.log.info({ shard, shards: this.o.shards, identity: this.o.identity }, 'shard acquired');
    this.o.onAcquire(shard);
  }

  private lose(shard: number): void {
    const entry = this.held.get(shard);
    if (!entry) return;
    this.held.delete(shard);
    entry.abort.abort();
    this.o.log.warn({ shard, identity: this.o.identity }, 'shard released: its Canaries are left to another replica');
    this.o.onLose(shard);
  }

  /** A shard not renewed within renewDeadline is given up before its Lease can expire for others. */
  private dropStale(): void {
    const now = this.o.now();
    for (const [shard, entry] of this.held) if (now - entry.renewedAt > this.o.renewDeadlineMs) this.lose(shard);
  }
}
