import type { KubeObject } from '../../src/api/types.js';
import { Resources, type ResourceType } from '../../src/kube/resources.js';
import { routesFor, type Routes } from '../../src/meshes/router.js';
import { quantityValue, routesOfTrafficSplit, SmiRouter, trafficSplitSpec, type SmiVersion } from '../../src/meshes/smi/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, copy, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admittingClient, admitSpec } from '../fakes/upstream-crds.js';

type TS = KubeObject & { spec: Record<string, unknown> };

const RESOURCE: Record<SmiVersion, ResourceType> = {
  v1alpha1: Resources.trafficSplitsV1alpha1,
  v1alpha2: Resources.trafficSplitsV1alpha2,
  v1alpha3: Resources.trafficSplitsV1alpha3,
  v1alpha4: Resources.trafficSplitsV1alpha4,
};
const VERSIONS: SmiVersion[] = ['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1alpha4'];

describe('trafficSplitSpec', () => {
  it('given v1alpha1 at 10%, then the weights are quantities in thousandths: 900m and 100m', () => {
    expect(trafficSplitSpec(canaryOf(), routesFor(10), 'v1alpha1')).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: '900m' },
        { service: 'podinfo-canary', weight: '100m' },
      ],
    });
  });

  it('given v1alpha1 with no canary traffic, then the weights are 1000m and 0m', () => {
    expect(trafficSplitSpec(canaryOf(), routesFor(0), 'v1alpha1')).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: '1000m' },
        { service: 'podinfo-canary', weight: '0m' },
      ],
    });
  });

  it.each<SmiVersion>(['v1alpha2', 'v1alpha3', 'v1alpha4'])('given %s at 10%%, then the weights are the integers 90 and 10', (version) => {
    expect(trafficSplitSpec(canaryOf(), routesFor(10), version)).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: 90 },
        { service: 'podinfo-canary', weight: 10 },
      ],
    });
  });

  it('given v1alpha4 at 35%, then the weights are 65 and 35', () => {
    expect(trafficSplitSpec(canaryOf(), routesFor(35), 'v1alpha4')).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: 65 },
        { service: 'podinfo-canary', weight: 35 },
      ],
    });
  });

  it('given service.hosts, then the root service is the first host (as Flagger does) and the backends stay the generated Services', () => {
    const c = canaryOf({ hosts: ['podinfo.test.svc.cluster.local', 'other.example.com'] });
    expect(trafficSplitSpec(c, routesFor(20), 'v1alpha2')).toEqual({
      service: 'podinfo.test.svc.cluster.local',
      backends: [
        { service: 'podinfo-primary', weight: 80 },
        { service: 'podinfo-canary', weight: 20 },
      ],
    });
  });

  it('given an empty hosts list, then the root service is the apex', () => {
    expect(trafficSplitSpec(canaryOf({ hosts: [] }), routesFor(0), 'v1alpha2').service).toBe('podinfo');
  });

  it('given service.name, then the root and backends are named after it rather than the target', () => {
    expect(trafficSplitSpec(canaryOf({ name: 'frontend' }), routesFor(50), 'v1alpha1')).toEqual({
      service: 'frontend',
      backends: [
        { service: 'frontend-primary', weight: '500m' },
        { service: 'frontend-canary', weight: '500m' },
      ],
    });
  });

  it.each(VERSIONS)('given %s, then the upstream TrafficSplit schema accepts the spec and prunes nothing', (version) => {
    for (const w of [0, 10, 55, 100]) {
      expect(admitSpec(RESOURCE[version], trafficSplitSpec(canaryOf({ hosts: ['podinfo.test'] }), routesFor(w), version))).toMatchObject({
        errors: [],
        pruned: [],
      });
    }
  });

  it('given a v1alpha1 quantity written to v1alpha2 (weight: number), then the upstream schema refuses it (the versions must not be mixed)', () => {
    expect(admitSpec(Resources.trafficSplitsV1alpha2, trafficSplitSpec(canaryOf(), routesFor(10), 'v1alpha1')).errors).toEqual([
      '.spec.backends[0].weight: "900m" is not of type number',
      '.spec.backends[1].weight: "100m" is not of type number',
    ]);
  });
});

describe('quantityValue', () => {
  it.each<[unknown, number]>([
    ['500m', 0.5],
    ['900m', 0.9],
    ['1000m', 1],
    ['0m', 0],
    ['1', 1],
    ['0.5', 0.5],
    ['100', 100],
    [' 250m ', 0.25],
    [90, 90],
    [0, 0],
    [0.25, 0.25],
  ])('given %j, then it is %d', (q, n) => {
    expect(quantityValue(q)).toBe(n);
  });

  it.each<[string, unknown]>([
    ['a word', 'abc'],
    ['an empty string', ''],
    ['a negative quantity', '-1'],
    ['an unknown suffix', '5x'],
    ['a unit before the number', 'm5'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { value: 1 }],
    ['a boolean', true],
  ])('given garbage (%s), then it is 0', (_title, q) => {
    expect(quantityValue(q)).toBe(0);
  });

  it.each<[unknown]>([['1.2.3'], ['.'], ['..m']])('given malformed digits %j, then it is 0 (not NaN)', (q) => {
    expect(quantityValue(q)).toBe(0);
  });
});

