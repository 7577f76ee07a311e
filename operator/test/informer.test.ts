import type { KubeObject } from '../src/api/types.js';
import type { KubeClient, WatchEvent } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';
import { Informer } from '../src/kube/informer.js';
import { Resources } from '../src/kube/resources.js';
import { silentLogger } from '../src/util/log.js';

const obj = (name: string, rv: string, data = ''): KubeObject & { data: string } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  data,
});

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

async function started(
  items: KubeObject[],
  keepManagedFields?: boolean,
): Promise<{ informer: Informer<KubeObject & { data?: string }>; send: (e: WatchEvent<KubeObject>) => void }> {
  const { client, send } = fakeClient(items);
  const informer = new Informer<KubeObject & { data?: string }>({
    client,
    resource: Resources.configMaps,
    logger: silentLogger(),
    keepManagedFields,
  });
  await informer.start();
  await new Promise((r) => setImmediate(r));
  return { informer, send };
}

type CachedObject = KubeObject & { data?: string };

interface Scenario {
  informer: Informer<CachedObject>;
  send: (e: WatchEvent<KubeObject>) => void;
  /** A write of ours that has answered: the object written over the version it replaced. */
  wrote: (o: CachedObject, replaced: string | undefined) => void;
  /** [resourceVersion, own] of every event of that kind (the name instead, for adds). */
  seen: Array<[string, boolean]>;
}

/** A started informer over items, recording what its handlers are told; stopped afterwards. */
async function scenario(items: KubeObject[], body: (s: Scenario) => void): Promise<void> {
  const { informer, send } = await started(items);
  const seen: Array<[string, boolean]> = [];
  informer.on('add', (o, _old, own) => seen.push([o.metadata.name!, own]));
  informer.on('update', (o, _old, own) => seen.push([o.metadata.resourceVersion!, own]));
  informer.on('delete', (o, _old, own) => seen.push([`deleted ${o.metadata.resourceVersion!}`, own]));
  const wrote = (o: CachedObject, replaced: string | undefined): void =>
    informer.writing(o.metadata.namespace, o.metadata.name!)(o, replaced);
  try {
    body({ informer, send, wrote, seen });
  } finally {
    informer.stop();
  }
}

const modified = (name: string, rv: string, data = ''): WatchEvent<KubeObject> => ({ type: 'MODIFIED', object: obj(name, rv, data) });

describe('Informer cache', () => {
  it('holds objects without metadata.managedFields', async () => {
    const withFields = {
      ...obj('a', '5'),
      metadata: { ...obj('a', '5').metadata, managedFields: [{ manager: 'kubectl', operation: 'Apply' }] },
    };
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
    const { informer } = await started(
      [{ ...obj('a', '5'), metadata: { ...obj('a', '5').metadata, managedFields: fields } } as KubeObject],
      true,
    );
    try {
      expect((informer.get('ns', 'a')?.metadata as { managedFields?: unknown }).managedFields).toEqual(fields);
    } finally {
      informer.stop();
    }
  });
});

describe('Informer: our own writes are shown until the watch delivers them', () => {
  it('given a replace over the cached version, then get returns what was written until the watch brings that version or a later one', () =>
    scenario([obj('a', '5', 'old')], ({ informer, send, wrote }) => {
      wrote(obj('a', '7', 'ours'), '5');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'ours', metadata: { resourceVersion: '7' } });
      send(modified('a', '8', 'theirs'));
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'theirs' });
    }));

  it('given a write over a version the cache no longer holds, then it is not shown: the watch already knows better', () =>
    scenario([obj('a', '5')], ({ informer, send, wrote }) => {
      send(modified('a', '6', 'newer'));
      wrote(obj('a', '7', 'ours'), '5');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'newer' });
    }));

  it('given a create, then get returns it until the watch reports it, and a later delete is not hidden by it', () =>
    scenario([], ({ informer, send, wrote }) => {
      wrote(obj('b', '9', 'created'), undefined);
      expect(informer.get('ns', 'b')).toMatchObject({ data: 'created' });
      expect(informer.list('ns')).toEqual([]);
      send({ type: 'ADDED', object: obj('b', '9', 'created') });
      send({ type: 'DELETED', object: obj('b', '11', 'created') });
      expect(informer.get('ns', 'b')).toBeUndefined();
    }));

  it('given two writes of ours in a row, then get shows the second until it is delivered', () =>
    scenario([obj('a', '5', 'old')], ({ informer, send, wrote }) => {
      wrote(obj('a', '6', 'first'), '5');
      wrote(obj('a', '7', 'second'), '6');
      send(modified('a', '6', 'first'));
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'second' });
      send(modified('a', '7', 'second'));
      send(modified('a', '8', 'theirs'));
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'theirs' });
    }));

  it('given a relist, then a write the watch never delivered is no longer shown', async () => {
    let items = [obj('a', '5', 'old')];
    let endWatch: ((err: Error) => void) | undefined;
    const client = {
      list: async () => ({ items, metadata: { resourceVersion: '10' } }),
      watch: () => new Promise<void>((_resolve, reject) => (endWatch = reject)),
    } as unknown as KubeClient;
    const informer = new Informer<CachedObject>({
      client,
      resource: Resources.configMaps,
      logger: silentLogger(),
      backoff: { initialMs: 5, maxMs: 5 },
    });
    await informer.start();
    try {
      informer.writing('ns', 'a')(obj('a', '7', 'ours'), '5');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'ours' });
      items = [obj('a', '5', 'old, as listed after the write was lost')];
      endWatch!(new KubeApiError(410, 'Gone', 'too old resource version', 'WATCH', '/api/v1/configmaps'));
      await new Promise((r) => setTimeout(r, 30));
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'old' });
    } finally {
      informer.stop();
    }
  });
});

