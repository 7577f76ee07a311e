import type { KubeObject } from '../../src/api/types.js';
import { covers } from '../../src/kube/ensure.js';
import { resourceKey, Resources } from '../../src/kube/resources.js';
import { meshHttpRouteSpec, routesOfMeshHttpRoute } from '../../src/meshes/kuma/mesh-http-route.js';
import { KumaRouter } from '../../src/meshes/kuma/router.js';
import { routesOfTrafficRoute, trafficRouteSpec, validateForKuma } from '../../src/meshes/kuma/spec.js';
import { routesFor } from '../../src/meshes/router.js';
import { TargetError } from '../../src/targets/target.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type TrafficRoute = KubeObject & { mesh?: string; spec: Record<string, unknown> };

const tag = (svc: string) => ({ 'kuma.io/service': `${svc}_test_svc_9898` });
const specAt = (p: number, c: number) => ({
  sources: [{ match: { 'kuma.io/service': '*' } }],
  destinations: [{ match: tag('podinfo') }],
  conf: {
    split: [
      { weight: p, destination: tag('podinfo-primary') },
      { weight: c, destination: tag('podinfo-canary') },
    ],
  },
});

describe('trafficRouteSpec', () => {
  it.each([0, 10, 100])(
    'given canary weight %p, then every source reaching the apex tag is split between the -primary and -canary tags',
    (w) => {
      const spec = trafficRouteSpec(canaryOf(), routesFor(w));
      expect(spec).toEqual(specAt(100 - w, w));
      expect(admitSpec(Resources.kumaTrafficRoutes, spec)).toMatchObject({ errors: [], pruned: [] });
    },
  );
});

describe('routesOfTrafficRoute', () => {
  it.each<[string, Record<string, unknown> | undefined, ReturnType<typeof routesFor> | undefined]>([
    ['no object', undefined, undefined],
    ['no canary entry', { conf: { split: [{ weight: 100, destination: tag('podinfo-primary') }] } }, undefined],
    ['60/40', specAt(60, 40), routesFor(40)],
    ['relative weights 1/3', specAt(1, 3), routesFor(75)],
    ['another port', { conf: { split: [{ weight: 1, destination: { 'kuma.io/service': 'podinfo-primary_test_svc_80' } }] } }, undefined],
  ])('given %s, then the routes read back are as Kuma splits', (_t, spec, routes) => {
    expect(routesOfTrafficRoute(canaryOf(), spec)).toEqual(routes);
  });
});

describe('validateForKuma', () => {
  it('given routing fields, then one notice names them', () => {
    const c = canaryOf({ timeout: '5s' });
    expect(validateForKuma(c, strategyFor(c))).toEqual({
      errors: [],
      notices: [
        "service.timeout not applied by kuma: the MeshHTTPRoute test/podinfo (or, where it is not served, the TrafficRoute podinfo.test) only routes the apex Service's traffic",
      ],
    });
  });

  it('given an A/B match a MeshHTTPRoute cannot express, then it is an error', () => {
    const c = canaryOf({}, { iterations: 2, match: [{ headers: { 'x-user': { exact: 'a' } }, sourceLabels: { app: 'x' } } as never] });
    expect(validateForKuma(c, strategyFor(c)).errors).toEqual([
      'analysis.match fields sourceLabels cannot be expressed in a Kuma MeshHTTPRoute',
    ]);
  });
});

/** What a TrafficRoute-only cluster (no MeshHTTPRoute CRD) serves. */
const withoutMeshHttpRoute = (kube: FakeKube): FakeKube => {
  kube.notServed.add(resourceKey(Resources.kumaMeshHttpRoutes));
  return kube;
};

