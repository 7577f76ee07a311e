import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { KubeObject } from '../../src/api/types.js';
import { revisionOf } from '../../src/core/revision.js';
import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { Lister } from '../../src/kube/informer.js';
import { Resources } from '../../src/kube/resources.js';
import { covers, ensureObject, GITOPS_ANNOTATIONS, ownedBy } from '../../src/kube/ensure.js';
import { ensureGenerated } from '../../src/meshes/apply.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, copy, OWNER, routerDepsOf, signal } from '../fakes/router-fixtures.js';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: unknown };

describe('covers', () => {
  it.each<[string, unknown, unknown]>([
    ['identical scalars', 5, 5],
    ['identical objects', { a: 1, b: 'x' }, { a: 1, b: 'x' }],
    ['a field the server defaulted (only live has it)', { weight: 10, group: '', kind: 'Service' }, { weight: 10 }],
    [
      'nested server defaults',
      { spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'a', group: '' }] }] } },
      { spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'a' }] }] } },
    ],
    ['an undefined desired field', { a: 1 }, { a: 1, b: undefined }],
    ['an undefined desired value', { a: 1 }, undefined],
    ['an empty desired string and a null live value', { group: null }, { group: '' }],
    ['an empty desired string and an absent live field', {}, { group: '' }],
    ['equal arrays', [1, { a: 2 }], [1, { a: 2 }]],
    [
      'array elements that carry server defaults',
      [
        { name: 'a', kind: 'Service' },
        { name: 'b', kind: 'Service' },
      ],
      [{ name: 'a' }, { name: 'b' }],
    ],
    ['an empty desired object against anything object-like', { a: 1 }, {}],
    ['both null', null, null],
  ])('given %s, then live covers desired', (_title, live, desired) => {
    expect(covers(live, desired)).toBe(true);
  });

  it.each<[string, unknown, unknown]>([
    ['a changed scalar', { weight: 10 }, { weight: 20 }],
    ['a changed nested scalar', { a: { b: { c: 'x' } } }, { a: { b: { c: 'y' } } }],
    ['a number where a string is desired', { weight: 1 }, { weight: '1' }],
    ['a field missing from live', { a: 1 }, { a: 1, b: 2 }],
    ['a longer live array', { hosts: ['a', 'b'] }, { hosts: ['a'] }],
    ['a shorter live array', { hosts: ['a'] }, { hosts: ['a', 'b'] }],
    ['arrays in another order', ['a', 'b'], ['b', 'a']],
    [
      'an array element that differs',
      [
        { name: 'a', weight: 90 },
        { name: 'b', weight: 10 },
      ],
      [
        { name: 'a', weight: 80 },
        { name: 'b', weight: 20 },
      ],
    ],
    ['an object where an array is desired', { 0: 'a', length: 1 }, ['a']],
    ['an array where an object is desired', ['a'], { 0: 'a' }],
    ['null where an object is desired', null, { a: 1 }],
    ['a string where an object is desired', 'x', { a: 1 }],
    ['a non-empty live string where an empty one is desired', { group: 'x' }, { group: '' }],
    ['an absent live value where null is desired', {}, { a: null }],
    ['an absent live value where 0 is desired', {}, { weight: 0 }],
    ['an absent live value where false is desired', {}, { enabled: false }],
  ])('given %s, then live does not cover desired', (_title, live, desired) => {
    expect(covers(live, desired)).toBe(false);
  });
});

const R = Resources.httpRoutesV1;
const NS = 'test';
const ref = { namespace: NS, name: 'podinfo' };

/** The HTTPRoute ensureObject is asked for in these tests: spec plus metadata as a router would build it. */
const routeOf = (spec: Record<string, unknown>, live?: Obj): Obj => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  ...live,
  metadata: {
    ...(live?.metadata ?? { name: 'podinfo', namespace: NS }),
    labels: { ...live?.metadata.labels, 'tollgate.dev/canary': 'podinfo' },
  },
  spec,
});