describe('Informer events: the echo of our own write is marked own', () => {
  it('given our replace, then the watch event of exactly that version is own, and a later foreign change is not', () =>
    scenario([obj('a', '5', 'old')], ({ send, wrote, seen }) => {
      wrote(obj('a', '7', 'ours'), '5');
      send(modified('a', '7', 'ours'));
      send(modified('a', '8', 'theirs'));
      expect(seen).toEqual([
        ['7', true],
        ['8', false],
      ]);
    }));

  it('given our write was overtaken by another writer, then the watch events are not own', () =>
    scenario([obj('a', '5', 'old')], ({ send, wrote, seen }) => {
      wrote(obj('a', '7', 'ours'), '5');
      send(modified('a', '9', 'theirs, squashed over ours'));
      send(modified('a', '10', 'theirs again'));
      expect(seen).toEqual([
        ['9', false],
        ['10', false],
      ]);
    }));

  it('given two writes of ours in a row, then both echoes are own', () =>
    scenario([obj('a', '5', 'old')], ({ send, wrote, seen }) => {
      wrote(obj('a', '6', 'first'), '5');
      wrote(obj('a', '7', 'second'), '6');
      send(modified('a', '6', 'first'));
      send(modified('a', '7', 'second'));
      send(modified('a', '8', 'theirs'));
      expect(seen).toEqual([
        ['6', true],
        ['7', true],
        ['8', false],
      ]);
    }));

  it('given a foreign change between our two writes, then what we show ends and the foreign change is not own', () =>
    scenario([obj('a', '5', 'old')], ({ informer, send, wrote, seen }) => {
      wrote(obj('a', '6', 'ours'), '5');
      send(modified('a', '7', 'theirs'));
      wrote(obj('a', '8', 'ours, written over 6 without a precondition'), '6');
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'theirs' });
      expect(seen).toEqual([['7', false]]);
    }));

  it('given the echo arrives before the write has answered, then it is held back and emitted as own when the write ends', () =>
    scenario([obj('a', '5', 'old')], ({ informer, send, seen }) => {
      const end = informer.writing('ns', 'a');
      send(modified('a', '6', 'ours'));
      expect(seen).toEqual([]);
      expect(informer.get('ns', 'a')).toMatchObject({ data: 'ours' });
      end(obj('a', '6', 'ours'), '5');
      expect(seen).toEqual([['6', true]]);
      send(modified('a', '7', 'theirs'));
      expect(seen).toEqual([
        ['6', true],
        ['7', false],
      ]);
    }));

  it('given a write that fails while events of its object arrive, then they are emitted as not own when it ends', () =>
    scenario([obj('a', '5', 'old')], ({ informer, send, seen }) => {
      const end = informer.writing('ns', 'a');
      send(modified('a', '6', 'theirs'));
      send({ type: 'DELETED', object: obj('a', '6', 'theirs') });
      end(undefined);
      expect(seen).toEqual([
        ['6', false],
        ['deleted 6', false],
      ]);
    }));

  it('given our create, then its ADDED event is own; a create we never made is not', () =>
    scenario([], ({ send, wrote, seen }) => {
      wrote(obj('b', '9', 'created'), undefined);
      send({ type: 'ADDED', object: obj('b', '9', 'created') });
      send({ type: 'ADDED', object: obj('c', '10', 'someone else') });
      expect(seen).toEqual([
        ['b', true],
        ['c', false],
      ]);
    }));
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
    const informer = new Informer<KubeObject>({
      client,
      resource: Resources.configMaps,
      logger: silentLogger(),
      backoff: { initialMs: 5, maxMs: 5 },
    });
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

describe('Informer selectors', () => {
  it('given a field selector (and a label selector), then both are sent on the list and on the watch', async () => {
    const queries: { verb: string; query: Record<string, unknown> }[] = [];
    const client = {
      list: async (_r: unknown, _ns: unknown, query: Record<string, unknown>) => {
        queries.push({ verb: 'list', query });
        return { items: [], metadata: { resourceVersion: '10' } };
      },
      watch: (_path: string, query: Record<string, unknown>, _cb: unknown, signal: AbortSignal) => {
        queries.push({ verb: 'watch', query });
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    } as unknown as KubeClient;
    const informer = new Informer({
      client,
      resource: Resources.events,
      fieldSelector: 'involvedObject.kind=Canary',
      labelSelector: 'app=x',
      logger: silentLogger(),
    });
    await informer.start();
    await new Promise((r) => setImmediate(r));
    informer.stop();
    expect(queries.map((q) => [q.verb, q.query.fieldSelector, q.query.labelSelector])).toEqual([
      ['list', 'involvedObject.kind=Canary', 'app=x'],
      ['watch', 'involvedObject.kind=Canary', 'app=x'],
    ]);
  });
});

describe('Informer with a transform (the Pods cache)', () => {
  it('given a transform, then listed and watched objects are cached as it cuts them', async () => {
    const { client, send } = fakeClient([obj('a', '1', 'listed content')]);
    const informer = new Informer<KubeObject & { data?: string }>({
      client,
      resource: Resources.configMaps,
      logger: silentLogger(),
      transform: (o) => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: { name: o.metadata.name, resourceVersion: o.metadata.resourceVersion },
      }),
    });
    await informer.start();
    await new Promise((r) => setImmediate(r));
    send({ type: 'ADDED', object: obj('b', '11', 'watched content') });
    expect(informer.list().map((o) => [o.metadata.name, o.data])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    expect(informer.get(undefined, 'b')).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', resourceVersion: '11' } });
    informer.stop();
  });
});