describe('KumaRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given a Canary in mesh "prod" and no MeshHTTPRoute served, then a cluster-scoped TrafficRoute <apex>.<namespace> marked with its owner carries the split; finalize deletes it', async () => {
    const kube = withoutMeshHttpRoute(new FakeKube());
    const router = new KumaRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf({ apex: { labels: { team: 'a' } } });
    c.metadata.annotations = { 'kuma.io/mesh': 'prod' };
    expect(router.provider).toBe('kuma');
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create TrafficRoute podinfo.test', 'update TrafficRoute podinfo.test']);
    const tr = kube.get<TrafficRoute>(Resources.kumaTrafficRoutes, undefined, 'podinfo.test')!;
    expect(tr.mesh).toBe('prod');
    expect(tr.metadata.namespace).toBeUndefined();
    expect(tr.metadata.ownerReferences).toBeUndefined();
    expect(tr.metadata.labels).toEqual({ team: 'a', 'tollgate.dev/canary': 'podinfo' });
    expect(tr.metadata.annotations).toMatchObject({ 'tollgate.dev/owner': 'test/podinfo/uid-podinfo' });
    expect(tr.spec).toEqual(specAt(90, 10));
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
    await router.finalize(c, signal());
    expect(kinds(kube).slice(2)).toEqual(['delete TrafficRoute podinfo.test']);
    expect(await router.getRoutes(c)).toBeUndefined();
  });

  it('given a TrafficRoute of that name another Canary (or a user) wrote, then it is neither read, changed nor deleted', async () => {
    const kube = withoutMeshHttpRoute(new FakeKube());
    kube.put(Resources.kumaTrafficRoutes, {
      apiVersion: 'kuma.io/v1alpha1',
      kind: 'TrafficRoute',
      metadata: { name: 'podinfo.test', annotations: { 'tollgate.dev/owner': 'test/podinfo/other-uid' } },
      spec: specAt(50, 50),
    });
    const router = new KumaRouter(routerDepsOf(kube));
    const c = canaryOf();
    expect(await router.getRoutes(c)).toBeUndefined();
    const err = await router.reconcile(c, TARGET, strategyFor(c), signal()).catch((e: unknown) => e);
    expect(err).toEqual(
      new TargetError('TargetInvalid', 'TrafficRoute podinfo.test exists and was not written by this Canary: delete or rename it'),
    );
    await router.finalize(c, signal());
    expect(kube.writes).toEqual([]);
  });
});

const EVERY = { path: { type: 'PathPrefix', value: '/' } };
const ref = (name: string, weight?: number) => ({ kind: 'MeshService', name, port: 9898, ...(weight !== undefined ? { weight } : {}) });
const meshSpec = (rules: Record<string, unknown>[]) => ({
  targetRef: { kind: 'Mesh' },
  to: [{ targetRef: { kind: 'MeshService', name: 'podinfo' }, rules }],
});
const split = (p: number, c: number, filters?: unknown[]) => ({
  matches: [EVERY],
  default: { ...(filters ? { filters } : {}), backendRefs: [ref('podinfo-primary', p), ref('podinfo-canary', c)] },
});
const AB = { iterations: 2, match: [{ headers: { 'X-Canary': { exact: 'insider' }, 'user-agent': { regex: '.*Firefox.*' } } }] };

