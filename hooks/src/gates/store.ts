import type { CanaryRef } from '../payload.js';

export type Switch = 'open' | 'closed';

/** A canary's gate (confirm-* hooks) and rollback switch; both start closed, as in Flagger. */
export interface GateState {
  readonly namespace: string;
  readonly name: string;
  readonly gate: Switch;
  readonly rollback: Switch;
  readonly updatedAt?: string;
  /** token or hmac, and the request id: "token request=<id>". */
  readonly updatedBy?: string;
}

export interface GateChange {
  readonly gate?: Switch;
  readonly rollback?: Switch;
}

/** The store failed (the API server is unreachable, a write kept conflicting): answered 503. */
export class GateStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GateStoreError';
  }
}

export interface GateStore {
  get(ref: CanaryRef): Promise<GateState>;
  update(ref: CanaryRef, change: GateChange, updatedBy: string): Promise<GateState>;
  /** Reads are served (the cache is synced). */
  ready(): boolean;
}

export const closedState = (ref: CanaryRef): GateState => ({
  namespace: ref.namespace,
  name: ref.name,
  gate: 'closed',
  rollback: 'closed',
});

/** Gates in memory: for tests and local trials; lost on restart and not shared by replicas. */
export class InMemoryGateStore implements GateStore {
  private readonly states = new Map<string, GateState>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async get(ref: CanaryRef): Promise<GateState> {
    return this.states.get(keyOf(ref)) ?? closedState(ref);
  }

  async update(ref: CanaryRef, change: GateChange, updatedBy: string): Promise<GateState> {
    const next = { ...(await this.get(ref)), ...change, updatedAt: this.now().toISOString(), updatedBy };
    this.states.set(keyOf(ref), next);
    return next;
  }

  ready(): boolean {
    return true;
  }
}

const keyOf = (ref: CanaryRef): string => `${ref.namespace}/${ref.name}`;
