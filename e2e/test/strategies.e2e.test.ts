import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { createNamespace, setEnv, TEMPLATE_METRICS } from '../src/harness/fixtures.js';
import { EMISSARY_CRDS, KUMA_CRDS, KUMA_MESH_HTTP_ROUTE_CRDS } from '../src/harness/paths.js';
import { KUMA_MESH_HTTP_ROUTE_READER } from '../src/harness/route-readers.js';
import { waitFor } from '../src/cluster/processes.js';
import { HooksProcess } from '../src/harness/hooks-process.js';
import { client, envInfo, itOnMainPass, RUN_DIR, uniqueNs } from './env.js';
import { getCanary, promQuery, recentRequests, scenario, type Scenario } from './helpers.js';
import type { Deployment } from '@tollgate/operator/api/k8s';

type Json = Record<string, unknown>;
const requests = (ns: string, workload: string, extra = ''): Promise<number | undefined> =>
  promQuery(`sum(istio_requests_total{destination_workload="${workload}", destination_workload_namespace="${ns}"${extra}})`);

/** The user's Mapping of the Emissary cases: the apex Service on every host and path. */
const USER_MAPPING = { hostname: '*', prefix: '/', service: 'podinfo:9898' };

/** The options of an Emissary scenario: its CRD, the MetricTemplates, and the user's Mapping created first. */
const onEmissary = (prefix: string) => ({
  prefix,
  provider: 'emissary',
  crds: [EMISSARY_CRDS],
  templates: true,
  before: async (ns: string, kube: KubeClient): Promise<void> => {
    const user = {
      apiVersion: 'getambassador.io/v3alpha1',
      kind: 'Mapping',
      metadata: { name: 'podinfo', namespace: ns },
      spec: USER_MAPPING,
    };
    await kube.create(Resources.emissaryMappings, user as KubeObject);
  },
});

/** Waits for the router's <mapping>-canary clone and returns its spec. */
async function emissaryClone(sc: Scenario): Promise<Json> {
  const get = () => sc.client.get<KubeObject & { spec: Json }>(Resources.emissaryMappings, sc.ns, 'podinfo-canary').catch(() => undefined);
  await waitFor('the <mapping>-canary clone', async () => Boolean(await get()), 60_000);
  return (await get())!.spec;
}

/** After the release: the clone is deleted and the user's Mapping is as the user wrote it. */
async function emissaryHandedBack(sc: Scenario): Promise<void> {
  const get = (name: string) => sc.client.get<KubeObject & { spec: Json }>(Resources.emissaryMappings, sc.ns, name).catch(() => undefined);
  await waitFor('the clone deleted', async () => (await get('podinfo-canary')) === undefined, 10_000);
  expect((await get('podinfo'))?.spec).toEqual(USER_MAPPING);
}

