import type { KubeObject } from '../api/types.js';
import type { KubeClient } from './client.js';
import { isAlreadyExists, isConflict, isNotFound, KubeApiError } from './errors.js';
import { Resources } from './resources.js';

export interface Lease extends KubeObject {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export type LeaseOutcome = 'held' | 'taken' | 'not-held';

/**
 * One coordination.k8s.io Lease, held by at most one identity. Expiry is judged by when this process last
 * saw the lease change, not by the holder's clock (as client-go does), so clock skew cannot steal a lease.
 * Every write carries the resourceVersion read: of two contenders, one gets 409 and loses.
 */
export class LeaseLock {
  private observed: { key: string; at: number } | undefined;

  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
    readonly name: string,
    private readonly o: { identity: string; leaseDurationMs: number; labels?: Record<string, string>; now: () => number },
  ) {}

  /** Notes the lease as seen now (from a list): expiry counts from the last change this process saw. */
  observe(lease: Lease): void {
    const s = lease.spec;
    const key = `${s.holderIdentity ?? ''}/${s.renewTime ?? ''}/${lease.metadata.resourceVersion}`;
    if (this.observed?.key !== key) this.observed = { key, at: this.o.now() };
  }

  /** How long the lease has stood unchanged, as this process saw it (0 before it was first observed). */
  unchangedFor(lease: Lease): number {
    this.observe(lease);
    return this.o.now() - this.observed!.at;
  }

  /** Whether the lease, as last observed, is held by nobody or not renewed within its duration. */
  expired(lease: Lease): boolean {
    return !lease.spec.holderIdentity || this.unchangedFor(lease) > (lease.spec.leaseDurationSeconds ?? 0) * 1000;
  }

  /**
   * Renews the lease when held, takes it when free or expired; never waits. `known` is the lease as just
   * listed (saves a GET); a stale copy only costs a 409.
   */
  async tryAcquireOrRenew(signal?: AbortSignal, known?: Lease | null): Promise<LeaseOutcome> {
    const now = this.o.now();
    let lease: Lease;
    try {
      lease =
        known ??
        (known === null
          ? await Promise.reject(notFound())
          : await this.client.get<Lease>(Resources.leases, this.namespace, this.name, signal));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return this.create(now, signal);
    }
    const s = lease.spec;
    const mine = s.holderIdentity === this.o.identity;
    const free = this.expired(lease);
    if (!mine && !free) return 'not-held';
    const spec = {
      ...s,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: micro(now),
      ...(mine ? {} : { acquireTime: micro(now), leaseTransitions: (s.leaseTransitions ?? 0) + 1 }),
    };
    try {
      await this.client.replace(Resources.leases, { ...lease, spec }, signal);
    } catch (err) {
      if (isConflict(err)) return 'not-held';
      throw err;
    }
    return mine ? 'held' : 'taken';
  }

  /** Gives the lease up at once (on shutdown or hand-over), so another holder need not wait for expiry. */
  async release(signal?: AbortSignal): Promise<void> {
    const lease = await this.client.get<Lease>(Resources.leases, this.namespace, this.name, signal).catch(() => undefined);
    if (!lease || lease.spec.holderIdentity !== this.o.identity) return;
    await this.client
      .replace(Resources.leases, { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: micro(0) } }, signal)
      .catch(() => undefined);
  }

  /**
   * Deletes the lease, for Leases that name a process rather than a role (members). Given `lease` (another
   * process's, as listed), a precondition on its resourceVersion makes the delete fail (409, ignored) when its
   * holder renewed it since; without it (this process's own), the delete is unconditional.
   */
  async remove(lease?: Lease, signal?: AbortSignal): Promise<boolean> {
    const preconditions = lease && { uid: lease.metadata.uid, resourceVersion: lease.metadata.resourceVersion };
    try {
      await this.client.delete(
        Resources.leases,
        this.namespace,
        this.name,
        preconditions && { apiVersion: 'v1', kind: 'DeleteOptions', preconditions },
        signal,
      );
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  private async create(now: number, signal?: AbortSignal): Promise<LeaseOutcome> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, ...(this.o.labels ? { labels: this.o.labels } : {}) },
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
        acquireTime: micro(now),
        renewTime: micro(now),
        leaseTransitions: 0,
      },
    };
    try {
      await this.client.create(Resources.leases, lease, signal);
      return 'taken';
    } catch (err) {
      if (isAlreadyExists(err)) return 'not-held';
      throw err;
    }
  }
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const micro = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const notFound = (): KubeApiError => new KubeApiError(404, 'NotFound', 'lease not found', 'GET', 'leases');
