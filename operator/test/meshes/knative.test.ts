import type { Canary, CanaryStatus } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { KnativeRouter } from '../../src/meshes/knative/router.js';
import { routesOfTraffic, trafficFor } from '../../src/meshes/knative/traffic.js';
import { routesFor } from '../../src/meshes/router.js';
import type { KnativeService, KnativeTrafficTarget } from '../../src/targets/knative.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

const template = { spec: { containers: [{ image: 'ghcr.io/stefanprodan/podinfo:6.0.1' }] } };

describe('trafficFor', () => {
  it.each([0, 25, 100])(
    'given canary weight %p, then the primary Revision gets the rest and the canary Revision the weight, both named',
    (w) => {
      const traffic = trafficFor('podinfo-00001', 'podinfo-00002', routesFor(w));
      expect(traffic).toEqual([
        { revisionName: 'podinfo-00001', percent: 100 - w },
        { revisionName: 'podinfo-00002', percent: w },
      ]);
      expect(admitSpec(Resources.knativeServices, { template, traffic })).toMatchObject({ errors: [], pruned: [] });
    },
  );
});

describe('routesOfTraffic', () => {
  it.each<[string, KnativeTrafficTarget[] | undefined, ReturnType<typeof routesFor> | undefined]>([
    ['no traffic block', undefined, undefined],
    ["Knative's default block", [{ latestRevision: true, percent: 100 }], undefined],
    ['the block written at 30', trafficFor('a', 'b', routesFor(30)), routesFor(30)],
    [
      'canary first, then primary',
      [
        { revisionName: 'b', percent: 40 },
        { revisionName: 'a', percent: 60 },
      ],
      routesFor(40),
    ],
    [
      "Flagger's block (latestRevision for the canary)",
      [
        { latestRevision: true, percent: 20 },
        { revisionName: 'a', percent: 80 },
      ],
      routesFor(20),
    ],
    ['no canary entry', [{ revisionName: 'a', percent: 100 }], undefined],
    ['no primary entry', [{ revisionName: 'b', percent: 100 }], undefined],
  ])('given %s between primary a and canary b, then the split read back', (_t, traffic, routes) => {
    expect(routesOfTraffic(traffic, 'a', 'b')).toEqual(routes);
  });

  it('given both entries on the same Revision (promotion), then the split reads back as written', () => {
    expect(routesOfTraffic(trafficFor('b', 'b', routesFor(50)), 'b', 'b')).toEqual(routesFor(50));
    expect(routesOfTraffic(trafficFor('b', 'b', routesFor(0)), 'b', 'b')).toEqual(routesFor(0));
  });
});

const KNATIVE_TARGET = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' };
const knativeCanary = (status: CanaryStatus): Canary => ({
  ...canaryOf({}, { stepWeight: 25 }, { provider: 'knative', targetRef: KNATIVE_TARGET, service: undefined }),
  status,
});

const ksvc = (traffic?: KnativeTrafficTarget[]): KnativeService => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: { template, ...(traffic ? { traffic } : {}) },
  status: { latestCreatedRevisionName: 'podinfo-00002', latestReadyRevisionName: 'podinfo-00002' },
});

