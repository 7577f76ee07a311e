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

/** Records [label, own] of every event of that kind; the label is the resourceVersion unless told otherwise. */
function ownFlags(informer: Informer<KubeObject>, event: 'add' | 'update', label = (o: KubeObject): string => o.metadata.resourceVersion!): Array<[string, boolean]> {
  const seen: Array<[string, boolean]> = [];
  informer.on(event, (o, _old, own) => seen.push([label(o), own]));
  return seen;
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

describe('Informer events: the echo of our own write is marked own', () => {
  it('given our replace, then the watch event of exactly that version is own, and a later foreign change is not', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    const seen = ownFlags(informer, 'update');
    try {
      informer.wrote(obj('a', '7', 'ours'), '5');
      send({ type: 'MODIFIED', object: obj('a', '7', 'ours') });
      send({ type: 'MODIFIED', object: obj('a', '8', 'theirs') });
      expect(seen).toEqual([['7', true], ['8', false]]);
    } finally {
      informer.stop();
    }
  });

  it('given our write was overtaken by another writer, then the watch events are not own', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    const seen = ownFlags(informer, 'update');
    try {
      informer.wrote(obj('a', '7', 'ours'), '5');
      send({ type: 'MODIFIED', object: obj('a', '9', 'theirs, squashed over ours') });
      send({ type: 'MODIFIED', object: obj('a', '10', 'theirs again') });
      expect(seen).toEqual([['9', false], ['10', false]]);
    } finally {
      informer.stop();
    }
  });

  it('given two writes of ours in a row, then both echoes are own and get shows the second until it is delivered', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    const seen = ownFlags(informer, 'update');
    try {
      informer.wrote(obj('a', '6', 'first'), '5');
      informer.wrote(obj('a', '7', 'second'), '6');
      send({ type: 'MODIFIED', object: obj('a', '6', 'first') });
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'second' });
      send({ type: 'MODIFIED', object: obj('a', '7', 'second') });
      send({ type: 'MODIFIED', object: obj('a', '8', 'theirs') });
      expect(seen).toEqual([['6', true], ['7', true], ['8', false]]);
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'theirs' });
    } finally {
      informer.stop();
    }
  });

  it('given a foreign change between our two writes, then the overlay ends and the foreign change is not own', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    const seen = ownFlags(informer, 'update');
    try {
      informer.wrote(obj('a', '6', 'ours'), '5');
      send({ type: 'MODIFIED', object: obj('a', '7', 'theirs') });
      informer.wrote(obj('a', '8', 'ours, written over 6 without a precondition'), '6');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'theirs' });
      expect(seen).toEqual([['7', false]]);
    } finally {
      informer.stop();
    }
  });

  it('given the echo arrives before the write has answered, then it is held back and emitted as own when the write ends', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    const seen = ownFlags(informer, 'update');
    try {
      const end = informer.writing('ns', 'a');
      send({ type: 'MODIFIED', object: obj('a', '6', 'ours') });
      expect(seen).toEqual([]);
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'ours' });
      end(obj('a', '6', 'ours'), '5');
      expect(seen).toEqual([['6', true]]);
      send({ type: 'MODIFIED', object: obj('a', '7', 'theirs') });
      expect(seen).toEqual([['6', true], ['7', false]]);
    } finally {
      informer.stop();
    }
  });

  it('given a write that fails while events of its object arrive, then they are emitted as not own when it ends', async () => {
    const { informer, send } = await started([obj('a', '5', 'old')]);
    const seen = ownFlags(informer, 'update');
    informer.on('delete', (o, _old, own) => seen.push([`deleted ${o.metadata.resourceVersion!}`, own]));
    try {
      const end = informer.writing('ns', 'a');
      send({ type: 'MODIFIED', object: obj('a', '6', 'theirs') });
      send({ type: 'DELETED', object: obj('a', '6', 'theirs') });
      end(undefined);
      expect(seen).toEqual([['6', false], ['deleted 6', false]]);
    } finally {
      informer.stop();
    }
  });

  it('given our create, then its ADDED event is own; a create we never recorded is not', async () => {
    const { informer, send } = await started([]);
    const seen = ownFlags(informer, 'add', (o) => o.metadata.name!);
    try {
      informer.wrote(obj('b', '9', 'created'), undefined);
      send({ type: 'ADDED', object: obj('b', '9', 'created') });
      send({ type: 'ADDED', object: obj('c', '10', 'someone else') });
      expect(seen).toEqual([['b', true], ['c', false]]);
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