describe('release strategies', () => {
  let s: Scenario | undefined;

  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('A/B testing on Istio: matched users reach the canary, the others the primary, for the iterations, then promotion', async () => {
    const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
    s = await scenario({
      prefix: 'ab',
      spec: {
        service: {
          port: 9898,
          apex: { annotations: { 'sim.tollgate.dev/headers': '{"x-canary":"insider"}', 'sim.tollgate.dev/header-share': '0.3' } },
        },
      },
      analysis: { interval: '2s', iterations: 3, stepWeight: undefined, maxWeight: undefined, match },
    });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    await waitFor(
      'the A/B run at weight 100',
      async () => s!.timeline.phases.slice(from).some((p) => p.phase === 'Progressing' && p.weight === 100),
      60_000,
      100,
    );
    const vs = await s.client.get<KubeObject & { spec: { http: Json[] } }>(Resources.virtualServices, s.ns, 'podinfo');
    expect(vs.spec.http[0]!.match).toEqual(match);
    expect(vs.spec.http[1]!.route).toEqual([{ destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 100 }]);
    await new Promise((r) => setTimeout(r, 3000));
    const canary = (await recentRequests(s.ns, 'podinfo')) ?? 0;
    const primary = (await recentRequests(s.ns, 'podinfo-primary')) ?? 0;
    expect(canary).toBeGreaterThan(0);
    expect(primary).toBeGreaterThan(canary);
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
    expect(s.timeline.canary?.status?.lastPromotedSpec).toBe(s.timeline.canary?.status?.lastAppliedSpec);
  });

  // Writes the Mappings with the same verbs as the Emissary provider case: not run again in the compatibility pass.
  itOnMainPass('A/B testing on Emissary: a header-matched <mapping>-canary clone takes matched users, then it is deleted', async () => {
    s = await scenario({
      ...onEmissary('ab-emissary'),
      spec: {
        service: {
          port: 9898,
          apex: { annotations: { 'sim.tollgate.dev/headers': '{"x-canary":"insider"}', 'sim.tollgate.dev/header-share': '0.3' } },
        },
      },
      analysis: {
        interval: '2s',
        iterations: 3,
        stepWeight: undefined,
        maxWeight: undefined,
        match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
        metrics: TEMPLATE_METRICS,
      },
    });
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    expect(await emissaryClone(s)).toEqual({ ...USER_MAPPING, service: 'podinfo-canary:9898', headers: { 'x-canary': 'insider' } });
    await new Promise((r) => setTimeout(r, 3000));
    const canary = (await recentRequests(s.ns, 'podinfo')) ?? 0;
    const primary = (await recentRequests(s.ns, 'podinfo-primary')) ?? 0;
    expect(canary).toBeGreaterThan(0);
    expect(primary).toBeGreaterThan(canary);
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
    await emissaryHandedBack(s);
  });

  // Writes the Mappings with the same verbs as the Emissary provider case: not run again in the compatibility pass.
  itOnMainPass(
    'blue/green with mirroring on Emissary: a shadow <mapping>-canary clone copies traffic to the canary while users stay on the primary',
    async () => {
      s = await scenario({
        ...onEmissary('mirror-emissary'),
        analysis: {
          interval: '2s',
          iterations: 3,
          stepWeight: undefined,
          maxWeight: undefined,
          mirror: true,
          mirrorWeight: 50,
          metrics: TEMPLATE_METRICS,
        },
      });
      s.timeline.routeWeights.length = 0;
      const from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
      expect(await emissaryClone(s)).toEqual({ ...USER_MAPPING, service: 'podinfo-canary:9898', shadow: true, weight: 50 });
      await new Promise((r) => setTimeout(r, 3000));
      // The canary gets copies; every user is still answered by the primary.
      expect((await recentRequests(s.ns, 'podinfo')) ?? 0).toBeGreaterThan(0);
      expect((await recentRequests(s.ns, 'podinfo-primary')) ?? 0).toBeGreaterThan(0);
      await s.timeline.waitForPhase('Succeeded', 60_000, from);
      expect(s.timeline.routeWeights.filter((w) => w > 0 && w < 100)).toEqual([]);
      expect(s.timeline.routeWeights).toContain(100);
      await emissaryHandedBack(s);
    },
  );

  // Writes the MeshHTTPRoute with the same verbs as the Kuma provider case: not run again in the compatibility pass.
  itOnMainPass(
    'A/B testing on Kuma (MeshHTTPRoute): the header rule, lower-cased as the CRD requires, sends matched users to the canary, then promotion',
    async () => {
      s = await scenario({
        prefix: 'ab-kuma',
        provider: 'kuma',
        crds: [KUMA_CRDS, KUMA_MESH_HTTP_ROUTE_CRDS],
        reader: KUMA_MESH_HTTP_ROUTE_READER,
        spec: {
          service: {
            port: 9898,
            apex: { annotations: { 'sim.tollgate.dev/headers': '{"x-canary":"insider"}', 'sim.tollgate.dev/header-share': '0.3' } },
          },
        },
        analysis: {
          interval: '2s',
          iterations: 2,
          stepWeight: undefined,
          maxWeight: undefined,
          match: [{ headers: { 'X-Canary': { exact: 'insider' } } }],
        },
      });
      const from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
      await waitFor(
        'the A/B run at weight 100',
        async () => s!.timeline.phases.slice(from).some((p) => p.phase === 'Progressing' && p.weight === 100),
        60_000,
        100,
      );
      const route = await s.client.get<KubeObject & { spec: { to: { rules: Json[] }[] } }>(Resources.kumaMeshHttpRoutes, s.ns, 'podinfo');
      const [abRule, rest] = route.spec.to[0]!.rules;
      expect((abRule!.matches as Json[])[0]!.headers).toEqual([{ name: 'x-canary', type: 'Exact', value: 'insider' }]);
      expect((rest!.default as Json).backendRefs).toEqual([{ kind: 'MeshService', name: 'podinfo-primary', port: 9898, weight: 100 }]);
      await new Promise((r) => setTimeout(r, 3000));
      const canary = (await recentRequests(s.ns, 'podinfo')) ?? 0;
      const primary = (await recentRequests(s.ns, 'podinfo-primary')) ?? 0;
      expect(canary).toBeGreaterThan(0);
      expect(primary).toBeGreaterThan(canary);
      await s.timeline.waitForPhase('Succeeded', 60_000, from);
    },
  );

  it('blue/green with mirroring on Istio: the canary gets a copy of live traffic while users stay on the primary, then an atomic switch', async () => {
    s = await scenario({
      prefix: 'mirror',
      analysis: { interval: '2s', iterations: 3, stepWeight: undefined, maxWeight: undefined, mirror: true, mirrorWeight: 100 },
    });
    s.timeline.routeWeights.length = 0;
    const from = s.timeline.phases.length;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    const deadline = Date.now() + 60_000;
    let mirrored = false;
    while (!mirrored && Date.now() < deadline) {
      const vs = await s.client.get<KubeObject & { spec: { http: Json[] } }>(Resources.virtualServices, s.ns, 'podinfo');
      mirrored = Boolean(vs.spec.http[0]!.mirror);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(mirrored).toBe(true);
    await s.timeline.waitForPhase('Succeeded', 60_000, from);
    expect(await requests(s.ns, 'podinfo')).toBeGreaterThan(0);
    expect(s.timeline.routeWeights.filter((w) => w > 0 && w < 100)).toEqual([]);
    expect(s.timeline.routeWeights).toContain(100);
  });
  itOnMainPass(
    'blue/green with mirroring on Kuma: a RequestMirror filter to the canary while users stay on the primary (no partial weight), then the switch',
    async () => {
      s = await scenario({
        prefix: 'mirror-kuma',
        provider: 'kuma',
        crds: [KUMA_CRDS, KUMA_MESH_HTTP_ROUTE_CRDS],
        reader: KUMA_MESH_HTTP_ROUTE_READER,
        analysis: { interval: '2s', iterations: 2, stepWeight: undefined, maxWeight: undefined, mirror: true, mirrorWeight: 100 },
      });
      s.timeline.routeWeights.length = 0;
      const from = s.timeline.phases.length;
      await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
      const deadline = Date.now() + 60_000;
      let filters: Json[] | undefined;
      while (!filters && Date.now() < deadline) {
        const route = await s.client.get<KubeObject & { spec: { to: { rules: { default: Json }[] }[] } }>(
          Resources.kumaMeshHttpRoutes,
          s.ns,
          'podinfo',
        );
        filters = route.spec.to[0]!.rules[0]!.default.filters as Json[] | undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(filters).toEqual([
        {
          type: 'RequestMirror',
          requestMirror: { backendRef: { kind: 'MeshService', name: 'podinfo-canary', port: 9898, weight: 1 }, percentage: 100 },
        },
      ]);
      await s.timeline.waitForPhase('Succeeded', 60_000, from);
      expect(await requests(s.ns, 'podinfo')).toBeGreaterThan(0);
      expect(s.timeline.routeWeights.filter((w) => w > 0 && w < 100)).toEqual([]);
      expect(s.timeline.routeWeights).toContain(100);
    },
  );
});

describe('blue/green on the kubernetes provider, tested by a load test from the hooks service', () => {
  const token = randomBytes(24).toString('hex');
  let kube: KubeClient;
  let hooks: HooksProcess;
  let s: Scenario | undefined;

  beforeAll(async () => {
    kube = await client();
    const gateNs = uniqueNs('bg-gates');
    await createNamespace(kube, gateNs);
    hooks = new HooksProcess({
      kubeconfig: envInfo().kubeconfig,
      gateNamespace: gateNs,
      token,
      hmacKey: randomBytes(24).toString('hex'),
      logDir: path.join(RUN_DIR, 'logs'),
    });
    await hooks.start();
  });

  afterAll(async () => {
    await s?.stop();
    await hooks?.stop();
    kube.close();
  });

  it('runs the iterations with the canary reachable only through its own Service, then promotes; a bad revision is rolled back', async () => {
    const ns = uniqueNs('bluegreen');
    const cmd = `hey -z 2m -q 10 -c 2 ${envInfo().simUrl}/svc/${ns}/podinfo-canary/`;
    s = await scenario({
      prefix: 'bluegreen',
      ns,
      provider: 'kubernetes',
      userTraffic: false,
      before: async (n, k) => {
        await k.create(Resources.secrets, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'hooks-auth', namespace: n },
          stringData: { Authorization: `Bearer ${token}` },
        } as never);
      },
      analysis: {
        interval: '3s',
        iterations: 3,
        threshold: 2,
        stepWeight: undefined,
        maxWeight: undefined,
        webhooks: [
          { name: 'load', type: 'rollout', url: `${hooks.url}/`, secretRef: { name: 'hooks-auth' }, metadata: { type: 'cmd', cmd } },
        ],
      },
    });
    let from = s.timeline.phases.length;
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v2' });
    await s.timeline.waitForPhase('Succeeded', 90_000, from);
    expect(
      s.timeline.phases
        .slice(from)
        .filter((p) => p.phase === 'Progressing')
        .every((p) => p.weight === 0),
    ).toBe(true);
    expect(await requests(ns, 'podinfo')).toBeGreaterThan(0);
    from = s.timeline.phases.length;
    await setEnv(s.client, ns, 'podinfo', { VERSION: 'v3', ERROR_RATE: '0.7' });
    await s.timeline.waitForPhase('Failed', 90_000, from);
  });
});