describe('KnativeRouter through the API', () => {
  const setup = (traffic?: KnativeTrafficTarget[]) => {
    const kube = new FakeKube();
    kube.put(Resources.knativeServices, ksvc(traffic));
    return { kube, router: new KnativeRouter(routerDepsOf(kube, admittingClient(kube.client()))) };
  };
  const trafficOf = (kube: FakeKube) => kube.get<KnativeService>(Resources.knativeServices, 'test', 'podinfo')!.spec?.traffic;
  const running: CanaryStatus = { phase: 'Progressing', lastPromotedSpec: 'podinfo-00001', lastAppliedSpec: 'podinfo-00002' };

  it("given a run of the latest Revision, then the Service's spec.traffic splits between the promoted and the latest Revision, written once", async () => {
    const { kube, router } = setup();
    const c = knativeCanary(running);
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.setRoutes(c, TARGET, routesFor(25), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(25), strategyFor(c), signal());
    expect(kube.writes).toEqual([{ verb: 'update', kind: 'Service', name: 'podinfo' }]);
    expect(trafficOf(kube)).toEqual([
      { revisionName: 'podinfo-00001', percent: 75 },
      { revisionName: 'podinfo-00002', percent: 25 },
    ]);
    expect(await router.getRoutes(c)).toEqual(routesFor(25));
    expect(kube.get<KnativeService>(Resources.knativeServices, 'test', 'podinfo')!.spec?.template).toEqual(template);
  });

  it("given live traffic carrying Knative's webhook defaults (latestRevision: false), then the same split writes nothing", async () => {
    const defaulted = trafficFor('podinfo-00001', 'podinfo-00002', routesFor(25)).map((t) => ({ ...t, latestRevision: false }));
    const { kube, router } = setup(defaulted);
    const c = knativeCanary(running);
    await router.setRoutes(c, TARGET, routesFor(25), strategyFor(c), signal());
    expect(kube.writes).toEqual([]);
    await router.setRoutes(c, TARGET, routesFor(50), strategyFor(c), signal());
    expect(kube.writes).toEqual([{ verb: 'update', kind: 'Service', name: 'podinfo' }]);
  });

  it('given the run is promoting, then the analysed Revision is the primary: all traffic on it, the split kept', async () => {
    const { kube, router } = setup(trafficFor('podinfo-00001', 'podinfo-00002', routesFor(50)));
    const c = knativeCanary({ ...running, phase: 'Promoting', canaryWeight: 50 });
    await router.setRoutes(c, TARGET, routesFor(50), strategyFor(c), signal());
    expect(trafficOf(kube)).toEqual([
      { revisionName: 'podinfo-00002', percent: 50 },
      { revisionName: 'podinfo-00002', percent: 50 },
    ]);
    expect(await router.getRoutes(c)).toEqual(routesFor(50));
  });

  it('given a failed run, then all traffic is back on the promoted Revision', async () => {
    const { kube, router } = setup(trafficFor('podinfo-00001', 'podinfo-00002', routesFor(25)));
    const c = knativeCanary({ ...running, phase: 'Failed', canaryWeight: 0 });
    await router.setRoutes(c, TARGET, routesFor(0), strategyFor(c), signal());
    expect(trafficOf(kube)).toEqual([
      { revisionName: 'podinfo-00001', percent: 100 },
      { revisionName: 'podinfo-00002', percent: 0 },
    ]);
  });

  it('given initialization (no status yet), then reconcile sends all traffic to the latest Revision; finalize gives Knative its default block back', async () => {
    const { kube, router } = setup();
    const c = knativeCanary({});
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(trafficOf(kube)).toEqual([
      { revisionName: 'podinfo-00002', percent: 100 },
      { revisionName: 'podinfo-00002', percent: 0 },
    ]);
    await router.finalize(c, signal());
    expect(trafficOf(kube)).toEqual([{ latestRevision: true, percent: 100 }]);
  });

  it('given live weights, then reconcile keeps them', async () => {
    const { kube, router } = setup(trafficFor('podinfo-00001', 'podinfo-00002', routesFor(25)));
    await router.reconcile(knativeCanary(running), TARGET, strategyFor(knativeCanary(running)), signal());
    expect(kube.writes).toEqual([]);
  });

  it('given no Knative Service, then no routes and no write', async () => {
    const kube = new FakeKube();
    const router = new KnativeRouter(routerDepsOf(kube));
    const c = knativeCanary(running);
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.setRoutes(c, TARGET, routesFor(25), strategyFor(c), signal());
    await router.finalize(c, signal());
    expect(kube.writes).toEqual([]);
  });

  it('given routing fields, then a notice names them; nothing else is refused', () => {
    const c = knativeCanary(running);
    c.spec.service = { port: 80, timeout: '5s', retries: { attempts: 3 } };
    expect(new KnativeRouter(routerDepsOf(new FakeKube())).validate(c)).toEqual({
      errors: [],
      notices: [
        "service.retries, service.timeout not applied by knative: the Knative Service's spec.traffic carries the split, its own route the rest",
      ],
    });
  });
});
