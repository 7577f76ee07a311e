import { KubeApiError } from '@tollgate/operator/kube/errors';
import { silentLogger } from '@tollgate/operator/util/log';
import { ConfigMapGateStore } from '../src/gates/configmap-store.js';
import { gateConfigMapName } from '../src/gates/names.js';
import { checkGateNamespace, GateStoreSetupError } from '../src/gates/preflight.js';
import { GateStoreError } from '../src/gates/store.js';
import { FakeConfigMapApi } from './fakes/fake-configmaps.js';

const NS = 'tollgate-system';
const podinfo = { namespace: 'test', name: 'podinfo' };
const at = (iso: string) => (): Date => new Date(iso);

function replica(
  api: FakeConfigMapApi,
  now = at('2026-01-01T00:00:00Z'),
): { store: ConfigMapGateStore; cache: ReturnType<FakeConfigMapApi['cache']> } {
  const cache = api.cache();
  return { store: new ConfigMapGateStore({ client: api.client(), namespace: NS, cache, logger: silentLogger(), now }), cache };
}

describe('gateConfigMapName', () => {
  it('is deterministic, readable, at most 63 characters and a valid name', () => {
    const name = gateConfigMapName(podinfo);
    expect(name).toMatch(/^tollgate-gate-test-podinfo-[0-9a-f]{10}$/);
    expect(gateConfigMapName(podinfo)).toBe(name);
    const long = gateConfigMapName({ namespace: 'n'.repeat(63), name: `${'a'.repeat(100)}.b-c` });
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });

  it('tells apart canaries whose joined names are equal', () => {
    expect(gateConfigMapName({ namespace: 'a-b', name: 'c' })).not.toBe(gateConfigMapName({ namespace: 'a', name: 'b-c' }));
  });
});

