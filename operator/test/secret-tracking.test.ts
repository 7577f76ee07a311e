import type { ConfigObject, PodSpec } from '../src/api/k8s.js';
import type { Canary, KubeObject } from '../src/api/types.js';
import {
  METADATA_ONLY,
  type KubeClient,
  type WatchEvent,
  type WatchOptions,
  type WriteEnd,
  type WriteListener,
} from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';
import { InformerRegistry, ResourceNotWatchedError } from '../src/kube/informer-registry.js';
import { Resources, resourceKey, type ResourceType } from '../src/kube/resources.js';
import { ConfigTracker } from '../src/targets/config-tracker.js';
import { parseSecretTracking, secretScope, secretsInformer, type SecretScope } from '../src/targets/secret-scope.js';
import { silentLogger } from '../src/util/log.js';
import { aCanary, aDeployment, NS as WORLD_NS, World } from './fakes/world.js';

/**
 * Security finding 7: the operator keeps no Secret content in memory (not even in annotations: kubectl's
 * last-applied-configuration holds an applied Secret's data), and reads only the Secrets pods use.
 */

const NS = 'team-a';
const SECRET_VALUE = Buffer.from('s3cr3t-password-of-another-team').toString('base64');

const secret = (name: string, value = SECRET_VALUE, extra: Partial<ConfigObject> = {}): ConfigObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NS },
  type: 'Opaque',
  data: { password: value },
  ...extra,
});

/**
 * An API server stand-in for Secrets: full objects on GET; on list and watch, metadata alone when asked with the
 * PartialObjectMetadata Accept header, unless `ignoresAccept` (then the informer must drop the content itself).
 */
class SecretServer {
  private rv = 100;
  readonly objects = new Map<string, ConfigObject>();
  readonly gets: string[] = [];
  readonly accepts: (string | undefined)[] = [];
  /** The namespace of every list ('' for the whole cluster). */
  readonly listedIn: string[] = [];
  private onEvent?: (e: WatchEvent<KubeObject>) => void;
  private readonly listeners: WriteListener[] = [];
  constructor(private readonly ignoresAccept = false) {}

  put(o: ConfigObject, event = true): ConfigObject {
    const stored = { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } };
    const existed = this.objects.has(o.metadata.name!);
    this.objects.set(o.metadata.name!, stored);
    if (event) this.onEvent?.({ type: existed ? 'MODIFIED' : 'ADDED', object: this.served(stored, METADATA_ONLY.watch) });
    return stored;
  }

  private served(o: ConfigObject, accept: string | undefined): KubeObject {
    if (this.ignoresAccept || !accept) return o;
    return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: o.metadata };
  }

  client(): KubeClient {
    return {
      onWrite: (l: WriteListener) => void this.listeners.push(l),
      list: async (_r: ResourceType, ns?: string, _q?: unknown, _s?: AbortSignal, accept?: string) => {
        this.accepts.push(accept);
        this.listedIn.push(ns ?? '');
        return { items: [...this.objects.values()].map((o) => this.served(o, accept)), metadata: { resourceVersion: String(this.rv) } };
      },
      watch: (_p: string, _q: unknown, cb: (e: WatchEvent<KubeObject>) => void, signal: AbortSignal, o?: WatchOptions) => {
        this.accepts.push(o?.accept);
        this.onEvent = cb;
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
      get: async (_r: ResourceType, ns: string, name: string) => {
        this.gets.push(`${ns}/${name}`);
        const o = this.objects.get(name);
        if (!o) throw new KubeApiError(404, 'NotFound', `secrets "${name}" not found`, 'GET', 'secrets');
        return structuredClone(o);
      },
      create: async (r: ResourceType, o: ConfigObject) => this.write(r, o),
      replace: async (r: ResourceType, o: ConfigObject) => this.write(r, o),
    } as unknown as KubeClient;
  }

  /** A write as the real client makes it: the informers are told before and after (write-through of own writes). */
  private async write(r: ResourceType, o: ConfigObject): Promise<ConfigObject> {
    const ends: WriteEnd[] = this.listeners.map((l) => l(r, o.metadata.namespace, o.metadata.name!));
    const stored = this.put(o, false);
    for (const end of ends) end(structuredClone(stored), o.metadata.resourceVersion);
    return stored;
  }

  /** The watch delivers the object as it is now (the echo of a write). */
  echo(name: string): void {
    this.onEvent?.({ type: 'MODIFIED', object: this.served(this.objects.get(name)!, METADATA_ONLY.watch) });
  }
}

