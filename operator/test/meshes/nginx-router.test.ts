import type { Canary, CanarySpec } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import type { Ingress } from '../../src/meshes/ingress.js';
import { routesFor } from '../../src/meshes/router.js';
import { aCanary, aDeployment, NS, World } from '../fakes/world.js';

const P = 'nginx.ingress.kubernetes.io';
const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' };
const AB = {
  stepWeight: undefined,
  maxWeight: undefined,
  iterations: 2,
  match: [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { exact: 'canary' } } }],
};

const userIngress = (): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: NS, labels: { team: 'a' }, annotations: { [`${P}/proxy-body-size`]: '1m' } },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['app.example.com'], secretName: 'tls' }],
    rules: [
      {
        host: 'app.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'podinfo', port: { number: 9898 } } } }] },
      },
    ],
  },
});

function world(
  analysis: Parameters<typeof aCanary>[0] = {},
  spec: Partial<CanarySpec> = {},
  ingress: Ingress | null = userIngress(),
): World {
  const w = new World().apply(aDeployment(), aCanary(analysis, { provider: 'nginx', ingressRef: INGRESS_REF, ...spec }));
  if (ingress) w.kube.put(Resources.ingresses, ingress);
  return w;
}

const clone = (w: World): Ingress | undefined => w.kube.get<Ingress>(Resources.ingresses, NS, 'web-canary');
/** The weight as ingress-nginx reads the clone (this test's own reader, not the router's). */
const weightOf = (w: World): string | undefined => clone(w)?.metadata.annotations?.[`${P}/canary-weight`];
const matchOf = (w: World): Record<string, string> =>
  Object.fromEntries(Object.entries(clone(w)?.metadata.annotations ?? {}).filter(([k]) => k.startsWith(`${P}/canary-by-`)));
const stalled = (c: Canary): { reason?: string; message?: string } => {
  const s = c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
  return { reason: s?.reason, message: s?.message };
};

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

