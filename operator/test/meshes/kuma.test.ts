import type { KubeObject } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { KumaRouter } from '../../src/meshes/kuma/router.js';
import { routesOfTrafficRoute, trafficRouteSpec, validateForKuma } from '../../src/meshes/kuma/spec.js';
import { routesFor } from '../../src/meshes/router.js';
import { TargetError } from '../../src/targets/target.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
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
    expect(validateForKuma(canaryOf({ timeout: '5s' }))).toEqual({
      errors: [],
      notices: ["service.timeout not applied by kuma: the TrafficRoute podinfo.test only splits the apex Service's traffic"],
    });
  });
});

describe('KumaRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given a Canary in mesh "prod", then a cluster-scoped TrafficRoute <apex>.<namespace> marked with its owner carries the split; finalize deletes it', async () => {
    const kube = new FakeKube();
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
    const kube = new FakeKube();
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