interface Setup {
  server: SecretServer;
  registry: InformerRegistry;
  tracker: ConfigTracker;
  events: { name: string; own: boolean }[];
}

interface SetupOptions {
  ignoresAccept?: boolean;
  tracksSecretsIn?: (ns: string) => boolean;
  secrets?: ConfigObject[];
  scope?: SecretScope;
}

async function setup(opts: SetupOptions = {}): Promise<Setup> {
  const server = new SecretServer(opts.ignoresAccept);
  for (const s of opts.secrets ?? [secret('creds'), secret('unrelated-1'), secret('unrelated-2')]) server.put(s);
  const client = server.client();
  const events: { name: string; own: boolean }[] = [];
  const registry = new InformerRegistry({
    client,
    logger: silentLogger(),
    namespaces: [],
    resyncMs: 0,
    onEvent: (_r, o, own) => void events.push({ name: o.metadata.name!, own }),
    overrides: { [resourceKey(Resources.secrets)]: secretsInformer(opts.scope ?? secretScope([], '*')) },
  });
  const tracker = new ConfigTracker({ client, informers: registry, tracksSecretsIn: opts.tracksSecretsIn ?? (() => true) });
  return { server, registry, tracker, events };
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const OPT_OUT = 'flagger.app/config-tracking';
const LIVE = new AbortController().signal;
const usesCreds: PodSpec = { containers: [{ name: 'app', envFrom: [{ secretRef: { name: 'creds' } }] }] } as PodSpec;
const cached = async (s: Setup): Promise<string> => JSON.stringify((await s.registry.lister(Resources.secrets)).list());

let current: Setup | undefined;
afterEach(() => current?.registry.stopAll());
const started = async (opts?: SetupOptions): Promise<Setup> => (current = await setup(opts));

describe('the Secret informer (metadata only)', () => {
  it.each([[false], [true]])(
    'holds no Secret data (server ignores the Accept header: %p), and asks for metadata alone',
    async (ignoresAccept) => {
      const s = await started({ ignoresAccept });
      const text = await cached(s);
      expect(text).toContain('unrelated-1');
      expect(text).not.toContain(SECRET_VALUE);
      expect(text).not.toContain('"data"');
      expect(s.server.accepts[0]).toBe(METADATA_ONLY.list);
      s.server.put(secret('unrelated-1', Buffer.from('rotated').toString('base64')));
      expect(await cached(s)).not.toContain(Buffer.from('rotated').toString('base64'));
      await new Promise((r) => setImmediate(r));
      expect(s.server.accepts).toContain(METADATA_ONLY.watch);
    },
  );

  it.each([[false], [true]])(
    'holds no data of Secrets created with kubectl apply, listed, watched or written (server ignores the Accept header: %p)',
    async (ignoresAccept) => {
      const values = ['listed', 'watched', 'written'].map((n) => Buffer.from(`${n}-password`).toString('base64'));
      const applied = (name: string, value: string): ConfigObject =>
        secret(name, value, {
          metadata: {
            name,
            namespace: NS,
            annotations: { [LAST_APPLIED]: JSON.stringify(secret(name, value)), [OPT_OUT]: 'disabled', other: 'x' },
          },
        });
      const s = await started({ ignoresAccept, secrets: [applied('listed', values[0]!)] });
      s.server.put(applied('watched', values[1]!));
      await s.server.client().create(Resources.secrets, applied('written', values[2]!));
      const lister = await s.registry.lister<ConfigObject>(Resources.secrets);
      expect(
        lister
          .list()
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(['listed', 'watched', 'written']);
      const text = await cached(s);
      for (const v of values) expect(text).not.toContain(v);
      expect(text).not.toContain(LAST_APPLIED);
      // The annotations config tracking reads are kept, and they alone.
      for (const o of lister.list()) expect(o.metadata.annotations).toEqual({ [OPT_OUT]: 'disabled' });
    },
  );

  it("shows the operator's own write at once, without its data, and its echo is own", async () => {
    const s = await started();
    const canary = { metadata: { name: 'podinfo', namespace: NS, uid: 'u1' } } as Canary;
    const tracked = await s.tracker.describe(NS, usesCreds, LIVE);
    await s.tracker.promote(
      canary,
      tracked,
      { apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'u1' },
      new AbortController().signal,
    );
    const copy = (await s.registry.lister<ConfigObject>(Resources.secrets)).get(NS, 'creds-primary');
    expect(copy?.metadata.resourceVersion).toBe(s.server.objects.get('creds-primary')!.metadata.resourceVersion);
    expect(copy).not.toHaveProperty('data');
    expect(s.server.objects.get('creds-primary')!.data).toEqual({ password: SECRET_VALUE });
    s.server.echo('creds-primary');
    expect(s.events.filter((e) => e.name === 'creds-primary')).toEqual([{ name: 'creds-primary', own: true }]);
  });
});

describe('ConfigTracker with Secrets read on demand', () => {
  it('reads only the Secret the pod template uses, once per resourceVersion; a content change is a new checksum', async () => {
    const s = await started();
    const first = await s.tracker.describe(NS, usesCreds, LIVE);
    expect(first.refs).toEqual([{ kind: 'secret', name: 'creds', optional: false }]);
    expect(await s.tracker.describe(NS, usesCreds, LIVE)).toEqual(first);
    expect(s.server.gets).toEqual([`${NS}/creds`]);
    s.server.put(secret('creds', Buffer.from('new').toString('base64')));
    const second = await s.tracker.describe(NS, usesCreds, LIVE);
    expect(s.server.gets).toEqual([`${NS}/creds`, `${NS}/creds`]);
    expect(second.checksums['secret/creds']).not.toBe(first.checksums['secret/creds']);
  });

  it('gives the same checksum as the former whole-object cache (no new revision after an upgrade)', async () => {
    const s = await started();
    const { configChecksum } = await import('../src/targets/config-refs.js');
    expect((await s.tracker.describe(NS, usesCreds, LIVE)).checksums['secret/creds']).toBe(configChecksum(secret('creds')));
  });

  it('promotes no copy of a Secret deleted since describe (the read finds it gone), and reads it again once it is back', async () => {
    const s = await started();
    const canary = { metadata: { name: 'podinfo', namespace: NS, uid: 'u1' } } as Canary;
    const owner = { apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'u1' };
    const tracked = await s.tracker.describe(NS, usesCreds, LIVE);
    const creds = s.server.objects.get('creds')!;
    s.server.objects.delete('creds');
    await s.tracker.promote(canary, tracked, owner, LIVE);
    expect(s.server.objects.has('creds-primary')).toBe(false);
    s.server.put(creds);
    await s.tracker.promote(canary, tracked, owner, LIVE);
    expect(s.server.objects.get('creds-primary')!.data).toEqual({ password: SECRET_VALUE });
  });

  it('does not track a service-account token (read once to learn its type)', async () => {
    const s = await started({ secrets: [secret('creds', SECRET_VALUE, { type: 'kubernetes.io/service-account-token' })] });
    expect(await s.tracker.describe(NS, usesCreds, LIVE)).toEqual({ refs: [], checksums: {} });
  });

  it('does not read an opted-out Secret', async () => {
    const optedOut = secret('creds');
    optedOut.metadata.annotations = { 'flagger.app/config-tracking': 'disabled' };
    const s = await started({ secrets: [optedOut] });
    expect(await s.tracker.describe(NS, usesCreds, LIVE)).toEqual({ refs: [], checksums: {} });
    expect(s.server.gets).toEqual([]);
  });

  it('neither lists, watches nor reads the Secrets of a namespace outside the Secret scope', async () => {
    const s = await started({ tracksSecretsIn: (ns) => ns !== NS });
    expect(await s.tracker.describe(NS, usesCreds, LIVE)).toEqual({ refs: [], checksums: {} });
    expect(s.server.accepts).toEqual([]);
    expect(s.server.gets).toEqual([]);
  });
});

describe('the Secret GET of a reconcile', () => {
  it("ends with the reconcile's signal (shard lost, shutdown) instead of holding the worker", async () => {
    const w = new World();
    w.kube.put(Resources.secrets, { ...secret('creds'), metadata: { name: 'creds', namespace: WORLD_NS } });
    const d = aDeployment();
    d.spec.template.spec.containers[0]!.envFrom = [{ secretRef: { name: 'creds' } }];
    w.apply(d, aCanary());
    const client = w.deps.client as { get: KubeClient['get'] };
    const get = client.get.bind(client);
    const asked: (AbortSignal | undefined)[] = [];
    client.get = (async (r: ResourceType, ns: string, name: string, signal?: AbortSignal) => {
      if (r !== Resources.secrets) return get(r, ns, name, signal);
      asked.push(signal);
      // An API server that does not answer: only the signal ends the GET.
      return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    }) as KubeClient['get'];
    const reconcile = new AbortController();
    const done = w.reconciler.reconcile(`${WORLD_NS}/podinfo`, reconcile.signal);
    for (let i = 0; i < 100 && asked.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(asked).toHaveLength(1);
    reconcile.abort(new Error('shard lost'));
    await expect(done).rejects.toThrow('shard lost');
  });
});

describe('secretScope', () => {
  it.each<[string[], string, string[] | undefined, Record<string, boolean>]>([
    [[], '*', [], { a: true, b: true }],
    [['a', 'b'], '*', ['a', 'b'], { a: true }],
    [[], 'a,b', ['a', 'b'], { a: true, b: true, c: false }],
    [['a', 'c'], 'a,b', ['a'], { a: true, b: false, c: false }],
    [['c'], 'a,b', undefined, { a: false, c: false }],
    [[], 'none', undefined, { a: false }],
  ])('watching %j with --secret-tracking-namespaces=%p: Secrets watched in %j', (watched, setting, watch, tracks) => {
    const scope = secretScope(watched, parseSecretTracking(setting));
    expect(scope.watch).toEqual(watch);
    for (const [ns, yes] of Object.entries(tracks)) expect(scope.tracks(ns)).toBe(yes);
  });

  it.each<[string[], string, string[]]>([
    [[], '*', ['']],
    [['a', 'b'], '*', ['a', 'b']],
    [[], 'a,b', ['a', 'b']],
    [['a', 'c'], 'a,b', ['a']],
  ])('watching %j with --secret-tracking-namespaces=%p, the Secrets informer lists in %j', async (watched, setting, listed) => {
    const s = await started({ scope: secretScope(watched, parseSecretTracking(setting)) });
    await s.registry.lister(Resources.secrets);
    expect(s.server.listedIn.sort()).toEqual(listed);
  });

  it.each<[string[], string]>([
    [[], 'none'],
    [['c'], 'a,b'],
  ])('watching %j with --secret-tracking-namespaces=%p, no Secrets informer can start, not even cluster-wide', async (watched, setting) => {
    const s = await started({ scope: secretScope(watched, parseSecretTracking(setting)) });
    await expect(s.registry.lister(Resources.secrets)).rejects.toThrow(ResourceNotWatchedError);
    expect(() => s.registry.informer(Resources.secrets)).toThrow(ResourceNotWatchedError);
    expect(s.server.listedIn).toEqual([]);
    expect(s.registry.synced).toBe(true);
  });
});
