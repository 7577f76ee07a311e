import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../src/api/types.js';
import type { KubeClient, PatchType } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { ResourceNotServedError, type Lister } from '../../src/kube/informer.js';
import type { InformerRegistry } from '../../src/kube/informer-registry.js';
import { resourceKey, type ResourceType } from '../../src/kube/resources.js';

type Obj = KubeObject & Record<string, unknown>;

/**
 * An in-memory API server for unit tests: resourceVersion conflicts, generation bumps on spec changes,
 * status subresource writes, merge and JSON patches, and listers over the same store (as synced informers).
 */
export class FakeKube {
  private readonly store = new Map<string, Map<string, Obj>>();
  private rv = 1;
  readonly writes: { verb: string; kind: string; name: string }[] = [];
  /** Resources that answer 404, as a CRD that is not installed. */
  readonly notServed = new Set<string>();
  /** What GET /apis/autoscaling lists. */
  autoscalingVersions = ['v2', 'v1'];
  /** Called with every object stored, as an informer's handlers are (the controller feeds the release queue so). */
  readonly onPut: ((r: ResourceType, obj: KubeObject) => void)[] = [];

  private bucket(r: ResourceType): Map<string, Obj> {
    const k = resourceKey(r);
    if (this.notServed.has(k)) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', 'GET', k);
    if (!this.store.has(k)) this.store.set(k, new Map());
    return this.store.get(k)!;
  }

  get<T extends KubeObject>(r: ResourceType, ns: string | undefined, name: string): T | undefined {
    return clone(this.bucket(r).get(`${ns ?? ''}/${name}`)) as T | undefined;
  }

  put<T extends KubeObject>(r: ResourceType, obj: T): T {
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const prior = this.bucket(r).get(key);
    const next = clone(obj) as Obj;
    next.metadata.resourceVersion = String(++this.rv);
    next.metadata.uid = prior?.metadata.uid ?? `uid-${this.rv}`;
    const specChanged = !isDeepStrictEqual(prior?.spec, next.spec);
    next.metadata.generation = (prior?.metadata.generation ?? 0) + (prior && !specChanged ? 0 : 1);
    this.bucket(r).set(key, next);
    for (const f of this.onPut) f(r, clone(next));
    return clone(next) as T;
  }

  delete(r: ResourceType, ns: string | undefined, name: string): void {
    this.bucket(r).delete(`${ns ?? ''}/${name}`);
  }

