import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { isConflict, isNotFound } from '@tollgate/operator/kube/errors';
import type { Lister } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import type { Logger } from 'pino';
import { messageOf } from '../errors.js';
import type { CanaryRef } from '../payload.js';
import { gateConfigMapName, MANAGED_BY, MANAGED_BY_LABEL } from './names.js';
import { closedState, GateStoreError, type GateChange, type GateState, type GateStore, type Switch } from './store.js';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** The calls the store makes; KubeClient has them. */
export type GateKubeClient = Pick<KubeClient, 'get' | 'create' | 'replace'>;

export interface ConfigMapGateStoreOptions {
  readonly client: GateKubeClient;
  /** Where the ConfigMaps live (GATE_NAMESPACE). */
  readonly namespace: string;
  /** The labelled ConfigMaps of that namespace: an Informer with the managed-by selector. */
  readonly cache: Lister<ConfigMap> & { readonly synced?: boolean };
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly maxAttempts?: number;
}

const DEFAULT_ATTEMPTS = 5;
/** How long this replica's own write is preferred while the cache does not show the object at all. */
const OWN_WRITE_MS = 10_000;

/**
 * Gates in one ConfigMap per canary, so they survive restarts and every replica sees the same state. Reads
 * come from the informer's cache, or from this replica's own newer write while the cache catches up. Writes
 * are guarded by resourceVersion; on 409 the object is read again and the change re-applied.
 */
export class ConfigMapGateStore implements GateStore {
  private readonly written = new Map<string, { cm: ConfigMap; at: number }>();

  constructor(private readonly opts: ConfigMapGateStoreOptions) {}

  async get(ref: CanaryRef): Promise<GateState> {
    const cm = this.latest(gateConfigMapName(ref));
    return cm ? stateOf(ref, cm) : closedState(ref);
  }

  async update(ref: CanaryRef, change: GateChange, updatedBy: string): Promise<GateState> {
    const name = gateConfigMapName(ref);
    const attempts = this.opts.maxAttempts ?? DEFAULT_ATTEMPTS;
    let live = this.latest(name);
    for (let attempt = 1; ; attempt++) {
      const next = this.desired(ref, name, live, change, updatedBy);
      try {
        const saved = live
          ? await this.opts.client.replace(Resources.configMaps, next)
          : await this.opts.client.create(Resources.configMaps, next);
        this.written.set(name, { cm: saved, at: this.now().getTime() });
        return stateOf(ref, saved);
      } catch (err) {
        // 409: someone wrote (or created) it first; 404 on replace: someone deleted it. Read it again either way.
        if (!(isConflict(err) || (live && isNotFound(err))) || attempt >= attempts)
          throw new GateStoreError(`cannot write ConfigMap ${this.opts.namespace}/${name}: ${messageOf(err)}`, { cause: err });
        this.opts.logger.debug({ configMap: name, attempt }, 'gate write conflicted; reading it again');
        live = await this.fetch(name);
      }
    }
  }

  ready(): boolean {
    return this.opts.cache.synced ?? true;
  }

  /**
   * The newest copy known: the cache's, unless this replica wrote a newer one the cache has not seen yet.
   * An own write the cache never shows (deleted meanwhile) stops counting after a few seconds.
   */
  private latest(name: string): ConfigMap | undefined {
    const cached = this.opts.cache.get(this.opts.namespace, name);
    const own = this.written.get(name);
    if (!own) return cached;
    const caughtUp = cached ? !isOlder(cached, own.cm) : this.now().getTime() - own.at > OWN_WRITE_MS;
    if (!caughtUp) return own.cm;
    this.written.delete(name);
    return cached;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private async fetch(name: string): Promise<ConfigMap | undefined> {
    try {
      return await this.opts.client.get<ConfigMap>(Resources.configMaps, this.opts.namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new GateStoreError(`cannot read ConfigMap ${this.opts.namespace}/${name}: ${messageOf(err)}`, { cause: err });
    }
  }

  private desired(ref: CanaryRef, name: string, live: ConfigMap | undefined, change: GateChange, updatedBy: string): ConfigMap {
    const current = live ? stateOf(ref, live) : closedState(ref);
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        ...live?.metadata,
        name,
        namespace: this.opts.namespace,
        labels: { ...live?.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY },
      },
      data: {
        ...live?.data,
        namespace: ref.namespace,
        name: ref.name,
        gate: change.gate ?? current.gate,
        rollback: change.rollback ?? current.rollback,
        updatedAt: this.now().toISOString(),
        updatedBy,
      },
    };
  }
}

const switchOf = (v: string | undefined): Switch => (v === 'open' ? 'open' : 'closed');

function stateOf(ref: CanaryRef, cm: ConfigMap): GateState {
  const d = cm.data ?? {};
  return {
    namespace: ref.namespace,
    name: ref.name,
    gate: switchOf(d.gate),
    rollback: switchOf(d.rollback),
    ...(d.updatedAt ? { updatedAt: d.updatedAt } : {}),
    ...(d.updatedBy ? { updatedBy: d.updatedBy } : {}),
  };
}

/**
 * Whether a is older than b. resourceVersions are opaque, but every API server hands out etcd revisions,
 * which grow; anything else is taken as not older, so the cache wins.
 */
function isOlder(a: ConfigMap, b: ConfigMap): boolean {
  const ra = a.metadata.resourceVersion ?? '';
  const rb = b.metadata.resourceVersion ?? '';
  if (!/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return false;
  return BigInt(ra) < BigInt(rb);
}
