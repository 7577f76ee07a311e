import type { KubeObject } from '../../src/api/types.js';
import { ownedBy } from '../../src/kube/ensure.js';
import { Resources } from '../../src/kube/resources.js';
import { routesFor } from '../../src/meshes/router.js';
import { TraefikRouter } from '../../src/meshes/traefik/router.js';
import { routesOfTraefikService, traefikServiceSpec, validateForTraefik } from '../../src/meshes/traefik/spec.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type Obj = KubeObject & { spec: Record<string, unknown> };

const entry = (name: string, weight: number) => ({ name, namespace: 'test', port: 9898, weight });

describe('traefikServiceSpec', () => {
  it.each<[number, unknown[]]>([
    [0, [entry('podinfo-primary', 100)]],
    [25, [entry('podinfo-primary', 75), entry('podinfo-canary', 25)]],
    [100, [entry('podinfo-primary', 0), entry('podinfo-canary', 100)]],
  ])('given canary weight %p, then the weighted services carry it (the canary left out at 0, as Flagger writes it)', (w, services) => {
    const spec = traefikServiceSpec(canaryOf(), routesFor(w));
    expect(spec).toEqual({ weighted: { services } });
    expect(admitSpec(Resources.traefikServices, spec)).toMatchObject({ errors: [], pruned: [] });
  });
});

describe('routesOfTraefikService', () => {
  it.each<[string, Record<string, unknown> | undefined, ReturnType<typeof routesFor> | undefined]>([
    ['no object', undefined, undefined],
    ['no primary entry', { weighted: { services: [entry('other', 1)] } }, undefined],
    ['the primary alone', { weighted: { services: [entry('podinfo-primary', 100)] } }, routesFor(0)],
    ['60/40', { weighted: { services: [entry('podinfo-primary', 60), entry('podinfo-canary', 40)] } }, routesFor(40)],
    ['relative weights 1/3', { weighted: { services: [entry('podinfo-primary', 1), entry('podinfo-canary', 3)] } }, routesFor(75)],
    ['no weights (Traefik: 1 each)', { weighted: { services: [{ name: 'podinfo-primary' }, { name: 'podinfo-canary' }] } }, routesFor(50)],
  ])('given %s, then the routes read back are as Traefik splits', (_t, spec, routes) => {
    expect(routesOfTraefikService(canaryOf(), spec)).toEqual(routes);
  });
});

describe('validateForTraefik', () => {
  it('given the Flagger traefik e2e Canary (port, targetPort, apex metadata), then there is nothing to report', () => {
    expect(validateForTraefik(canaryOf({ targetPort: 9898, apex: { labels: { test: 'test-label' } } }))).toEqual({
      errors: [],
      notices: [],
    });
  });

  it('given routing fields of the IngressRoute, then one notice names them', () => {
    expect(validateForTraefik(canaryOf({ timeout: '5s', retries: { attempts: 2 }, hosts: ['app.example.com'] }))).toEqual({
      errors: [],
      notices: [
        'service.hosts, service.retries, service.timeout not applied by traefik: the TraefikService podinfo only weighs the Services; set them on the IngressRoute that routes to it',
      ],
    });
  });
});

describe('TraefikRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given routes, then a TraefikService traefik.io/v1alpha1 <apex> owned by the Canary carries them; idle writes are skipped; finalize deletes it', async () => {
    const kube = new FakeKube();
    const router = new TraefikRouter(routerDepsOf(kube, admittingClient(kube.client())));
    expect(router.provider).toBe('traefik');
    const c = canaryOf({ apex: { labels: { test: 'test-label' }, annotations: { test: 'test-annotation' } } });
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create TraefikService podinfo', 'update TraefikService podinfo']);
    const ts = kube.get<Obj>(Resources.traefikServices, 'test', 'podinfo')!;
    expect(ts.apiVersion).toBe('traefik.io/v1alpha1');
    expect(ts.metadata.ownerReferences).toEqual([OWNER]);
    expect(ts.metadata.labels).toEqual({ test: 'test-label', 'tollgate.dev/canary': 'podinfo' });
    expect(ts.metadata.annotations).toMatchObject({ test: 'test-annotation' });
    expect(ts.spec).toEqual({ weighted: { services: [entry('podinfo-primary', 90), entry('podinfo-canary', 10)] } });
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
    await router.finalize(c, signal());
    expect(kinds(kube)).toEqual(['create TraefikService podinfo', 'update TraefikService podinfo', 'delete TraefikService podinfo']);
    expect(await router.getRoutes(c)).toBeUndefined();
  });

  it('given a TraefikService of the same name the Canary does not own, then it is adopted and finalize gives its original spec back', async () => {
    const kube = new FakeKube();
    const original = { weighted: { services: [{ name: 'podinfo', port: 9898 }] } };
    kube.put(Resources.traefikServices, {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'TraefikService',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: original,
    });
    const router = new TraefikRouter(routerDepsOf(kube));
    const c = canaryOf();
    await router.setRoutes(c, TARGET, routesFor(50), strategyFor(c), signal());
    expect(ownedBy(kube.get<Obj>(Resources.traefikServices, 'test', 'podinfo')!, c)).toBe(false);
    expect(await router.getRoutes(c)).toEqual(routesFor(50));
    await router.finalize(c, signal());
    expect(kube.get<Obj>(Resources.traefikServices, 'test', 'podinfo')!.spec).toEqual(original);
    expect(kinds(kube)).toEqual(['update TraefikService podinfo', 'update TraefikService podinfo']);
  });
});
