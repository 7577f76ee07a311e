import type { Canary, CanarySpec } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { albConditions, ingressProblem, patchFor, routesOfAlbIngress, withMatchPaths } from '../../src/meshes/alb/spec.js';
import type { Ingress } from '../../src/meshes/ingress.js';
import { routesFor } from '../../src/meshes/router.js';
import { canaryOf } from '../fakes/router-fixtures.js';
import { aCanary, aDeployment, NS, World } from '../fakes/world.js';

const A = 'alb.ingress.kubernetes.io';
const ACTION = `${A}/actions.podinfo`;
const MATCH_ACTION = `${A}/actions.podinfo-canary`;
const MATCH_CONDITIONS = `${A}/conditions.podinfo-canary`;
const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' };
const TEMPLATE_METRIC = [{ name: 'error-rate', templateRef: { name: 'error-rate' }, thresholdRange: { max: 1 } }];
const AB = { stepWeight: undefined, maxWeight: undefined, iterations: 2, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] };

type Path = { path: string; backend: { service: { name: string; port: { name?: string; number?: number } } } };
const apexPath = (port: { name?: string; number?: number } = { name: 'use-annotation' }): Path => ({
  path: '/',
  backend: { service: { name: 'podinfo', port } },
});
const otherPath: Path = { path: '/other', backend: { service: { name: 'other', port: { number: 80 } } } };

const userIngress = (paths: Path[] = [apexPath(), otherPath]): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'web',
    namespace: NS,
    resourceVersion: '7',
    labels: { team: 'a' },
    annotations: { [`${A}/scheme`]: 'internet-facing', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
  },
  spec: { ingressClassName: 'alb', rules: [{ host: 'app.example.com', http: { paths } }] },
});

function world(
  analysis: Parameters<typeof aCanary>[0] = {},
  spec: Partial<CanarySpec> = {},
  ingress: Ingress | null = userIngress(),
): World {
  const w = new World().apply(
    aDeployment(),
    aCanary({ metrics: TEMPLATE_METRIC, ...analysis }, { provider: 'alb', ingressRef: INGRESS_REF, ...spec }),
  );
  if (ingress) w.kube.put(Resources.ingresses, ingress);
  return w;
}

const live = (w: World): Ingress => w.kube.get<Ingress>(Resources.ingresses, NS, 'web')!;
/** The forward action's target group weights as the ALB controller reads them (this test's own reader). */
const targetGroups = (w: World, key = ACTION): Record<string, [string, number]> => {
  const text = live(w).metadata.annotations?.[key];
  if (text === undefined) return {};
  const groups = (JSON.parse(text) as { forwardConfig: { targetGroups: { serviceName: string; servicePort: string; weight: number }[] } })
    .forwardConfig.targetGroups;
  return Object.fromEntries(groups.map((g) => [g.serviceName, [g.servicePort, g.weight]]));
};
const canaryShare = (w: World): number => targetGroups(w)['podinfo-canary']?.[1] ?? -1;
const paths = (w: World): string[] =>
  (live(w).spec!.rules as { http: { paths: Path[] } }[])[0]!.http.paths.map((p) => `${p.path} ${p.backend.service.name}`);
const stalled = (c: Canary): { reason?: string; message?: string } => {
  const s = c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
  return { reason: s?.reason, message: s?.message };
};

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

async function released(w: World, max = 8): Promise<number[]> {
  w.newRevision({ VERSION: 'v2' });
  await w.tick(0);
  const weights: number[] = [];
  for (let i = 0; i < max && w.canary.status?.phase !== 'Succeeded'; i++) {
    await w.tick();
    weights.push(canaryShare(w));
  }
  return weights;
}