describe('routesOfTrafficSplit', () => {
  it.each(VERSIONS.flatMap((v) => [0, 10, 25, 33, 50, 90, 100].map((w) => [v, w] as const)))(
    'given the %s spec written for %d%%, then the same routes are read back',
    (version, w) => {
      expect(routesOfTrafficSplit(canaryOf(), copy(trafficSplitSpec(canaryOf(), routesFor(w), version)))).toEqual(routesFor(w));
    },
  );

  it.each<[string, unknown, unknown, Routes]>([
    ['"1" and "1" (whole units)', '1', '1', { primaryWeight: 50, canaryWeight: 50, mirrored: false }],
    ['"3" and "1"', '3', '1', { primaryWeight: 75, canaryWeight: 25, mirrored: false }],
    ['"750m" and "250m"', '750m', '250m', { primaryWeight: 75, canaryWeight: 25, mirrored: false }],
    ['"1" and "500m" (mixed units)', '1', '500m', { primaryWeight: 67, canaryWeight: 33, mirrored: false }],
    ['"0.5" and "0.5"', '0.5', '0.5', { primaryWeight: 50, canaryWeight: 50, mirrored: false }],
    ['the integers 900 and 100 (per mille)', 900, 100, { primaryWeight: 90, canaryWeight: 10, mirrored: false }],
    ['the integers 2 and 1', 2, 1, { primaryWeight: 67, canaryWeight: 33, mirrored: false }],
    ['0 and 0', 0, 0, { primaryWeight: 100, canaryWeight: 0, mirrored: false }],
    ['"0m" and "1"', '0m', '1', { primaryWeight: 0, canaryWeight: 100, mirrored: false }],
    ['garbage and "1"', 'lots', '1', { primaryWeight: 0, canaryWeight: 100, mirrored: false }],
  ])('given weights written by someone else as %s, then they are read as percentages', (_title, primary, canary, routes) => {
    const spec = {
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: primary },
        { service: 'podinfo-canary', weight: canary },
      ],
    };
    expect(routesOfTrafficSplit(canaryOf(), spec)).toEqual(routes);
  });

  it('given the backends in the other order and a third backend, then primary and canary are found by name', () => {
    const spec = {
      service: 'podinfo',
      backends: [
        { service: 'other', weight: 50 },
        { service: 'podinfo-canary', weight: 30 },
        { service: 'podinfo-primary', weight: 70 },
      ],
    };
    expect(routesOfTrafficSplit(canaryOf(), spec)).toEqual({ primaryWeight: 70, canaryWeight: 30, mirrored: false });
  });

  it.each<[string, Record<string, unknown> | undefined]>([
    ['no spec', undefined],
    ['no backends', { service: 'podinfo' }],
    ['only the primary', { service: 'podinfo', backends: [{ service: 'podinfo-primary', weight: 100 }] }],
    ['only the canary', { service: 'podinfo', backends: [{ service: 'podinfo-canary', weight: 100 }] }],
    [
      'backends of another Canary',
      {
        service: 'frontend',
        backends: [
          { service: 'frontend-primary', weight: 50 },
          { service: 'frontend-canary', weight: 50 },
        ],
      },
    ],
  ])('given %s, then there are no routes', (_title, spec) => {
    expect(routesOfTrafficSplit(canaryOf(), spec)).toBeUndefined();
  });
});

