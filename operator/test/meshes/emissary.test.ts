import type { CanaryAnalysis, KubeObject } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { EmissaryRouter } from '../../src/meshes/emissary/router.js';
import {
  canaryMappingSpec,
  canaryService,
  emissaryMatch,
  mappingNames,
  routesOfCanaryMapping,
  userMappingProblem,
  validateForEmissary,
} from '../../src/meshes/emissary/spec.js';
import { routesFor, type Routes } from '../../src/meshes/router.js';
import { TargetError } from '../../src/targets/target.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type Json = Record<string, unknown>;
type Obj = KubeObject & { spec: Json };

/** The user's Mapping of Argo Rollouts' Ambassador example, sending /podinfo/ to the apex Service. */
const userSpec = (): Json => ({
  hostname: 'app.example.com',
  prefix: '/podinfo/',
  rewrite: '/',
  service: 'podinfo.test:9898',
  timeout_ms: 5000,
  stats_name: 'podinfo',
  headers: { 'x-tenant': 'a' },
  ambassador_id: ['public'],
});
const userMapping = (name = 'podinfo', spec = userSpec()): Obj => ({
  apiVersion: 'getambassador.io/v3alpha1',
  kind: 'Mapping',
  metadata: {
    name,
    namespace: 'test',
    labels: { app: 'podinfo' },
    annotations: { note: 'mine', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
  },
  spec,
});
const canary = (analysis: CanaryAnalysis = { stepWeight: 10 }, mappings?: string[]) =>
  canaryOf(mappings ? { mappings } : {}, analysis, { provider: 'emissary' });
const AB: CanaryAnalysis = {
  iterations: 2,
  match: [{ headers: { 'x-canary': { exact: 'insider' }, cookie: { regex: '.*beta.*' }, 'x-region': { prefix: 'eu.' } } }],
};
const { stats_name: _stats, ...cloned } = userSpec();

describe('canaryService', () => {
  it.each([
    ['podinfo', 'podinfo-canary'],
    ['podinfo:9898', 'podinfo-canary:9898'],
    ['podinfo.test:80', 'podinfo-canary.test:80'],
    ['https://podinfo.test.svc.cluster.local:443', 'https://podinfo-canary.test.svc.cluster.local:443'],
  ])('given the user Mapping service %p, then the clone sends to %p (scheme, namespace and port as spelled)', (from, to) => {
    expect(canaryService(from, canary())).toBe(to);
  });
});

describe('userMappingProblem', () => {
  it.each<[string, Json | undefined, string | undefined]>([
    ['the apex Service with a port', { prefix: '/', service: 'podinfo:9898' }, undefined],
    ['the apex Service in this namespace', { prefix: '/', service: 'podinfo.test' }, undefined],
    ['another Service', { prefix: '/', service: 'other:9898' }, 'does not send to Service podinfo'],
    ['the apex name in another namespace', { prefix: '/', service: 'podinfo.prod:9898' }, 'does not send to Service podinfo'],
    ['a service that is not a name', { prefix: '/', service: 'podinfo canary' }, 'does not send to Service podinfo'],
    ['no spec', undefined, 'does not send to Service podinfo'],
    ['a weight', { prefix: '/', service: 'podinfo', weight: 50 }, 'sets weight'],
    ['a shadow Mapping', { prefix: '/', service: 'podinfo', shadow: true }, 'is a shadow Mapping'],
  ])('given a user Mapping to %s, then the problem is %p', (_t, spec, problem) => {
    const got = userMappingProblem('podinfo', spec, canary());
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});

describe('canaryMappingSpec (admitted by the upstream Mapping CRD)', () => {
  it.each<[string, CanaryAnalysis, Routes, Json | undefined]>([
    ['weight 0: no clone', { stepWeight: 10 }, routesFor(0), undefined],
    ['weight 10', { stepWeight: 10 }, routesFor(10), { ...cloned, service: 'podinfo-canary.test:9898', weight: 10 }],
    ['weight 100 (promotion)', { stepWeight: 10 }, routesFor(100), { ...cloned, service: 'podinfo-canary.test:9898', weight: 100 }],
    [
      'mirrored at 0, mirrorWeight 20: a shadow of 20%',
      { stepWeight: 10, mirror: true, mirrorWeight: 20 },
      routesFor(0, true),
      { ...cloned, service: 'podinfo-canary.test:9898', shadow: true, weight: 20 },
    ],
    [
      'mirrored without mirrorWeight: a shadow of all',
      { iterations: 2, mirror: true },
      routesFor(0, true),
      { ...cloned, service: 'podinfo-canary.test:9898', shadow: true },
    ],
    [
      'A/B on: the match over the user conditions, no weight',
      AB,
      routesFor(100),
      {
        ...cloned,
        service: 'podinfo-canary.test:9898',
        headers: { 'x-tenant': 'a', 'x-canary': 'insider' },
        regex_headers: { cookie: '.*beta.*', 'x-region': 'eu\\..*' },
      },
    ],
    ['A/B off: no clone', AB, routesFor(0), undefined],
  ])('given %s, then the clone is as Emissary needs it', (_t, analysis, routes, want) => {
    const c = canary(analysis);
    const spec = canaryMappingSpec(userSpec(), c, routes, strategyFor(c));
    expect(spec).toEqual(want);
    if (spec) expect(admitSpec(Resources.emissaryMappings, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given an A/B match on a query parameter and a method, then the clone matches them', () => {
    const c = canary({ iterations: 2, match: [{ queryParams: { beta: { exact: 'on' }, v: { suffix: '2' } }, method: { exact: 'GET' } }] });
    const spec = canaryMappingSpec({ prefix: '/', service: 'podinfo' }, c, routesFor(100), strategyFor(c))!;
    expect(spec).toEqual({
      prefix: '/',
      service: 'podinfo-canary',
      query_parameters: { beta: 'on' },
      regex_query_parameters: { v: '.*2' },
      method: 'GET',
    });
    expect(admitSpec(Resources.emissaryMappings, spec)).toMatchObject({ errors: [], pruned: [] });
  });
});

describe('emissaryMatch', () => {
  it.each<[string, Json[], string[]]>([
    ['one entry of headers', [{ headers: { a: { exact: '1' } } }], []],
    ['two entries', [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }], ['emissary takes one entry']],
    ['a uri condition', [{ uri: { prefix: '/x' }, headers: { a: { exact: '1' } } }], ['analysis.match[0].uri']],
    ['a header by presence only', [{ headers: { a: {} } }], ['analysis.match[0].headers.a: emissary cannot match the mere presence']],
    ['a method by regex', [{ method: { regex: 'GET|POST' } }], ['analysis.match[0].method: emissary matches an exact method only']],
    ['no condition', [{}], ['needs a header, query parameter or method condition']],
  ])('given %s, then the errors are as listed', (_t, match, errors) => {
    const got = emissaryMatch(match).errors;
    expect(got).toHaveLength(errors.length);
    errors.forEach((e, i) => expect(got[i]).toContain(e));
  });
});

describe('routesOfCanaryMapping', () => {
  it.each<[string, Json | undefined, Routes]>([
    ['no clone', undefined, routesFor(0)],
    ['weight 30', { prefix: '/', service: 'podinfo-canary', weight: 30 }, routesFor(30)],
    ['weight above 100 (Emissary caps the group)', { prefix: '/', service: 'podinfo-canary', weight: 150 }, routesFor(100)],
    ['a shadow', { prefix: '/', service: 'podinfo-canary', shadow: true, weight: 20 }, routesFor(0, true)],
    ['the A/B clone (no weight)', { prefix: '/', service: 'podinfo-canary', headers: { a: '1' } }, routesFor(100)],
  ])('given %s, then the routes read back are as Emissary splits', (_t, spec, routes) => {
    expect(routesOfCanaryMapping(spec)).toEqual(routes);
  });
});

describe('validateForEmissary and mappingNames', () => {
  it('given a weighted Canary, then nothing is reported; routing fields are a notice; a bad A/B match an error', () => {
    expect(validateForEmissary(canary(), strategyFor(canary()), 'emissary')).toEqual({ errors: [], notices: [] });
    const c = canaryOf({ hosts: ['a.example.com'] }, {}, { provider: 'ambassador' });
    expect(validateForEmissary(c, strategyFor(c), 'ambassador').notices).toEqual([
      "service.hosts not applied by ambassador: the user's Mapping (service.mappings) carries the routing",
    ]);
    const ab = canary({ iterations: 2, match: [{ sourceLabels: { app: 'x' } }] });
    expect(validateForEmissary(ab, strategyFor(ab), 'emissary').errors[0]).toContain('analysis.match[0].sourceLabels');
  });

  it('given no service.mappings, then the Mapping named like the apex Service; given a list, those (once each)', () => {
    expect(mappingNames(canary())).toEqual(['podinfo']);
    expect(mappingNames(canaryOf({ name: 'web' }))).toEqual(['web']);
    expect(mappingNames(canary({}, ['a', 'b', 'a']))).toEqual(['a', 'b']);
  });
});

describe('EmissaryRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);
  const setup = (...users: Obj[]) => {
    const kube = new FakeKube();
    for (const u of users) kube.put(Resources.emissaryMappings, u);
    return { kube, router: new EmissaryRouter('emissary', routerDepsOf(kube, admittingClient(kube.client()))) };
  };

  it("given the user's Mapping, then no clone at 0; the owned clone <mapping>-canary carries the weight and is deleted at 0", async () => {
    const { kube, router } = setup(userMapping());
    const c = canary();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(await router.getRoutes(c)).toEqual(routesFor(0));
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(40), strategyFor(c), signal());
    const clone = kube.get<Obj>(Resources.emissaryMappings, 'test', 'podinfo-canary')!;
    expect(clone.metadata.ownerReferences).toEqual([OWNER]);
    expect(clone.metadata.labels).toEqual({ app: 'podinfo', 'tollgate.dev/canary': 'podinfo' });
    expect(clone.metadata.annotations).toMatchObject({ note: 'mine' });
    expect(clone.metadata.annotations).not.toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
    expect(clone.spec).toEqual({ ...cloned, service: 'podinfo-canary.test:9898', weight: 40 });
    expect(await router.getRoutes(c)).toEqual(routesFor(40));
    await router.setRoutes(c, TARGET, routesFor(0), strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create Mapping podinfo-canary', 'update Mapping podinfo-canary', 'delete Mapping podinfo-canary']);
    expect(kube.get<Obj>(Resources.emissaryMappings, 'test', 'podinfo')!.spec).toEqual(userSpec());
    expect(await router.getRoutes(c)).toEqual(routesFor(0));
  });

  it('given service.mappings naming two Mappings, then each gets its clone; finalize deletes both', async () => {
    const { kube, router } = setup(userMapping('web'), userMapping('api', { prefix: '/api/', service: 'podinfo:9898' }));
    const c = canary({ stepWeight: 10 }, ['web', 'api']);
    await router.setRoutes(c, TARGET, routesFor(20), strategyFor(c), signal());
    expect(kube.get<Obj>(Resources.emissaryMappings, 'test', 'api-canary')!.spec).toEqual({
      prefix: '/api/',
      service: 'podinfo-canary:9898',
      weight: 20,
    });
    expect(kube.get<Obj>(Resources.emissaryMappings, 'test', 'web-canary')!.spec.weight).toBe(20);
    await router.finalize(c, signal());
    expect(kinds(kube).slice(2)).toEqual(['delete Mapping web-canary', 'delete Mapping api-canary']);
  });

  it('given a missing or unusable user Mapping, then the Canary is stalled (TargetInvalid) naming it, nothing written', async () => {
    const { kube, router } = setup();
    const c = canary();
    const err = (): Promise<unknown> => router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal()).catch((e: unknown) => e);
    expect(await err()).toEqual(new TargetError('TargetInvalid', 'Mapping test/podinfo (service.mappings) not found'));
    await expect(router.getRoutes(c)).rejects.toBeInstanceOf(TargetError);
    kube.put(Resources.emissaryMappings, userMapping('podinfo', { prefix: '/', service: 'podinfo', weight: 100 }));
    expect(await err()).toMatchObject({ reason: 'TargetInvalid', message: expect.stringContaining('sets weight') });
    expect(kube.writes).toEqual([]);
  });

  it('given a Mapping <mapping>-canary the Canary did not create, then it is never taken over nor deleted', async () => {
    const theirs = userMapping('podinfo-canary', { prefix: '/x/', service: 'elsewhere' });
    const { kube, router } = setup(userMapping(), theirs);
    const c = canary();
    const err = await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal()).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'TargetInvalid', message: expect.stringContaining('is not owned by this Canary') });
    await expect(router.setRoutes(c, TARGET, routesFor(0), strategyFor(c), signal())).rejects.toBeInstanceOf(TargetError);
    expect(await router.getRoutes(c)).toEqual(routesFor(0));
    await router.finalize(c, signal());
    expect(kube.writes).toEqual([]);
    expect(kube.get<Obj>(Resources.emissaryMappings, 'test', 'podinfo-canary')!.spec).toEqual(theirs.spec);
  });

  it('given the ambassador alias and an A/B run, then the clone carries the match and reads back as matched', async () => {
    const kube = new FakeKube();
    kube.put(Resources.emissaryMappings, userMapping());
    const router = new EmissaryRouter('ambassador', routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf({}, AB, { provider: 'ambassador' });
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    const clone = kube.get<Obj>(Resources.emissaryMappings, 'test', 'podinfo-canary')!;
    expect(clone.spec.weight).toBeUndefined();
    expect(clone.spec.headers).toEqual({ 'x-tenant': 'a', 'x-canary': 'insider' });
    expect(await router.getRoutes(c)).toEqual(routesFor(100));
  });
});
