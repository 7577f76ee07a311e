import type { Lister } from '@tollgate/operator/kube/informer';
import { KubeApiError, KubeConnectionError } from '@tollgate/operator/kube/errors';
import type { ResourceType } from '@tollgate/operator/kube/resources';
import type { ConfigMap, GateKubeClient } from '../../src/gates/configmap-store.js';
import type { PreflightClient } from '../../src/gates/preflight.js';

/**
 * An in-memory ConfigMap API: resourceVersion conflicts on replace, AlreadyExists on create, and a cache
 * that only catches up when sync() is called (an informer that lags behind).
 */
export class FakeConfigMapApi {
  private readonly store = new Map<string, ConfigMap>();
  private rv = 100;
  readonly calls: string[] = [];
  /** Verbs the SelfSubjectAccessReviews deny. */
  readonly denied = new Set<string>();
  namespaces = new Set(['tollgate-system']);
  unreachable = false;

  client(): GateKubeClient & PreflightClient {
    return {
      get: async <T>(_r: ResourceType, ns: string | undefined, name: string): Promise<T> => {
        this.calls.push(`get ${name}`);
        const o = this.store.get(`${ns}/${name}`);
        if (!o) throw new KubeApiError(404, 'NotFound', `configmaps "${name}" not found`, 'GET', name);
        return clone(o) as T;
      },
      create: async <T extends ConfigMap>(_r: ResourceType, obj: T): Promise<T> => {
        this.calls.push(`create ${obj.metadata.name}`);
        const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
        if (this.store.has(key)) throw new KubeApiError(409, 'AlreadyExists', 'already exists', 'POST', key);
        return this.save(key, obj);
      },
      replace: async <T extends ConfigMap>(_r: ResourceType, obj: T): Promise<T> => {
        this.calls.push(`update ${obj.metadata.name}`);
        const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
        const live = this.store.get(key);
        if (!live) throw new KubeApiError(404, 'NotFound', 'not found', 'PUT', key);
        if (live.metadata.resourceVersion !== obj.metadata.resourceVersion)
          throw new KubeApiError(409, 'Conflict', 'the object has been modified', 'PUT', key);
        return this.save(key, obj);
      },
      request: async <T>(method: string, path: string, o: { body?: unknown; query?: Record<string, unknown> } = {}): Promise<T> =>
        this.raw(method, path, o) as T,
    } as GateKubeClient & PreflightClient;
  }

  /** A cache of this API as of the last sync(). */
  cache(): Lister<ConfigMap> & { sync(): void; synced: boolean } {
    let snapshot = new Map<string, ConfigMap>();
    return {
      synced: true,
      sync: () => {
        snapshot = new Map([...this.store].map(([k, v]) => [k, clone(v)]));
      },
      get: (ns, name) => clone(snapshot.get(`${ns}/${name}`)),
      list: () => [...snapshot.values()].map(clone),
    };
  }

  remove(ns: string, name: string): void {
    this.store.delete(`${ns}/${name}`);
  }

  object(ns: string, name: string): ConfigMap | undefined {
    return clone(this.store.get(`${ns}/${name}`));
  }

  private save<T extends ConfigMap>(key: string, obj: T): T {
    const saved = clone(obj);
    saved.metadata.resourceVersion = String(++this.rv);
    this.store.set(key, saved);
    return clone(saved);
  }

  private raw(method: string, path: string, o: { body?: unknown; query?: Record<string, unknown> }): unknown {
    if (this.unreachable) throw new KubeConnectionError(method, path, new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    if (path.endsWith('/selfsubjectaccessreviews')) {
      const verb = (o.body as { spec: { resourceAttributes: { verb: string } } }).spec.resourceAttributes.verb;
      return { status: { allowed: !this.denied.has(verb) } };
    }
    const ns = /\/namespaces\/([^/]+)\/configmaps$/.exec(path)?.[1];
    if (method === 'POST' && ns && o.query?.dryRun === 'All') {
      if (!this.namespaces.has(ns)) throw new KubeApiError(404, 'NotFound', `namespaces "${ns}" not found`, 'POST', path);
      return o.body;
    }
    throw new Error(`FakeConfigMapApi: unexpected ${method} ${path}`);
  }
}

/** A deep copy in this realm (jest's vm context). */
function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