describe('given a Canary with provider alb and the Ingress it names', () => {
  it('when initialized, then the apex action forwards all to the primary, and the rest of the Ingress is untouched', async () => {
    const w = world();
    await initialized(w);
    expect(targetGroups(w)).toEqual({ 'podinfo-primary': ['9898', 100], 'podinfo-canary': ['9898', 0] });
    const { [ACTION]: _written, ...others } = live(w).metadata.annotations!;
    expect(others).toEqual(userIngress().metadata.annotations);
    expect(live(w).spec).toEqual(userIngress().spec);
    expect(live(w).metadata.labels).toEqual({ team: 'a' });
    expect(live(w).metadata.ownerReferences).toBeUndefined();
    expect(w.kube.writes.filter((x) => x.kind === 'Ingress')).toEqual([{ verb: 'patch', kind: 'Ingress', name: 'web' }]);
    expect(await w.deps.routerFor('alb').getRoutes(w.canary)).toEqual(routesFor(0));
  });

  it('when a healthy revision is released, then the weights are 25, 50, then 0 at Succeeded, and an idle reconcile writes nothing', async () => {
    const w = world();
    await initialized(w);
    expect(await released(w)).toEqual([25, 50, 0]);
    expect(w.canary.status?.phase).toBe('Succeeded');
    const before = w.kube.writes.length;
    await w.tick();
    await w.tick();
    expect(w.kube.writes.slice(before)).toEqual([]);
  });

  it('when someone else changes another annotation meanwhile, then the router keeps it', async () => {
    const w = world();
    await initialized(w);
    const changed = live(w);
    changed.metadata.annotations = { ...changed.metadata.annotations, [`${A}/group.name`]: 'shared' };
    w.kube.put(Resources.ingresses, changed);
    await released(w);
    expect(live(w).metadata.annotations?.[`${A}/group.name`]).toBe('shared');
  });

  it('when the action is edited by hand, then the next reconcile puts the live weights back', async () => {
    const w = world();
    await initialized(w);
    const edited = live(w);
    edited.metadata.annotations = { ...edited.metadata.annotations, [ACTION]: '{"type":"fixed-response"}' };
    w.kube.put(Resources.ingresses, edited);
    await w.tick();
    expect(targetGroups(w)).toEqual({ 'podinfo-primary': ['9898', 100], 'podinfo-canary': ['9898', 0] });
  });

  it('when an A/B release runs, then a path to the match action comes before the apex path with its header condition, and both go at the end', async () => {
    const w = world(AB);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.canary.status?.phase).toBe('Progressing');
    expect(paths(w)).toEqual(['/ podinfo-canary', '/ podinfo', '/other other']);
    expect(targetGroups(w, MATCH_ACTION)).toEqual({ 'podinfo-canary': ['9898', 100] });
    expect(JSON.parse(live(w).metadata.annotations![MATCH_CONDITIONS]!)).toEqual([
      { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'x-canary', values: ['insider'] } },
    ]);
    expect(canaryShare(w)).toBe(0);
    expect(await w.deps.routerFor('alb').getRoutes(w.canary)).toEqual(routesFor(100));
    for (let i = 0; i < 8 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(paths(w)).toEqual(['/ podinfo', '/other other']);
    expect(live(w).metadata.annotations?.[MATCH_ACTION]).toBeUndefined();
    expect(live(w).metadata.annotations?.[MATCH_CONDITIONS]).toBeUndefined();
  });

  it('when deleted with revertOnDeletion mid-release, then the action forwards all to the apex Service, the match parts go, the rest stays', async () => {
    const w = world(AB, { revertOnDeletion: true });
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(paths(w)).toHaveLength(3);
    const c = w.canary;
    w.kube.put(Resources.canaries, { ...c, metadata: { ...c.metadata, deletionTimestamp: new Date(w.now).toISOString() } });
    await w.tick(0);
    expect(w.canary.metadata.finalizers ?? []).toEqual([]);
    expect(targetGroups(w)).toEqual({ podinfo: ['9898', 100] });
    expect(paths(w)).toEqual(['/ podinfo', '/other other']);
    const { [ACTION]: _kept, ...others } = live(w).metadata.annotations!;
    expect(others).toEqual(userIngress().metadata.annotations);
    expect(w.kube.writes.filter((x) => x.verb === 'delete' && x.kind === 'Ingress')).toEqual([]);
  });
});

describe('given a Canary with provider alb that cannot be driven', () => {
  it('whose Ingress sends the apex Service to a port number, then it is stalled as TargetInvalid naming the change, and the Ingress is not written', async () => {
    const w = world({}, {}, userIngress([apexPath({ number: 9898 })]));
    await w.reconcile();
    await w.reconcile();
    expect(stalled(w.canary)).toEqual({
      reason: 'TargetInvalid',
      message:
        'Ingress test/web sends Service podinfo to a port, not to the action: set its backend to service {name: podinfo, port: {name: use-annotation}} so the ALB controller reads the weights from annotation alb.ingress.kubernetes.io/actions.podinfo',
    });
    expect(w.kube.writes.filter((x) => x.kind === 'Ingress')).toEqual([]);
  });

  it('without spec.ingressRef, then it is stalled as an invalid spec naming the field', async () => {
    const w = world({}, { ingressRef: undefined });
    await w.reconcile();
    expect(stalled(w.canary).reason).toBe('InvalidSpec');
    expect(stalled(w.canary).message).toContain('provider alb needs spec.ingressRef');
  });

  it('naming an Ingress that does not exist, then it is stalled as TargetInvalid', async () => {
    const w = world({}, {}, null);
    await w.reconcile();
    expect(stalled(w.canary)).toEqual({ reason: 'TargetInvalid', message: 'Ingress test/web (spec.ingressRef) not found' });
  });

  it('with A/B testing on two alternatives, then it is stalled as an invalid spec saying ALB requires all conditions', async () => {
    const w = world({ ...AB, match: [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }] });
    await w.reconcile();
    expect(stalled(w.canary).reason).toBe('InvalidSpec');
    expect(stalled(w.canary).message).toContain("ALB requires all of a rule's conditions: give one match entry");
  });

  it('with service.timeout, then a notice says the Ingress carries the routing', () => {
    const c = aCanary({}, { provider: 'alb', ingressRef: INGRESS_REF, service: { port: 9898, timeout: '5s' } });
    expect(new World().deps.routerFor('alb').validate!(c, { strategy: 'canary', match: [] })).toEqual({
      errors: [],
      notices: ['service.timeout not applied by alb: the Ingress named in spec.ingressRef carries the routing'],
    });
  });
});