const SPEC_90_10 = {
  parentRefs: [{ name: 'public' }],
  hostnames: ['app.example.com'],
  rules: [
    {
      backendRefs: [
        { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
        { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
      ],
    },
  ],
};

describe('ensureObject', () => {
  const setup = () => {
    const kube = new FakeKube();
    return { kube, client: kube.client(), lister: kube.lister<Obj>(R) };
  };

  it('given no live object, when ensured, then it is created with the fingerprint of its spec and the action is created', async () => {
    const { kube, client, lister } = setup();
    const action = await ensureObject(client, lister, R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    expect(action).toBe('created');
    expect(kube.writes).toEqual([{ verb: 'create', kind: 'HTTPRoute', name: 'podinfo' }]);
    const stored = kube.get<Obj>(R, NS, 'podinfo')!;
    expect(stored.spec).toEqual(SPEC_90_10);
    expect(stored.metadata.annotations).toEqual({ 'tollgate.dev/applied': revisionOf(SPEC_90_10) });
    expect(stored.metadata.labels).toEqual({ 'tollgate.dev/canary': 'podinfo' });
  });

  it('given no live object, then build is called with undefined', async () => {
    const { client, lister } = setup();
    const seen: (Obj | undefined)[] = [];
    await ensureObject(client, lister, R, ref, (live) => (seen.push(live), routeOf(copy(SPEC_90_10), live)), signal());
    expect(seen).toEqual([undefined]);
  });

  it('given a live object carrying the desired spec plus server-added defaults and fields of others, when ensured again, then nothing is written', async () => {
    const { kube, client, lister } = setup();
    await ensureObject(client, lister, R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    const live = kube.get<Obj>(R, NS, 'podinfo')!;
    // What the API server and other controllers add: defaults in parentRefs/backendRefs, a status, a label.
    kube.put(R, {
      ...live,
      metadata: { ...live.metadata, labels: { ...live.metadata.labels, team: 'web' } },
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }],
        hostnames: ['app.example.com'],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [
              { group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
              { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
            ],
          },
        ],
      },
      status: { parents: [] },
    });
    const writes = kube.writes.length;
    const action = await ensureObject(client, lister, R, ref, (l) => routeOf(copy(SPEC_90_10), l), signal());
    expect(action).toBe('unchanged');
    expect(kube.writes.slice(writes)).toEqual([]);
  });

  it('given someone changed a weight the operator owns, when ensured, then the object is replaced with the desired weight', async () => {
    const { kube, client, lister } = setup();
    await ensureObject(client, lister, R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    const live = kube.get<Obj>(R, NS, 'podinfo')!;
    const edited = copy(SPEC_90_10);
    edited.rules[0]!.backendRefs[0]!.weight = 50;
    edited.rules[0]!.backendRefs[1]!.weight = 50;
    kube.put(R, { ...live, spec: edited });
    const action = await ensureObject(client, lister, R, ref, (l) => routeOf(copy(SPEC_90_10), l), signal());
    expect(action).toBe('updated');
    expect(kube.writes.map((w) => w.verb)).toEqual(['create', 'update']);
    expect(kube.get<Obj>(R, NS, 'podinfo')!.spec).toEqual(SPEC_90_10);
  });

  it('given a field removed from the desired spec, then covers alone would see no change, but the fingerprint makes it a write that drops the field', async () => {
    const { kube, client, lister } = setup();
    await ensureObject(client, lister, R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    const { hostnames: _dropped, ...withoutHosts } = copy(SPEC_90_10);
    const live = kube.get<Obj>(R, NS, 'podinfo')!;
    expect(covers(live, routeOf(withoutHosts, live))).toBe(true);
    const action = await ensureObject(client, lister, R, ref, (l) => routeOf(copy(withoutHosts), l), signal());
    expect(action).toBe('updated');
    const stored = kube.get<Obj>(R, NS, 'podinfo')!;
    expect(stored.spec).toEqual({
      parentRefs: [{ name: 'public' }],
      rules: [
        {
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
          ],
        },
      ],
    });
    expect(stored.metadata.annotations?.[ANNOTATIONS.applied]).toBe(revisionOf(withoutHosts));
  });

  it('given someone removed the fingerprint annotation, when ensured, then it is written back', async () => {
    const { kube, client, lister } = setup();
    await ensureObject(client, lister, R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    const live = kube.get<Obj>(R, NS, 'podinfo')!;
    kube.put(R, { ...live, metadata: { ...live.metadata, annotations: {} } });
    expect(await ensureObject(client, lister, R, ref, (l) => routeOf(copy(SPEC_90_10), l), signal())).toBe('updated');
    expect(kube.get<Obj>(R, NS, 'podinfo')!.metadata.annotations).toEqual({ 'tollgate.dev/applied': revisionOf(SPEC_90_10) });
  });

  it('given a live object, when replaced, then the replace carries the cached resourceVersion and the live status', async () => {
    const { kube, lister } = setup();
    const inner = kube.client();
    const replaced: Obj[] = [];
    const client = {
      ...inner,
      replace: (r: typeof R, o: Obj, s: AbortSignal) => (replaced.push(copy(o)), inner.replace(r, o, s)),
    } as unknown as KubeClient;
    await ensureObject(client, lister, R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    const live = kube.put(R, { ...kube.get<Obj>(R, NS, 'podinfo')!, status: { parents: [{ controllerName: 'x' }] } });
    await ensureObject(client, lister, R, ref, (l) => routeOf({ ...copy(SPEC_90_10), hostnames: ['b.example.com'] }, l), signal());
    expect(replaced).toHaveLength(1);
    expect(replaced[0]!.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
    expect(replaced[0]!.status).toEqual({ parents: [{ controllerName: 'x' }] });
  });

  it('given a cache that lags behind the server (stale resourceVersion), when a change is replaced, then the API answers 409 Conflict and nothing is stored', async () => {
    const { kube, client } = setup();
    await ensureObject(client, kube.lister<Obj>(R), R, ref, (live) => routeOf(copy(SPEC_90_10), live), signal());
    const stale = kube.get<Obj>(R, NS, 'podinfo')!;
    kube.put(R, { ...stale, metadata: { ...stale.metadata, labels: { ...stale.metadata.labels, touched: 'yes' } } });
    const staleLister: Lister<Obj> = { get: () => copy(stale), list: () => [copy(stale)] };
    const attempt = ensureObject(
      client,
      staleLister,
      R,
      ref,
      (l) => routeOf({ ...copy(SPEC_90_10), hostnames: ['b.example.com'] }, l),
      signal(),
    );
    await expect(attempt).rejects.toBeInstanceOf(KubeApiError);
    await expect(attempt).rejects.toMatchObject({ status: 409, reason: 'Conflict' });
    expect(kube.get<Obj>(R, NS, 'podinfo')!.spec?.hostnames).toEqual(['app.example.com']);
  });
});

describe('ensureGenerated', () => {
  it('given no object, then it is created owned by the Canary with the GitOps annotations, the canary label and the fingerprint', async () => {
    const kube = new FakeKube();
    const spec = {
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: 100 },
        { service: 'podinfo-canary', weight: 0 },
      ],
    };
    const action = await ensureGenerated(
      routerDepsOf(kube),
      canaryOf(),
      {
        resource: Resources.trafficSplitsV1alpha2,
        name: 'podinfo',
        spec,
        labels: { team: 'web' },
        annotations: { note: 'x' },
      },
      signal(),
    );
    expect(action).toBe('created');
    const stored = kube.get<Obj>(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')!;
    expect({ apiVersion: stored.apiVersion, kind: stored.kind, spec: stored.spec }).toEqual({
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      spec,
    });
    expect(stored.metadata).toMatchObject({
      name: 'podinfo',
      namespace: 'test',
      labels: { team: 'web', 'tollgate.dev/canary': 'podinfo' },
      annotations: {
        note: 'x',
        'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
        'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
        'tollgate.dev/applied': revisionOf(spec),
      },
      ownerReferences: [OWNER],
    });
    expect(GITOPS_ANNOTATIONS).toEqual({
      'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
      'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
    });
    expect(ownedBy(stored, canaryOf())).toBe(true);
  });

  it('given an object someone else created, then it is adopted: their labels, annotations and owners stay, the spec becomes ours', async () => {
    const kube = new FakeKube();
    kube.put(Resources.trafficSplitsV1alpha2, {
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: {
        name: 'podinfo',
        namespace: 'test',
        labels: { owner: 'them' },
        annotations: { theirs: 'kept' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }],
      },
      spec: { service: 'podinfo', backends: [{ service: 'podinfo', weight: 100 }] },
    });
    const spec = {
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: 100 },
        { service: 'podinfo-canary', weight: 0 },
      ],
    };
    expect(
      await ensureGenerated(routerDepsOf(kube), canaryOf(), { resource: Resources.trafficSplitsV1alpha2, name: 'podinfo', spec }, signal()),
    ).toBe('updated');
    const stored = kube.get<Obj>(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')!;
    expect(stored.spec).toEqual(spec);
    expect(stored.metadata.labels).toEqual({ owner: 'them', 'tollgate.dev/canary': 'podinfo' });
    expect(stored.metadata.annotations).toMatchObject({ theirs: 'kept', 'tollgate.dev/applied': revisionOf(spec) });
    expect(stored.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }]);
    expect(ownedBy(stored, canaryOf())).toBe(false);
  });

  it('given the same spec twice, then the second call writes nothing', async () => {
    const kube = new FakeKube();
    const deps = routerDepsOf(kube);
    const g = { resource: Resources.trafficSplitsV1alpha2, name: 'podinfo', spec: { service: 'podinfo', backends: [] } };
    expect(await ensureGenerated(deps, canaryOf(), g, signal())).toBe('created');
    expect(await ensureGenerated(deps, canaryOf(), g, signal())).toBe('unchanged');
    expect(kube.writes).toHaveLength(1);
  });
});