  /** A KubeClient over this store. */
  client(): KubeClient {
    const conflictCheck = (r: ResourceType, obj: KubeObject): Obj => {
      const live = this.get<Obj>(r, obj.metadata.namespace, obj.metadata.name!);
      if (!live) throw new KubeApiError(404, 'NotFound', `${obj.metadata.name} not found`, 'PUT', r.plural);
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== live.metadata.resourceVersion) {
        throw new KubeApiError(409, 'Conflict', 'the object has been modified', 'PUT', r.plural);
      }
      return live;
    };
    const record = (verb: string, r: ResourceType, name: string): void => void this.writes.push({ verb, kind: r.kind, name });
    const fake = {
      get: async (r: ResourceType, ns: string | undefined, name: string) => {
        const o = this.get(r, ns, name);
        if (!o) throw new KubeApiError(404, 'NotFound', `${r.plural} "${name}" not found`, 'GET', r.plural);
        return o;
      },
      list: async (r: ResourceType, ns?: string, query: { labelSelector?: string } = {}) => {
        const wanted = (query.labelSelector ?? '')
          .split(',')
          .filter(Boolean)
          .map((t) => t.split('=') as [string, string]);
        const items = [...this.bucket(r).values()].filter(
          (o) => (ns === undefined || o.metadata.namespace === ns) && wanted.every(([k, v]) => o.metadata.labels?.[k] === v),
        );
        return { items: items.map((o) => clone(o)), metadata: {} };
      },
      create: async (r: ResourceType, obj: KubeObject) => {
        if (this.get(r, obj.metadata.namespace, obj.metadata.name!))
          throw new KubeApiError(409, 'AlreadyExists', 'exists', 'POST', r.plural);
        record('create', r, obj.metadata.name!);
        return this.put(r, obj);
      },
      replace: async (r: ResourceType, obj: Obj) => {
        const live = conflictCheck(r, obj);
        record('update', r, obj.metadata.name!);
        return this.put(r, { ...obj, status: live.status });
      },
      replaceStatus: async (r: ResourceType, obj: Obj) => {
        const live = conflictCheck(r, obj);
        record('update-status', r, obj.metadata.name!);
        const next = { ...live, status: obj.status };
        const key = `${live.metadata.namespace ?? ''}/${live.metadata.name}`;
        next.metadata = { ...live.metadata, resourceVersion: String(++this.rv) };
        this.bucket(r).set(key, clone(next));
        return clone(next);
      },
      patch: async (
        r: ResourceType,
        ns: string | undefined,
        name: string,
        patch: unknown,
        o: { type?: PatchType; subresource?: string } = {},
      ) => {
        const live = this.get<Obj>(r, ns, name);
        if (!live) throw new KubeApiError(404, 'NotFound', `${name} not found`, 'PATCH', r.plural);
        record(`patch${o.subresource ? `-${o.subresource}` : ''}`, r, name);
        // A merge patch carrying metadata.resourceVersion is a precondition, as on the real server.
        const rv = o.type !== 'json' ? (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion : undefined;
        if (rv && rv !== live.metadata.resourceVersion)
          throw new KubeApiError(409, 'Conflict', `${name}: the object has been modified`, 'PATCH', r.plural);
        const next = o.type === 'json' ? jsonPatch(live, patch as JsonOp[]) : (mergePatch(live, patch) as Obj);
        return o.subresource === 'status' ? this.put(r, { ...live, status: next.status }) : this.put(r, next);
      },
      delete: async (r: ResourceType, ns: string, name: string, body?: { preconditions?: { resourceVersion?: string } }) => {
        const live = this.get<Obj>(r, ns, name);
        if (!live) throw new KubeApiError(404, 'NotFound', `${r.plural} "${name}" not found`, 'DELETE', r.plural);
        const rv = body?.preconditions?.resourceVersion;
        if (rv && rv !== live.metadata.resourceVersion)
          throw new KubeApiError(409, 'Conflict', `${name}: precondition failed`, 'DELETE', r.plural);
        record('delete', r, name);
        this.delete(r, ns, name);
        return {};
      },
      request: async (method: string, path: string) => {
        if (method === 'GET' && path === '/apis/autoscaling') return { versions: this.autoscalingVersions.map((version) => ({ version })) };
        throw new Error(`FakeKube: raw request ${method} ${path} is not supported`);
      },
      close: () => undefined,
    };
    return fake as unknown as KubeClient;
  }

  lister<T extends KubeObject>(r: ResourceType): Lister<T> {
    return {
      get: (ns, name) => this.get<T>(r, ns, name),
      list: (ns) =>
        [...this.bucket(r).values()].filter((o) => ns === undefined || o.metadata.namespace === ns).map((o) => clone(o) as unknown as T),
    };
  }

  /** An InformerRegistry stand-in whose listers read this store. */
  registry(): InformerRegistry {
    const lister = async (r: ResourceType): Promise<Lister<KubeObject>> => {
      if (this.notServed.has(resourceKey(r))) throw new ResourceNotServedError(r);
      return this.lister(r);
    };
    return { lister, informer: (r: ResourceType) => this.lister(r), synced: true } as unknown as InformerRegistry;
  }
}

type JsonOp = { op: 'test' | 'replace' | 'add' | 'remove'; path: string; value?: unknown };

function jsonPatch(obj: Obj, ops: JsonOp[]): Obj {
  const out = clone(obj) as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path.split('/').slice(1);
    const last = parts.pop()!;
    let node = out;
    for (const p of parts) node = node[p] as Record<string, unknown>;
    if (op.op === 'test' && !isDeepStrictEqual(node[last], op.value))
      throw new KubeApiError(422, 'Invalid', `test failed at ${op.path}`, 'PATCH', '');
    if (op.op === 'replace' || op.op === 'add') node[last] = clone(op.value);
    if (op.op === 'remove') delete node[last];
  }
  return out as Obj;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A deep copy in this realm (jest runs tests in a vm context; structuredClone would return outer-realm objects). */
function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