describe('meshHttpRouteSpec', () => {
  it.each<[string, ReturnType<typeof canaryOf>, ReturnType<typeof routesFor>, Record<string, unknown>]>([
    ['all on the primary', canaryOf(), routesFor(0), meshSpec([split(100, 0)])],
    ['a 90/10 split', canaryOf(), routesFor(10), meshSpec([split(90, 10)])],
    ['all on the canary', canaryOf(), routesFor(100), meshSpec([split(0, 100)])],
    [
      'A/B testing (header names lower case, as the CRD requires)',
      canaryOf({}, AB),
      routesFor(100),
      meshSpec([
        {
          matches: [
            {
              path: { type: 'PathPrefix', value: '/' },
              headers: [
                { name: 'x-canary', type: 'Exact', value: 'insider' },
                { name: 'user-agent', type: 'RegularExpression', value: '.*Firefox.*' },
              ],
            },
          ],
          default: { backendRefs: [ref('podinfo-primary', 0), ref('podinfo-canary', 100)] },
        },
        { matches: [EVERY], default: { backendRefs: [ref('podinfo-primary', 100)] } },
      ]),
    ],
    [
      'mirroring half of the primary traffic',
      canaryOf({}, { iterations: 2, mirror: true, mirrorWeight: 50 }),
      routesFor(0, true),
      meshSpec([split(100, 0, [{ type: 'RequestMirror', requestMirror: { backendRef: ref('podinfo-canary'), percentage: 50 } }])]),
    ],
  ])('given %s, then the real MeshHTTPRoute schema admits the spec, nothing pruned', (_t, c, routes, expected) => {
    const spec = meshHttpRouteSpec(c, routes, strategyFor(c));
    expect(spec).toEqual(expected);
    const admitted = admitSpec(Resources.kumaMeshHttpRoutes, spec);
    expect(admitted).toMatchObject({ errors: [], pruned: [] });
    // What the server stores (with its defaults, e.g. a mirror backendRef's weight 1) still carries it: no rewrite per reconcile.
    expect(covers(admitted.stored, spec)).toBe(true);
  });

  it('given a header name in capitals, then without lower-casing it the real schema would refuse it', () => {
    const spec = meshSpec([{ matches: [{ headers: [{ name: 'X-Canary', type: 'Exact', value: 'a' }] }], default: { backendRefs: [] } }]);
    expect(admitSpec(Resources.kumaMeshHttpRoutes, spec).errors).toEqual([
      expect.stringContaining('.spec.to[0].rules[0].matches[0].headers[0].name: "X-Canary" does not match'),
    ]);
  });
});

describe('routesOfMeshHttpRoute', () => {
  it.each<[string, Record<string, unknown> | undefined, ReturnType<typeof routesFor> | undefined]>([
    ['no object', undefined, undefined],
    ['no canary backend', meshSpec([{ matches: [EVERY], default: { backendRefs: [ref('podinfo-primary', 100)] } }]), undefined],
    ['70/30', meshSpec([split(70, 30)]), routesFor(30)],
    ['relative weights 1/3', meshSpec([split(1, 3)]), routesFor(75)],
    [
      'weights left to the CRD default (1 each)',
      meshSpec([{ matches: [EVERY], default: { backendRefs: [ref('podinfo-primary'), ref('podinfo-canary')] } }]),
      routesFor(50),
    ],
    [
      'the A/B rule first',
      meshSpec([
        { matches: [EVERY], default: { backendRefs: [ref('podinfo-primary', 0), ref('podinfo-canary', 100)] } },
        { matches: [EVERY], default: { backendRefs: [ref('podinfo-primary', 100)] } },
      ]),
      routesFor(100),
    ],
    [
      'a mirror to the canary',
      meshSpec([split(100, 0, [{ type: 'RequestMirror', requestMirror: { backendRef: ref('podinfo-canary') } }])]),
      routesFor(0, true),
    ],
  ])('given %s, then the routes read back are as Kuma splits', (_t, spec, routes) => {
    expect(routesOfMeshHttpRoute(canaryOf(), spec)).toEqual(routes);
  });
});

