import type { KubeObject } from '../../src/api/types.js';
import { ownedBy } from '../../src/kube/ensure.js';
import { Resources } from '../../src/kube/resources.js';
import { ApisixRouter } from '../../src/meshes/apisix/router.js';
import { cloneSpec, routesOfApisixRoute, validateForApisix } from '../../src/meshes/apisix/spec.js';
import { routesFor } from '../../src/meshes/router.js';
import { TargetError } from '../../src/targets/target.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type Obj = KubeObject & { spec: Record<string, unknown> };

const ROUTE_REF = { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: 'podinfo' };
/** The user's route of Flagger's apisix e2e: one rule to the apex Service, plus one to another Service. */
const userSpec = () => ({
  ingressClassName: 'apisix',
  http: [
    {
      name: 'method',
      match: { hosts: ['app.example.com'], paths: ['/*'], methods: ['GET'] },
      backends: [{ serviceName: 'podinfo', servicePort: 80, resolveGranularity: 'service' }],
      plugins: [{ name: 'prometheus', enable: true, config: { disable: false, prefer_name: true } }],
    },
    { name: 'other', match: { paths: ['/other/*'] }, backends: [{ serviceName: 'other', servicePort: 80 }] },
  ],
});
const userRoute = (): Obj => ({
  apiVersion: 'apisix.apache.org/v2',
  kind: 'ApisixRoute',
  metadata: {
    name: 'podinfo',
    namespace: 'test',
    labels: { app: 'podinfo' },
    annotations: { note: 'mine', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
  },
  spec: userSpec(),
});
const canary = () => canaryOf({ port: 80, targetPort: 9898 }, { stepWeight: 10 }, { provider: 'apisix', routeRef: ROUTE_REF });
const backend = (serviceName: string, weight: number) => ({ serviceName, servicePort: 80, resolveGranularity: 'service', weight });

describe('cloneSpec', () => {
  it.each([0, 10, 100])(
    'given canary weight %p, then the rule sending to the apex alone is cloned at priority 10000 with primary and canary weighted',
    (w) => {
      const spec = cloneSpec(userSpec(), canary(), routesFor(w));
      const { backends: _b, ...rule } = userSpec().http[0]!;
      expect(spec).toEqual({
        ingressClassName: 'apisix',
        http: [{ ...rule, priority: 10000, backends: [backend('podinfo-primary', 100 - w), backend('podinfo-canary', w)] }],
      });
      expect(admitSpec(Resources.apisixRoutes, spec)).toMatchObject({ errors: [], pruned: [] });
    },
  );

  it('given no rule whose only backend is the apex Service, then there is no clone', () => {
    const two = {
      http: [
        {
          name: 'x',
          backends: [
            { serviceName: 'podinfo', servicePort: 80 },
            { serviceName: 'b', servicePort: 80 },
          ],
        },
      ],
    };
    expect(cloneSpec(two, canary(), routesFor(0))).toBeUndefined();
    expect(cloneSpec(undefined, canary(), routesFor(0))).toBeUndefined();
  });
});

describe('routesOfApisixRoute', () => {
  it.each<[string, Record<string, unknown> | undefined, ReturnType<typeof routesFor> | undefined]>([
    ['no object', undefined, undefined],
    ['the user route (apex only)', userSpec(), undefined],
    ['90/10', { http: [{ name: 'r', backends: [backend('podinfo-primary', 90), backend('podinfo-canary', 10)] }] }, routesFor(10)],
    [
      'no weights (APISIX: 100 each)',
      { http: [{ name: 'r', backends: [{ serviceName: 'podinfo-primary' }, { serviceName: 'podinfo-canary' }] }] },
      routesFor(50),
    ],
  ])('given %s, then the routes read back are as APISIX splits', (_t, spec, routes) => {
    expect(routesOfApisixRoute(canary(), spec)).toEqual(routes);
  });
});

describe('validateForApisix', () => {
  it('given the Flagger apisix e2e Canary, then there is nothing to report; without routeRef, an error', () => {
    expect(validateForApisix(canary())).toEqual({ errors: [], notices: [] });
    expect(validateForApisix(canaryOf()).errors).toEqual([
      'provider apisix needs spec.routeRef: the ApisixRoute to clone as <route>-<apex>-canary',
    ]);
  });

  it('given routing fields of the ApisixRoute, then one notice names them', () => {
    const c = canaryOf({ timeout: '5s', hosts: ['a.example.com'] }, {}, { routeRef: ROUTE_REF });
    expect(validateForApisix(c).notices).toEqual([
      'service.hosts, service.timeout not applied by apisix: the ApisixRoute named in spec.routeRef carries the routing',
    ]);
  });
});

describe('ApisixRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it("given the user's route, then the clone <route>-<apex>-canary is owned, keeps its labels and annotations, carries the split; finalize deletes it", async () => {
    const kube = new FakeKube();
    kube.put(Resources.apisixRoutes, userRoute());
    const router = new ApisixRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const c = canary();
    expect(router.provider).toBe('apisix');
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create ApisixRoute podinfo-podinfo-canary', 'update ApisixRoute podinfo-podinfo-canary']);
    const clone = kube.get<Obj>(Resources.apisixRoutes, 'test', 'podinfo-podinfo-canary')!;
    expect(clone.metadata.ownerReferences).toEqual([OWNER]);
    expect(clone.metadata.labels).toEqual({ app: 'podinfo', 'tollgate.dev/canary': 'podinfo' });
    expect(clone.metadata.annotations).toMatchObject({ note: 'mine' });
    expect(clone.metadata.annotations).not.toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
    expect(kube.get<Obj>(Resources.apisixRoutes, 'test', 'podinfo')!.spec).toEqual(userSpec());
    // A label and an annotation the user removes from their route go from the clone too.
    kube.put(Resources.apisixRoutes, { ...userRoute(), metadata: { ...userRoute().metadata, labels: {}, annotations: {} } });
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    const after = kube.get<Obj>(Resources.apisixRoutes, 'test', 'podinfo-podinfo-canary')!;
    expect(after.metadata.labels).toEqual({ 'tollgate.dev/canary': 'podinfo' });
    expect(after.metadata.annotations).not.toHaveProperty('note');
    await router.finalize(c, signal());
    expect(kinds(kube).slice(2)).toEqual(['update ApisixRoute podinfo-podinfo-canary', 'delete ApisixRoute podinfo-podinfo-canary']);
  });

  it('given a missing route, or one with no rule to the apex alone, then the Canary is stalled (TargetInvalid) naming it', async () => {
    const kube = new FakeKube();
    const router = new ApisixRouter(routerDepsOf(kube));
    const c = canary();
    const err = (): Promise<unknown> => router.reconcile(c, TARGET, strategyFor(c), signal()).catch((e: unknown) => e);
    expect(await err()).toEqual(new TargetError('TargetInvalid', 'ApisixRoute test/podinfo (spec.routeRef) not found'));
    kube.put(Resources.apisixRoutes, { ...userRoute(), spec: { http: [userSpec().http[1]] } });
    expect(await err()).toMatchObject({
      reason: 'TargetInvalid',
      message: expect.stringContaining('has no http rule whose only backend is Service podinfo'),
    });
    expect(kube.writes).toEqual([]);
  });

  it('given a clone of the same name the Canary does not own, then it is adopted and finalize gives its spec back', async () => {
    const kube = new FakeKube();
    kube.put(Resources.apisixRoutes, userRoute());
    const original = { http: [{ name: 'old', backends: [{ serviceName: 'podinfo', servicePort: 80 }] }] };
    kube.put(Resources.apisixRoutes, { ...userRoute(), metadata: { name: 'podinfo-podinfo-canary', namespace: 'test' }, spec: original });
    const router = new ApisixRouter(routerDepsOf(kube));
    const c = canary();
    await router.setRoutes(c, TARGET, routesFor(50), strategyFor(c), signal());
    expect(ownedBy(kube.get<Obj>(Resources.apisixRoutes, 'test', 'podinfo-podinfo-canary')!, c)).toBe(false);
    expect(await router.getRoutes(c)).toEqual(routesFor(50));
    await router.finalize(c, signal());
    expect(kube.get<Obj>(Resources.apisixRoutes, 'test', 'podinfo-podinfo-canary')!.spec).toEqual(original);
  });
});