describe('replica ratio on the kubernetes provider: the apex Service selects both Deployments, the weight sizes them', () => {
  let s: Scenario | undefined;
  let load: NodeJS.Timeout | undefined;

  let stopSizes: () => void = () => undefined;

  afterAll(async () => {
    clearInterval(load);
    // A failed test leaves its poller running: stop it before the client closes.
    stopSizes();
    await s?.stop();
  });

  type Sizes = { weight: number; effective?: number; canary: number; primary: number };
  /** Replica counts of both Deployments, read from the API server whenever they or the weight change. */
  function watchSizes(kube: KubeClient, ns: string, into: Sizes[]): () => void {
    let stopped = false;
    void (async () => {
      while (!stopped) {
        const [c, p, canary] = await Promise.all([
          kube.get<Deployment>(Resources.deployments, ns, 'podinfo'),
          kube.get<Deployment>(Resources.deployments, ns, 'podinfo-primary'),
          getCanary(kube, ns),
        ]).catch(() => [undefined, undefined, undefined] as const);
        const now = c &&
          p &&
          canary && {
            weight: canary.status?.canaryWeight ?? 0,
            effective: canary.status?.effectiveWeight,
            canary: c.spec.replicas ?? 1,
            primary: p.spec.replicas ?? 1,
          };
        if (now && JSON.stringify(now) !== JSON.stringify(into[into.length - 1])) into.push(now);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    stopSizes = () => {
      stopped = true;
    };
    return stopSizes;
  }

  const restored = (kube: KubeClient, ns: string): Promise<void> =>
    waitFor(
      'the primary back at full size and the canary at zero',
      async () => {
        const [c, p] = await Promise.all(['podinfo', 'podinfo-primary'].map((n) => kube.get<Deployment>(Resources.deployments, ns, n)));
        return c!.spec.replicas === 0 && p!.spec.replicas === 4;
      },
      30_000,
    );

  itOnMainPass(
    'promotes through 25 and 50 with 1/3 then 2/2 pods, traffic through the apex reaching the canary; a bad revision is rolled back to 0/4',
    async () => {
      s = await scenario({
        prefix: 'ratio',
        provider: 'kubernetes',
        userTraffic: false,
        mutateDeployment: (d) => {
          d.spec.replicas = 4;
        },
        analysis: { interval: '3s', threshold: 2, stepWeight: undefined, maxWeight: undefined, stepWeights: [25, 50] },
      });
      const ns = s.ns;
      // Users call the apex Service: 20 requests a second, as the data-plane stand-in sends them.
      load = setInterval(() => void fetch(`${envInfo().simUrl}/svc/${ns}/podinfo/`).catch(() => undefined), 50);
      const apex = await s.client.get<KubeObject & { spec: { selector: Json } }>(Resources.services, ns, 'podinfo');
      expect(apex.spec.selector).toEqual({ app: 'podinfo-primary' });
      const sizes: Sizes[] = [];
      let stop = watchSizes(s.client, ns, sizes);
      let from = s.timeline.phases.length;
      await setEnv(s.client, ns, 'podinfo', { VERSION: 'v2' });
      let pooled = false;
      const deadline = Date.now() + 60_000;
      while (!pooled && Date.now() < deadline) {
        const svc = await s.client.get<KubeObject & { spec: { selector: Json } }>(Resources.services, ns, 'podinfo');
        pooled = JSON.stringify(svc.spec.selector) === JSON.stringify({ 'tollgate.dev/pool': 'podinfo' });
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(pooled).toBe(true);
      await s.timeline.waitForPhase('Succeeded', 120_000, from);
      await restored(s.client, ns);
      await new Promise((r) => setTimeout(r, 400));
      stop();
      const steps = sizes.filter((x) => x.weight > 0).map((x) => `${x.weight}:${x.canary}/${x.primary}`);
      expect(steps).toEqual(expect.arrayContaining(['25:1/3', '50:2/2']));
      expect(steps.indexOf('25:1/3')).toBeLessThan(steps.indexOf('50:2/2'));
      expect(sizes[sizes.length - 1]).toMatchObject({ weight: 0, canary: 0, primary: 4 });
      // status.effectiveWeight: the canary's share of ready pods, next to the requested weight.
      expect(sizes).toContainEqual({ weight: 50, effective: 50, canary: 2, primary: 2 });
      expect(await requests(ns, 'podinfo')).toBeGreaterThan(0);
      const primary = await s.client.get<Deployment>(Resources.deployments, ns, 'podinfo-primary');
      expect(primary.spec.template.spec.containers[0]!.env).toEqual(expect.arrayContaining([{ name: 'VERSION', value: 'v2' }]));
      expect(primary.metadata.annotations?.['tollgate.dev/full-replicas']).toBeUndefined();

      sizes.length = 0;
      stop = watchSizes(s.client, ns, sizes);
      from = s.timeline.phases.length;
      await setEnv(s.client, ns, 'podinfo', { VERSION: 'v3', ERROR_RATE: '0.7' });
      await s.timeline.waitForPhase('Failed', 120_000, from);
      await restored(s.client, ns);
      await new Promise((r) => setTimeout(r, 400));
      stop();
      expect(sizes.some((x) => x.weight === 25 && x.canary === 1 && x.primary === 3)).toBe(true);
      const svc = await s.client.get<KubeObject & { spec: { selector: Json } }>(Resources.services, ns, 'podinfo');
      expect(svc.spec.selector).toEqual({ app: 'podinfo-primary' });
    },
  );
});