describe('KumaRouter where MeshHTTPRoute is served', () => {
  type MeshHttpRoute = KubeObject & { spec: Record<string, unknown> };
  const writes = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given a Canary in mesh "prod", then a MeshHTTPRoute <apex> in its namespace, owned by it and labelled with the mesh, carries the split; finalize deletes it', async () => {
    const kube = new FakeKube();
    const router = new KumaRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf({ apex: { labels: { team: 'a' }, annotations: { note: 'n' } } });
    c.metadata.annotations = { 'kuma.io/mesh': 'prod' };
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(writes(kube)).toEqual(['create MeshHTTPRoute podinfo', 'update MeshHTTPRoute podinfo']);
    const mhr = kube.get<MeshHttpRoute>(Resources.kumaMeshHttpRoutes, 'test', 'podinfo')!;
    expect(mhr.metadata.ownerReferences).toEqual([OWNER]);
    expect(mhr.metadata.labels).toEqual({ team: 'a', 'kuma.io/mesh': 'prod', 'tollgate.dev/canary': 'podinfo' });
    expect(mhr.metadata.annotations).toMatchObject({ note: 'n' });
    expect(mhr.spec).toEqual(meshSpec([split(90, 10)]));
    expect(kube.get(Resources.kumaTrafficRoutes, undefined, 'podinfo.test')).toBeUndefined();
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
    await router.finalize(c, signal());
    expect(writes(kube).slice(2)).toEqual(['delete MeshHTTPRoute podinfo']);
    expect(await router.getRoutes(c)).toBeUndefined();
  });

  it('given no mesh annotation, then the MeshHTTPRoute is in mesh "default"', async () => {
    const kube = new FakeKube();
    const c = canaryOf();
    await new KumaRouter(routerDepsOf(kube)).reconcile(c, TARGET, strategyFor(c), signal());
    expect(kube.get<MeshHttpRoute>(Resources.kumaMeshHttpRoutes, 'test', 'podinfo')!.metadata.labels?.['kuma.io/mesh']).toBe('default');
  });

  it('given a MeshHTTPRoute of that name the Canary did not write, then it is neither read, changed nor deleted', async () => {
    const kube = new FakeKube();
    kube.put(Resources.kumaMeshHttpRoutes, {
      apiVersion: 'kuma.io/v1alpha1',
      kind: 'MeshHTTPRoute',
      metadata: { name: 'podinfo', namespace: 'test', labels: { 'kuma.io/mesh': 'default' } },
      spec: meshSpec([split(50, 50)]),
    });
    const router = new KumaRouter(routerDepsOf(kube));
    const c = canaryOf();
    expect(await router.getRoutes(c)).toBeUndefined();
    const err = await router.reconcile(c, TARGET, strategyFor(c), signal()).catch((e: unknown) => e);
    expect(err).toEqual(
      new TargetError('TargetInvalid', 'MeshHTTPRoute test/podinfo exists and was not written by this Canary: delete or rename it'),
    );
    await router.finalize(c, signal());
    expect(kube.writes).toEqual([]);
  });

  it('given a TrafficRoute the Canary wrote before the cluster served MeshHTTPRoute, then the MeshHTTPRoute takes over from the status weights and TrafficRoutes are no longer read', async () => {
    const kube = withoutMeshHttpRoute(new FakeKube());
    const router = new KumaRouter(routerDepsOf(kube));
    const c = canaryOf();
    await router.setRoutes(c, TARGET, routesFor(20), strategyFor(c), signal());
    kube.notServed.clear();
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.setRoutes(c, TARGET, routesFor(20), strategyFor(c), signal());
    expect(await router.getRoutes(c)).toEqual(routesFor(20));
    await router.finalize(c, signal());
    expect(writes(kube)).toEqual(['create TrafficRoute podinfo.test', 'create MeshHTTPRoute podinfo', 'delete MeshHTTPRoute podinfo']);
  });

  it.each([
    ['A/B testing', AB, 'analysis.match (A/B testing)'],
    ['mirroring', { iterations: 2, mirror: true }, 'analysis.mirror'],
  ])('given %s and no MeshHTTPRoute served, then the TrafficRoute path refuses it and writes nothing', async (_t, analysis, need) => {
    const kube = withoutMeshHttpRoute(new FakeKube());
    const c = canaryOf({}, analysis);
    const err = await new KumaRouter(routerDepsOf(kube)).reconcile(c, TARGET, strategyFor(c), signal()).catch((e: unknown) => e);
    expect(err).toEqual(
      new TargetError(
        'TargetInvalid',
        `${need} needs a Kuma MeshHTTPRoute (kuma.io/v1alpha1 meshhttproutes), which this cluster does not serve; a TrafficRoute only splits by weight`,
      ),
    );
    expect(kube.writes).toEqual([]);
  });
});