describe('SmiRouter through the API', () => {
  it.each(VERSIONS)(
    'given %s and no TrafficSplit, when routes are set, then one TrafficSplit <apex> of that version is created, owned by the Canary',
    async (version) => {
      const kube = new FakeKube();
      const router = new SmiRouter(`smi:${version}`, version, routerDepsOf(kube));
      await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
      expect(kube.writes).toEqual([{ verb: 'create', kind: 'TrafficSplit', name: 'podinfo' }]);
      const ts = kube.get<TS>(RESOURCE[version], 'test', 'podinfo')!;
      expect(ts.apiVersion).toBe(`split.smi-spec.io/${version}`);
      expect(ts.metadata.ownerReferences).toEqual([OWNER]);
      expect(ts.spec).toEqual(trafficSplitSpec(canaryOf(), routesFor(10), version));
      for (const other of VERSIONS.filter((v) => v !== version)) expect(kube.get(RESOURCE[other], 'test', 'podinfo')).toBeUndefined();
      expect(await router.getRoutes(canaryOf())).toEqual(routesFor(10));
    },
  );

  it('given v1alpha1, then the stored TrafficSplit carries the quantities 750m and 250m at 25%', async () => {
    const kube = new FakeKube();
    await new SmiRouter('smi:v1alpha1', 'v1alpha1', routerDepsOf(kube)).setRoutes(
      canaryOf(),
      TARGET,
      routesFor(25),
      strategyFor(canaryOf()),
      signal(),
    );
    expect(kube.get<TS>(Resources.trafficSplitsV1alpha1, 'test', 'podinfo')!.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-primary', weight: '750m' },
        { service: 'podinfo-canary', weight: '250m' },
      ],
    });
  });

  it('given the TrafficSplit already carries the routes, when they are set again, then nothing is written; a new split is one update', async () => {
    const kube = new FakeKube();
    const router = new SmiRouter('smi:v1alpha2', 'v1alpha2', routerDepsOf(kube));
    await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
    await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
    expect(kube.writes).toHaveLength(1);
    await router.setRoutes(canaryOf(), TARGET, routesFor(40), strategyFor(canaryOf()), signal());
    expect(kube.writes.map((w) => w.verb)).toEqual(['create', 'update']);
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(40));
  });

  it('given no TrafficSplit, then getRoutes is undefined and reconcile creates one with all traffic on the primary', async () => {
    const kube = new FakeKube();
    const router = new SmiRouter('smi:v1alpha4', 'v1alpha4', routerDepsOf(kube));
    expect(await router.getRoutes(canaryOf())).toBeUndefined();
    await router.reconcile(canaryOf(), TARGET, strategyFor(canaryOf()), signal());
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(0));
  });

  it('given live weights of a running analysis, when reconciled, then the weights are kept', async () => {
    const kube = new FakeKube();
    const router = new SmiRouter('smi:v1alpha2', 'v1alpha2', routerDepsOf(kube));
    await router.setRoutes(canaryOf(), TARGET, routesFor(30), strategyFor(canaryOf()), signal());
    await router.reconcile(canaryOf(), TARGET, strategyFor(canaryOf()), signal());
    expect(await router.getRoutes(canaryOf())).toEqual(routesFor(30));
    expect(kube.writes).toHaveLength(1);
  });

  it('given apex labels and annotations, then the TrafficSplit carries them', async () => {
    const kube = new FakeKube();
    const c = canaryOf({ apex: { labels: { tier: 'web' }, annotations: { 'example.com/note': 'x' } } });
    await new SmiRouter('osm', 'v1alpha2', routerDepsOf(kube)).setRoutes(c, TARGET, routesFor(0), strategyFor(c), signal());
    const ts = kube.get<TS>(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')!;
    expect(ts.metadata.labels).toEqual({ tier: 'web', 'tollgate.dev/canary': 'podinfo' });
    expect(ts.metadata.annotations).toMatchObject({ 'example.com/note': 'x' });
  });

  it('given a TrafficSplit the Canary owns, when finalized (revertOnDeletion), then it is deleted; without one, finalize writes nothing', async () => {
    const kube = new FakeKube();
    const router = new SmiRouter('smi:v1alpha2', 'v1alpha2', routerDepsOf(kube));
    await router.finalize(canaryOf(), signal());
    expect(kube.writes).toEqual([]);
    await router.setRoutes(canaryOf(), TARGET, routesFor(60), strategyFor(canaryOf()), signal());
    await router.finalize(canaryOf(), signal());
    expect(kube.writes.map((w) => w.verb)).toEqual(['create', 'delete']);
    expect(kube.get(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')).toBeUndefined();
    expect(await router.getRoutes(canaryOf())).toBeUndefined();
  });

  it('given a TrafficSplit of the same name owned by someone else, when finalized, then it is not deleted', async () => {
    const kube = new FakeKube();
    kube.put(Resources.trafficSplitsV1alpha2, {
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: { service: 'podinfo', backends: [] },
    });
    await new SmiRouter('smi:v1alpha2', 'v1alpha2', routerDepsOf(kube)).finalize(canaryOf(), signal());
    expect(kube.writes).toEqual([]);
    expect(kube.get(Resources.trafficSplitsV1alpha2, 'test', 'podinfo')).toBeDefined();
  });

  it.each(VERSIONS)(
    'given an API server with the upstream %s schema, then the TrafficSplit is accepted and an idle second write is skipped',
    async (version) => {
      const kube = new FakeKube();
      const router = new SmiRouter(`smi:${version}`, version, routerDepsOf(kube, admittingClient(kube.client())));
      await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
      await router.setRoutes(canaryOf(), TARGET, routesFor(10), strategyFor(canaryOf()), signal());
      expect(kube.writes).toEqual([{ verb: 'create', kind: 'TrafficSplit', name: 'podinfo' }]);
    },
  );
});