describe('albConditions', () => {
  it.each<[string, unknown, Record<string, unknown>]>([
    ['exact', ['a'], { exact: 'a' }],
    ['prefix', ['a*'], { prefix: 'a' }],
    ['suffix', ['*a'], { suffix: 'a' }],
  ])('given a header %s match, then one http-header condition with values %j', (_t, values, m) => {
    expect(albConditions([{ headers: { 'x-user': m } }])).toEqual({
      conditions: [{ field: 'http-header', httpHeaderConfig: { httpHeaderName: 'x-user', values } }],
      errors: [],
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a regex value',
      { headers: { h: { regex: 'a.*' } } },
      'analysis.match[0].headers.h: ALB matches header values with * and ? wildcards, not regex',
    ],
    [
      'a value with a wildcard',
      { headers: { h: { exact: 'a*' } } },
      'analysis.match[0].headers.h: ALB reads * and ? in a value as wildcards',
    ],
    [
      'a uri match',
      { uri: { prefix: '/' }, headers: { h: { exact: 'a' } } },
      'analysis.match[0].uri: the alb provider routes to the canary by request headers only',
    ],
    ['no header', {}, 'analysis.match[0]: needs a header condition for alb'],
  ])('given %s, then the error says why', (_t, entry, error) => {
    expect(albConditions([entry]).errors).toEqual([error]);
  });
});

describe('the ALB Ingress spec helpers', () => {
  const c = canaryOf({}, { stepWeight: 10 }, { provider: 'alb', ingressRef: INGRESS_REF });

  it('given an Ingress without a path to the apex Service, then the problem says so', () => {
    expect(ingressProblem(userIngress([otherPath]), c)).toMatch(/^Ingress test\/web has no path to Service podinfo: set its backend/);
  });

  it('given a defaultBackend to the apex action, then the Ingress is fit', () => {
    const i = userIngress([otherPath]);
    i.spec!.defaultBackend = apexPath().backend;
    expect(ingressProblem(i, c)).toBeUndefined();
  });

  it('given the match paths already there, then adding them again does not double them', () => {
    const once = { rules: withMatchPaths(userIngress().spec, 'podinfo', 'podinfo-canary') };
    expect(withMatchPaths(once, 'podinfo', 'podinfo-canary')).toEqual(once.rules);
  });

  it('given a change, then the patch carries only the changed keys (null to remove) and the resourceVersion', () => {
    const i = userIngress();
    i.metadata.annotations = { ...i.metadata.annotations, [ACTION]: 'old', [MATCH_ACTION]: 'x' };
    expect(
      patchFor(i, { annotations: { [ACTION]: 'new', [MATCH_CONDITIONS]: null, [MATCH_ACTION]: null }, rules: i.spec!.rules as never }),
    ).toEqual({
      metadata: { resourceVersion: '7', annotations: { [ACTION]: 'new', [MATCH_ACTION]: null } },
    });
  });

  const tg = (...groups: [string, number][]): string =>
    JSON.stringify({ type: 'forward', forwardConfig: { targetGroups: groups.map(([serviceName, weight]) => ({ serviceName, weight })) } });
  it.each<[string, unknown, string | undefined]>([
    ['no action', undefined, undefined],
    ['an action that is not JSON', undefined, '{'],
    ['an action without the canary', undefined, tg(['podinfo-primary', 100])],
    ['weights 3 and 1', routesFor(25), tg(['podinfo-primary', 3], ['podinfo-canary', 1])],
    ['a negative weight', undefined, tg(['podinfo-primary', 100], ['podinfo-canary', -1])],
  ])('given %s, then the split read back is %j', (_t, routes, action) => {
    const i = userIngress();
    if (action !== undefined) i.metadata.annotations = { [ACTION]: action };
    expect(routesOfAlbIngress(c, i)).toEqual(routes);
  });
});