describe('given a Canary with provider nginx and the Ingress it names', () => {
  it('when initialized, then the clone web-canary goes to the canary Service with weight 0, and the user Ingress is unchanged', async () => {
    const w = world();
    await initialized(w);
    const c = clone(w)!;
    expect(c.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo', controller: true });
    expect(c.metadata.annotations).toMatchObject({ [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '0', [`${P}/proxy-body-size`]: '1m' });
    expect((c.spec!.rules as { http: { paths: { backend: unknown }[] } }[])[0]!.http.paths[0]!.backend).toEqual({
      service: { name: 'podinfo-canary', port: { number: 9898 } },
    });
    expect(w.kube.get<Ingress>(Resources.ingresses, NS, 'web')).toMatchObject(userIngress());
    expect(w.kube.writes.filter((x) => x.kind === 'Ingress')).toEqual([{ verb: 'create', kind: 'Ingress', name: 'web-canary' }]);
    expect(await w.deps.routerFor('nginx').getRoutes(w.canary)).toEqual(routesFor(0));
  });

  it('when the user Ingress changes (a host added, an annotation removed), then the clone follows at the next reconcile', async () => {
    const w = world();
    await initialized(w);
    const changed = userIngress();
    changed.metadata.annotations = {};
    const backend = { service: { name: 'podinfo', port: { number: 9898 } } };
    (changed.spec!.rules as unknown[]).push({ host: 'www.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } });
    w.kube.put(Resources.ingresses, changed);
    await w.tick();
    const rules = clone(w)!.spec!.rules as { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[];
    expect(rules.map((r) => `${r.host} ${r.http.paths[0]!.backend.service.name}`)).toEqual([
      'app.example.com podinfo-canary',
      'www.example.com podinfo-canary',
    ]);
    expect(clone(w)!.metadata.annotations?.[`${P}/proxy-body-size`]).toBeUndefined();
  });

  it('when another writer adds an annotation and a server default to the clone, then a reconcile writes nothing', async () => {
    const w = world();
    await initialized(w);
    const live = structuredClone(clone(w)!);
    live.metadata.annotations = { ...live.metadata.annotations, other: 'x' };
    (live.spec!.rules as Record<string, unknown>[])[0]!.extra = 'default';
    w.kube.put(Resources.ingresses, live);
    const before = w.kube.writes.length;
    await w.tick();
    expect(w.kube.writes.slice(before).filter((x) => x.kind === 'Ingress')).toEqual([]);
    expect(clone(w)!.metadata.annotations?.other).toBe('x');
  });

  it('when the clone spec is edited by hand, then the next reconcile puts it back', async () => {
    const w = world();
    await initialized(w);
    w.kube.put(Resources.ingresses, { ...clone(w)!, spec: { ...clone(w)!.spec, ingressClassName: 'other' } });
    await w.tick();
    expect(clone(w)!.spec!.ingressClassName).toBe('nginx');
  });

  it.each<[string, (i: Ingress) => void, (c: Ingress) => unknown]>([
    ['its TLS section', (i) => delete i.spec!.tls, (c) => c.spec!.tls],
    ['a label', (i) => delete i.metadata.labels!.team, (c) => c.metadata.labels!.team],
  ])('when the user Ingress loses %s, then the clone loses it too', async (_t, remove, read) => {
    const w = world();
    await initialized(w);
    expect(read(clone(w)!)).toBeDefined();
    const changed = userIngress();
    remove(changed);
    w.kube.put(Resources.ingresses, changed);
    await w.tick();
    expect(read(clone(w)!)).toBeUndefined();
  });

  it('when an A/B release runs, then the clone matches the header and cookie with weight 0, and drops the match at the end', async () => {
    const w = world(AB);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(w.canary.status?.phase).toBe('Progressing');
    expect(weightOf(w)).toBe('0');
    expect(matchOf(w)).toEqual({
      [`${P}/canary-by-header`]: 'x-canary',
      [`${P}/canary-by-header-value`]: 'insider',
      [`${P}/canary-by-cookie`]: 'canary',
    });
    expect(await w.deps.routerFor('nginx').getRoutes(w.canary)).toEqual(routesFor(100));
    for (let i = 0; i < 8 && w.canary.status?.phase !== 'Succeeded'; i++) await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
    expect(matchOf(w)).toEqual({});
    expect(weightOf(w)).toBe('0');
  });
});

describe('given a Canary with provider nginx that cannot be driven', () => {
  it('without spec.ingressRef, then it is stalled as an invalid spec naming the field', async () => {
    const w = world({}, { ingressRef: undefined });
    await w.reconcile();
    expect(stalled(w.canary)).toEqual({
      reason: 'InvalidSpec',
      message: 'provider nginx needs spec.ingressRef: the Ingress to clone as <name>-canary',
    });
  });

  it('naming an Ingress that does not exist, then it is stalled as TargetInvalid (the workload is there); once the Ingress exists, it initializes', async () => {
    const w = world({}, {}, null);
    await w.reconcile();
    expect(stalled(w.canary)).toEqual({ reason: 'TargetInvalid', message: 'Ingress test/web (spec.ingressRef) not found' });
    expect(w.alerts.map((a) => a.message)).toEqual(['Canary cannot be acted on: Ingress test/web (spec.ingressRef) not found']);
    expect(w.deployment('podinfo-primary')).toBeUndefined();
    w.kube.put(Resources.ingresses, userIngress());
    await initialized(w);
    expect(weightOf(w)).toBe('0');
  });

  it('whose Ingress has no backend naming the apex Service, then it is stalled as TargetInvalid and no clone is written', async () => {
    const other = userIngress();
    other.spec = {
      rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } }] } }],
    };
    const w = world({}, {}, other);
    await w.reconcile();
    await w.reconcile();
    expect(stalled(w.canary)).toEqual({
      reason: 'TargetInvalid',
      message: 'Ingress test/web has no backend naming Service podinfo: nothing to send to the canary',
    });
    expect(clone(w)).toBeUndefined();
  });

  it('when web-canary exists and belongs to someone else, then it is stalled and that Ingress is left alone', async () => {
    const w = world();
    const foreign: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web-canary', namespace: NS },
      spec: {},
    };
    w.kube.put(Resources.ingresses, foreign);
    await w.reconcile();
    await w.reconcile();
    expect(stalled(w.canary)).toEqual({
      reason: 'TargetInvalid',
      message: 'Ingress test/web-canary exists and is not owned by this Canary: delete or rename it',
    });
    expect(clone(w)!.spec).toEqual({});
  });

  it('with service.hosts and service.timeout, then a notice says the Ingress clone does not apply them', () => {
    const c = aCanary({}, { provider: 'nginx', ingressRef: INGRESS_REF, service: { port: 9898, hosts: ['a.example.com'], timeout: '5s' } });
    expect(new World().deps.routerFor('nginx').validate!(c, { strategy: 'canary', match: [] })).toEqual({
      errors: [],
      notices: ['service.hosts, service.timeout not applied by nginx: the Ingress named in spec.ingressRef carries the routing'],
    });
  });

  it('with empty service.hosts and service.gateways lists, then no notice (nothing is asked that the clone ignores)', () => {
    const c = aCanary({}, { provider: 'nginx', ingressRef: INGRESS_REF, service: { port: 9898, hosts: [], gateways: [] } });
    expect(new World().deps.routerFor('nginx').validate!(c, { strategy: 'canary', match: [] })).toEqual({ errors: [], notices: [] });
  });

  it.each([
    ['a uri match', [{ uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'a' } } }], 'analysis.match[0].uri: nginx routes'],
    ['two headers', [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }], 'nginx routes by one header only (a and b)'],
  ])('with A/B testing on %s, then it is stalled as an invalid spec saying why', async (_t, match, message) => {
    const w = world({ ...AB, match });
    await w.reconcile();
    expect(stalled(w.canary).reason).toBe('InvalidSpec');
    expect(stalled(w.canary).message).toContain(message);
    expect(clone(w)).toBeUndefined();
  });
});