describe('ConfigMapGateStore', () => {
  it('reads closed gates when no ConfigMap exists, and creates one labelled ConfigMap on the first change', async () => {
    const api = new FakeConfigMapApi();
    const { store } = replica(api);
    expect(await store.get(podinfo)).toEqual({ namespace: 'test', name: 'podinfo', gate: 'closed', rollback: 'closed' });
    const state = await store.update(podinfo, { gate: 'open' }, 'token request=r1');
    expect(state).toEqual({
      namespace: 'test',
      name: 'podinfo',
      gate: 'open',
      rollback: 'closed',
      updatedAt: '2026-01-01T00:00:00.000Z',
      updatedBy: 'token request=r1',
    });
    const cm = api.object(NS, gateConfigMapName(podinfo))!;
    expect(cm.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'tollgate-hooks' });
    expect(cm.data).toEqual({
      namespace: 'test',
      name: 'podinfo',
      gate: 'open',
      rollback: 'closed',
      updatedAt: '2026-01-01T00:00:00.000Z',
      updatedBy: 'token request=r1',
    });
  });

  it('serves its own write before the cache has seen it, then the cache', async () => {
    const api = new FakeConfigMapApi();
    const { store, cache } = replica(api);
    await store.update(podinfo, { gate: 'open' }, 'token request=r1');
    expect((await store.get(podinfo)).gate).toBe('open');
    cache.sync();
    expect((await store.get(podinfo)).gate).toBe('open');
  });

  it('stops preferring its own write once the object is gone from the cache for a while (deleted)', async () => {
    const api = new FakeConfigMapApi();
    let now = new Date('2026-01-01T00:00:00Z');
    const cache = api.cache();
    const store = new ConfigMapGateStore({ client: api.client(), namespace: NS, cache, logger: silentLogger(), now: () => now });
    await store.update(podinfo, { gate: 'open' }, 'x');
    expect((await store.get(podinfo)).gate).toBe('open');
    now = new Date('2026-01-01T00:00:11Z');
    expect((await store.get(podinfo)).gate).toBe('closed');
  });

  it('creates the ConfigMap again when it was deleted behind the cache', async () => {
    const api = new FakeConfigMapApi();
    const { store, cache } = replica(api);
    await store.update(podinfo, { gate: 'open' }, 'x');
    cache.sync();
    api.remove(NS, gateConfigMapName(podinfo));
    expect(await store.update(podinfo, { rollback: 'open' }, 'y')).toMatchObject({ rollback: 'open' });
    expect(api.object(NS, gateConfigMapName(podinfo))!.data).toMatchObject({ rollback: 'open' });
  });

  it('survives a restart: a new store reads the state from the API', async () => {
    const api = new FakeConfigMapApi();
    await replica(api).store.update(podinfo, { rollback: 'open' }, 'hmac request=r2');
    const restarted = replica(api);
    restarted.cache.sync();
    expect(await restarted.store.get(podinfo)).toMatchObject({ gate: 'closed', rollback: 'open', updatedBy: 'hmac request=r2' });
  });

  it("re-reads and re-applies on conflict, so two replicas never lose each other's change", async () => {
    const api = new FakeConfigMapApi();
    const a = replica(api);
    const b = replica(api);
    await a.store.update(podinfo, { gate: 'open' }, 'token request=a');
    b.cache.sync();
    await a.store.update(podinfo, { gate: 'closed' }, 'token request=a2');
    await b.store.update(podinfo, { rollback: 'open' }, 'token request=b');
    expect(api.object(NS, gateConfigMapName(podinfo))!.data).toMatchObject({
      gate: 'closed',
      rollback: 'open',
      updatedBy: 'token request=b',
    });
    expect(api.calls.filter((c) => c.startsWith('update')).length).toBe(3);
    expect(api.calls).toContain(`get ${gateConfigMapName(podinfo)}`);
  });

  it('turns AlreadyExists on create (a stale empty cache) into an update', async () => {
    const api = new FakeConfigMapApi();
    await replica(api).store.update(podinfo, { gate: 'open' }, 'x');
    const stale = replica(api);
    expect(await stale.store.update(podinfo, { rollback: 'open' }, 'y')).toMatchObject({ gate: 'open', rollback: 'open' });
  });

  it('gives up with GateStoreError after repeated conflicts', async () => {
    const api = new FakeConfigMapApi();
    const client = api.client();
    const conflicting = {
      ...client,
      replace: async () => {
        throw new KubeApiError(409, 'Conflict', 'modified', 'PUT', 'x');
      },
    };
    await replica(api).store.update(podinfo, { gate: 'open' }, 'x');
    const cache = api.cache();
    cache.sync();
    const store = new ConfigMapGateStore({ client: conflicting, namespace: NS, cache, logger: silentLogger(), maxAttempts: 3 });
    await expect(store.update(podinfo, { gate: 'closed' }, 'x')).rejects.toThrow(GateStoreError);
  });
});

describe('checkGateNamespace', () => {
  it('passes when the identity may use configmaps in an existing namespace', async () => {
    await expect(checkGateNamespace(new FakeConfigMapApi().client(), NS)).resolves.toBeUndefined();
  });

  it('names the missing verbs', async () => {
    const api = new FakeConfigMapApi();
    api.denied.add('watch').add('update');
    await expect(checkGateNamespace(api.client(), NS)).rejects.toThrow(
      /may not watch, update configmaps in namespace tollgate-system: grant/,
    );
  });

  it('says when the namespace does not exist', async () => {
    await expect(checkGateNamespace(new FakeConfigMapApi().client(), 'nope')).rejects.toThrow(
      'namespace nope does not exist: create it (kubectl create namespace nope) or set GATE_NAMESPACE',
    );
  });

  it('says when the API server cannot be reached', async () => {
    const api = new FakeConfigMapApi();
    api.unreachable = true;
    const err = await checkGateNamespace(api.client(), NS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateStoreSetupError);
    expect((err as Error).message).toBe(
      'cannot reach the Kubernetes API server (connect ECONNREFUSED 127.0.0.1:6443): set KUBECONFIG to a reachable cluster, or run in a pod with a service account',
    );
  });
});
