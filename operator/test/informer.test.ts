import type { KubeObject } from '../src/api/types.js';
import type { KubeClient, WatchEvent } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';
import { Informer } from '../src/kube/informer.js';
import { Resources } from '../src/kube/resources.js';
import { silentLogger } from '../src/util/log.js';

const obj = (name: string, rv: string, data = ''): KubeObject & { data: string } =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv }, data });

/** A client whose list answers `items` once and whose watch hands its event callback to the test. */
function fakeClient(items: KubeObject[]): { client: KubeClient; send: (e: WatchEvent<KubeObject>) => void } {
  let onEvent: ((e: WatchEvent<KubeObject>) => void) | undefined;
  const client = {
    list: async () => ({ items, metadata: { resourceVersion: '10' } }),
    watch: (_path: string, _o: unknown, cb: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal) => {
      onEvent = cb;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
  } as unknown as KubeClient;
  return { client, send: (e) => onEvent!(e) };
}

async function started(items: KubeObject[], keepManagedFields?: boolean): Promise<{ informer: Informer<KubeObject & { data?: string }>; send: (e: WatchEvent<KubeObject>) => void }> {
  const { client, send } = fakeClient(items);
  const informer = new Informer<KubeObject & { data?: string }>({ client, resource: Resources.configMaps, logger: silentLogger(), keepManagedFields });
  await informer.start();
  await new Promise((r) => setImmediate(r));
  return { informer, send };
}

describe('Informer cache', () => {
  it('holds objects without metadata.managedFields', async () => {
    const withFields = { ...obj('a', '5'), metadata: { ...obj('a', '5').metadata, managedFields: [{ manager: 'kubectl', operation: 'Apply' }] } };
    const { informer, send } = await started([withFields]);
    try {
      expect(informer.get('ns', 'a')?.metadata).toEqual({ name: 'a', namespace: 'ns', resourceVersion: '5' });
      send({ type: 'MODIFIED', object: { ...withFields, metadata: { ...withFields.metadata, resourceVersion: '6' } } });
      expect(informer.get('ns', 'a')?.metadata).toEqual({ name: 'a', namespace: 'ns', resourceVersion: '6' });
    } finally {
      informer.stop();
    }
  });

  it('keeps metadata.managedFields when asked to', async () => {
    const fields = [{ manager: 'kustomize-controller', operation: 'Apply' }];
    const { informer } = await started([{ ...obj('a', '5'), metadata: { ...obj('a', '5').metadata, managedFields: fields } } as KubeObject], true);
    try {
      expect((informer.get('ns', 'a')?.metadata as { managedFields?: unknown }).managedFields).toEqual(fields);
    } finally {
      informer.stop();
    }
  });
});

describe('Informer.wrote: our own writes, before the watch delivers them', () => {
  it('given a replace over the cached version, then get returns what was written until the watch brings that version or a later one', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    try {
      informer.wrote(obj('a', '7', 'ours'), '5');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'ours', metadata: { resourceVersion: '7' } });
      send({ type: 'MODIFIED', object: obj('a', '8', 'theirs') });
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'theirs' });
    } finally {
      informer.stop();
    }
  });

  it('given a write over a version the cache no longer holds, then it is ignored: the watch already knows better', async () => {
    const { informer, send } = await started([obj('a', '5')]);
    try {
      send({ type: 'MODIFIED', object: obj('a', '6', 'newer') });
      informer.wrote(obj('a', '7', 'ours'), '5');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'newer' });
    } finally {
      informer.stop();
    }
  });

  it('given a create, then get returns it until the watch reports it, and a later delete is not hidden by it', async () => {
    const { informer, send } = await started([]);
    try {
      informer.wrote(obj('b', '9', 'created'), undefined);
      expect(informer.get('ns', 'b')).toMatchObject({ data: 'created' });
      expect(informer.list('ns')).toEqual([]);
      send({ type: 'ADDED', object: obj('b', '9', 'created') });
      send({ type: 'DELETED', object: obj('b', '11', 'created') });
      expect(informer.get('ns', 'b')).toBeUndefined();
    } finally {
      informer.stop();
    }
  });
});

describe('Informer when the resource stops being served', () => {
  it('forgets every cached object once list/watch answer 404 (the CRD was deleted or replaced)', async () => {
    const gone = new KubeApiError(404, 'NotFound', '404 page not found', 'WATCH', '/api/v1/configmaps');
    let served = true;
    let endWatch: ((err: Error) => void) | undefined;
    const client = {
      list: async () => (served ? { items: [obj('a', '5'), obj('b', '6')], metadata: { resourceVersion: '10' } } : Promise.reject(gone)),
      watch: () => new Promise<void>((_resolve, reject) => (endWatch = reject)),
    } as unknown as KubeClient;
    const informer = new Informer<KubeObject>({ client, resource: Resources.configMaps, logger: silentLogger(), backoff: { initialMs: 5, maxMs: 5 } });
    const deleted: string[] = [];
    informer.on('delete', (o) => deleted.push(o.metadata.name!));
    await informer.start();
    try {
      expect(informer.list().map((o) => o.metadata.name)).toEqual(['a', 'b']);
      served = false;
      endWatch!(gone);
      await new Promise((r) => setTimeout(r, 30));
      expect(informer.list()).toEqual([]);
      expect(deleted.sort()).toEqual(['a', 'b']);
    } finally {
      informer.stop();
    }
  });
});
