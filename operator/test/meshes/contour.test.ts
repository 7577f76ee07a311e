import type { KubeObject } from '../../src/api/types.js';
import { ownedBy } from '../../src/kube/ensure.js';
import { Resources } from '../../src/kube/resources.js';
import { ContourRouter } from '../../src/meshes/contour/router.js';
import { conditionsOf, httpProxySpec, retryOnOf, routesOfHttpProxy, validateForContour } from '../../src/meshes/contour/spec.js';
import { routesFor } from '../../src/meshes/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, OWNER, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';
import { admitSpec, admittingClient } from '../fakes/upstream-crds.js';

type Proxy = KubeObject & { spec: Record<string, unknown> };

const l5d = (svc: string) => ({ set: [{ name: 'l5d-dst-override', value: `${svc}.test.svc.cluster.local:9898` }] });
const svc = (name: string, weight: number) => ({ name, port: 9898, weight, requestHeadersPolicy: l5d(name) });
const AB = { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] };

describe('httpProxySpec', () => {
  it('given a canary release at 10%, then one route for every path splits 90/10 between -primary and -canary', () => {
    const c = canaryOf();
    const spec = httpProxySpec(c, routesFor(10), strategyFor(c));
    expect(spec).toEqual({
      routes: [{ conditions: [{ prefix: '/' }], services: [svc('podinfo-primary', 90), svc('podinfo-canary', 10)] }],
    });
    expect(admitSpec(Resources.httpProxies, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given timeout and retries, then every route has Flagger timeoutPolicy (idle 5m) and a retryPolicy with count and perTryTimeout', () => {
    const c = canaryOf({ timeout: '15s', retries: { attempts: 3, perTryTimeout: '5s', retryOn: 'gateway-error,connect-failure,503' } });
    const spec = httpProxySpec(c, routesFor(0), strategyFor(c));
    expect((spec.routes as unknown[])[0]).toEqual({
      conditions: [{ prefix: '/' }],
      timeoutPolicy: { response: '15s', idle: '5m' },
      retryPolicy: {
        count: 3,
        perTryTimeout: '5s',
        retryOn: ['gateway-error', 'connect-failure', 'retriable-status-codes'],
        retriableStatusCodes: [503],
      },
      services: [svc('podinfo-primary', 100), svc('podinfo-canary', 0)],
    });
    expect(admitSpec(Resources.httpProxies, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given retries with attempts 0 (Istio: no retries), then count is -1, which turns them off in Contour', () => {
    const c = canaryOf({ retries: { attempts: 0 } });
    expect((httpProxySpec(c, routesFor(0), strategyFor(c)).routes as { retryPolicy: unknown }[])[0]!.retryPolicy).toEqual({ count: -1 });
  });

  it('given service matches, then each is a weighted route with its own path condition', () => {
    const c = canaryOf({ match: [{ uri: { prefix: '/api' } }, { uri: { exact: '/health' }, headers: { a: { exact: '1' } } }] });
    const spec = httpProxySpec(c, routesFor(20), strategyFor(c));
    expect((spec.routes as { conditions: unknown }[]).map((r) => r.conditions)).toEqual([
      [{ prefix: '/api' }],
      [{ exact: '/health' }, { header: { name: 'a', exact: '1' } }],
    ]);
    expect(admitSpec(Resources.httpProxies, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given A/B testing, then one weighted route per A/B match (ORed) and a default route all to the primary', () => {
    const c = canaryOf(
      { match: [{ uri: { prefix: '/api' } }] },
      {
        iterations: 5,
        match: [{ headers: { 'x-canary': { exact: 'insider' }, 'x-b': { prefix: 'b' } } }, { queryParams: { beta: { exact: '1' } } }],
      },
    );
    const spec = httpProxySpec(c, routesFor(100), strategyFor(c));
    expect(spec).toEqual({
      routes: [
        {
          conditions: [{ prefix: '/api' }, { header: { name: 'x-canary', exact: 'insider' } }, { header: { name: 'x-b', regex: 'b.*' } }],
          services: [svc('podinfo-primary', 0), svc('podinfo-canary', 100)],
        },
        {
          conditions: [{ prefix: '/api' }, { queryParameter: { name: 'beta', exact: '1' } }],
          services: [svc('podinfo-primary', 0), svc('podinfo-canary', 100)],
        },
        { conditions: [{ prefix: '/api' }], services: [svc('podinfo-primary', 100)] },
      ],
    });
    expect(admitSpec(Resources.httpProxies, spec)).toMatchObject({ errors: [], pruned: [] });
  });

  it('given an A/B match with its own uri and headers on a service match with headers, then the A/B uri wins and the headers add up by name', () => {
    const c = canaryOf(
      { match: [{ uri: { prefix: '/api' }, headers: { tenant: { exact: 'a' }, x: { exact: 'service' } } }] },
      { iterations: 5, match: [{ uri: { prefix: '/api/v2' }, headers: { x: { exact: 'ab' } } }] },
    );
    expect((httpProxySpec(c, routesFor(0), strategyFor(c)).routes as { conditions: unknown }[])[0]!.conditions).toEqual([
      { prefix: '/api/v2' },
      { header: { name: 'tenant', exact: 'a' } },
      { header: { name: 'x', exact: 'ab' } },
    ]);
  });
});

describe('conditionsOf', () => {
  it.each<[string, Record<string, unknown>, unknown[]]>([
    ['no field', {}, [{ prefix: '/' }]],
    ['uri regex', { uri: { regex: '/v[0-9]+/.*' } }, [{ regex: '/v[0-9]+/.*' }]],
    ['uri suffix', { uri: { suffix: '.json' } }, [{ regex: '.*\\.json' }]],
    ['header regex', { headers: { ua: { regex: '.*Firefox.*' } } }, [{ prefix: '/' }, { header: { name: 'ua', regex: '.*Firefox.*' } }]],
    ['header suffix', { headers: { h: { suffix: '.io' } } }, [{ prefix: '/' }, { header: { name: 'h', regex: '.*\\.io' } }]],
    ['header presence', { headers: { h: {} } }, [{ prefix: '/' }, { header: { name: 'h', present: true } }]],
    ['query prefix', { queryParams: { q: { prefix: 'a' } } }, [{ prefix: '/' }, { queryParameter: { name: 'q', prefix: 'a' } }]],
    ['query presence', { queryParams: { q: {} } }, [{ prefix: '/' }, { queryParameter: { name: 'q', present: true } }]],
  ])('given %s, then the conditions are as Contour reads them', (_t, match, conditions) => {
    expect(conditionsOf(match)).toEqual(conditions);
  });
});

describe('retryOnOf', () => {
  it.each<[string | undefined, ReturnType<typeof retryOnOf>]>([
    [undefined, { retryOn: [], codes: [], unknown: [] }],
    ['5xx', { retryOn: ['5xx'], codes: [], unknown: [] }],
    [' reset , 502,504 ', { retryOn: ['reset', 'retriable-status-codes'], codes: [502, 504], unknown: [] }],
    ['retriable-status-codes,503', { retryOn: ['retriable-status-codes'], codes: [503], unknown: [] }],
    [
      '5xx,connect-failure,retriable-headers,bogus',
      { retryOn: ['5xx', 'connect-failure', 'retriable-headers'], codes: [], unknown: ['bogus'] },
    ],
  ])('given %p, then the Contour conditions, status codes and unknown tokens are split out', (input, out) => {
    expect(retryOnOf(input)).toEqual(out);
  });
});

describe('routesOfHttpProxy', () => {
  it('given no proxy, then undefined; given one without both Services, then undefined', () => {
    expect(routesOfHttpProxy(canaryOf(), undefined)).toBeUndefined();
    expect(routesOfHttpProxy(canaryOf(), { routes: [{ services: [{ name: 'podinfo-primary', port: 9898 }] }] })).toBeUndefined();
  });

  it('given A/B routes, then the first weighted route is read; weights are made percentages', () => {
    const spec = {
      routes: [
        {
          services: [
            { name: 'podinfo-primary', weight: 1 },
            { name: 'podinfo-canary', weight: 3 },
          ],
        },
        { services: [{ name: 'podinfo-primary', weight: 100 }] },
      ],
    };
    expect(routesOfHttpProxy(canaryOf(), spec)).toEqual(routesFor(75));
  });
});

describe('validateForContour', () => {
  it('given the Flagger contour A/B test (header exact), then there is nothing to report', () => {
    const c = canaryOf({}, AB);
    expect(validateForContour(c, strategyFor(c))).toEqual({ errors: [], notices: [] });
  });

  it('given match fields no condition can express, then they are an error, named', () => {
    const c = canaryOf(
      { match: [{ method: { exact: 'GET' } }] },
      { iterations: 2, match: [{ sourceLabels: { app: 'x' }, headers: { a: { exact: '1' } } }] },
    );
    expect(validateForContour(c, strategyFor(c)).errors).toEqual([
      'match fields method, sourceLabels cannot be expressed as HTTPProxy conditions (uri, headers, queryParams can)',
    ]);
  });

  const REPEATED =
    'two routes of the HTTPProxy would have the same conditions (an analysis.match entry adding nothing to a service match, or matches repeating each other): Contour cannot tell them apart';

  it.each<[string, Record<string, unknown>[], Record<string, unknown>[] | undefined]>([
    ['an empty A/B match', [], [{}]],
    ['an A/B match repeating the service uri', [{ uri: { prefix: '/api' } }], [{ uri: { prefix: '/api' } }]],
    [
      'an A/B match with its own uri on two service matches',
      [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }],
      [{ uri: { prefix: '/c' }, headers: { x: { exact: '1' } } }],
    ],
    [
      'two A/B matches with the same conditions in another order',
      [],
      [{ headers: { a: { exact: '1' }, b: { exact: '2' } } }, { headers: { b: { exact: '2' }, a: { exact: '1' } } }],
    ],
    ['two service matches differing only by name (a canary release)', [{ name: 'one' }, { name: 'two' }], undefined],
  ])('given %s, then it is an error: two routes on the same conditions', (_t, service, ab) => {
    const c = canaryOf({ match: service }, ab ? { iterations: 3, match: ab } : undefined);
    expect(validateForContour(c, strategyFor(c)).errors).toEqual([REPEATED]);
  });

  it('given A/B matches that each add a condition to two service matches, then no route repeats another', () => {
    const c = canaryOf(
      { match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }] },
      { iterations: 3, match: [{ headers: { x: { exact: '1' } } }, { queryParams: { beta: { exact: '1' } } }] },
    );
    expect(validateForContour(c, strategyFor(c)).errors).toEqual([]);
  });

  it('given durations Contour cannot read and an unknown retryOn, then each is an error', () => {
    const c = canaryOf({ timeout: '10 seconds', retries: { attempts: 2, perTryTimeout: '1d', retryOn: '5xx,retry-please' } });
    expect(validateForContour(c, strategyFor(c)).errors).toEqual([
      'service.timeout 10 seconds is not a Contour duration (e.g. 30s, 1m30s, 500ms, infinity)',
      'service.retries.perTryTimeout 1d is not a Contour duration (e.g. 30s, 1m30s, 500ms, infinity)',
      expect.stringMatching(/^service\.retries\.retryOn retry-please has no HTTPProxy retryOn condition \(known: 5xx, gateway-error,/),
    ]);
  });

  it('given service fields an HTTPProxy does not carry, then one notice names them', () => {
    const c = canaryOf({ hosts: ['app.example.com'], gateways: [], rewrite: { uri: '/' }, trafficPolicy: { tls: {} } });
    expect(validateForContour(c, strategyFor(c))).toEqual({
      errors: [],
      notices: [
        'service.hosts, service.rewrite, service.trafficPolicy not applied by contour: the HTTPProxy podinfo carries conditions, weights, timeout and retries; include it from your root HTTPProxy',
      ],
    });
  });
});

describe('validateForContour on the tutorial matches', () => {
  it.each([[{ prefix: 'Mobile' }], [{ suffix: 'Firefox/71.0' }]])(
    'given a header match %p (Flagger: "contains"), then a notice says it is matched as written',
    (m) => {
      const c = canaryOf({}, { iterations: 10, match: [{ headers: { 'user-agent': m } }] });
      expect(validateForContour(c, strategyFor(c))).toEqual({
        errors: [],
        notices: [
          'header prefix and suffix matches are matched as a prefix and a suffix of the whole value (Flagger matched them as "contains" on contour): use regex: ".*Mobile.*" for a substring',
        ],
      });
    },
  );
});

describe('ContourRouter through the API', () => {
  const kinds = (kube: FakeKube) => kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`);

  it('given routes, then an HTTPProxy projectcontour.io/v1 <apex> owned by the Canary carries them, accepted by the upstream schema', async () => {
    const kube = new FakeKube();
    const router = new ContourRouter(routerDepsOf(kube, admittingClient(kube.client())));
    expect(router.provider).toBe('contour');
    const c = canaryOf({ timeout: '15s', retries: { attempts: 3, perTryTimeout: '5s' } });
    await router.setRoutes(c, TARGET, routesFor(10), strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create HTTPProxy podinfo']);
    const proxy = kube.get<Proxy>(Resources.httpProxies, 'test', 'podinfo')!;
    expect(proxy.apiVersion).toBe('projectcontour.io/v1');
    expect(proxy.metadata.ownerReferences).toEqual([OWNER]);
    expect(proxy.spec.virtualhost).toBeUndefined();
    expect(await router.getRoutes(c)).toEqual(routesFor(10));
  });

  it('given the proxy carries the routes, then setting them again and reconciling write nothing (server defaults ignored); finalize deletes it', async () => {
    const kube = new FakeKube();
    const router = new ContourRouter(routerDepsOf(kube, admittingClient(kube.client())));
    const c = canaryOf({ retries: { perTryTimeout: '5s' } }, AB);
    expect(await router.getRoutes(c)).toBeUndefined();
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(await router.getRoutes(c)).toEqual(routesFor(0));
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    await router.setRoutes(c, TARGET, routesFor(100), strategyFor(c), signal());
    await router.reconcile(c, TARGET, strategyFor(c), signal());
    expect(kinds(kube)).toEqual(['create HTTPProxy podinfo', 'update HTTPProxy podinfo']);
    // The schema's default (retryPolicy.count 1) is stored and does not count as a change.
    expect((kube.get<Proxy>(Resources.httpProxies, 'test', 'podinfo')!.spec.routes as { retryPolicy: unknown }[])[0]!.retryPolicy).toEqual({
      count: 1,
      perTryTimeout: '5s',
    });
    expect(await router.getRoutes(c)).toEqual(routesFor(100));
    await router.finalize(c, signal());
    expect(kinds(kube)).toEqual(['create HTTPProxy podinfo', 'update HTTPProxy podinfo', 'delete HTTPProxy podinfo']);
    expect(await router.getRoutes(c)).toBeUndefined();
  });

  it('given an HTTPProxy of the same name the Canary does not own, then it is adopted and finalize gives its original spec back', async () => {
    const kube = new FakeKube();
    const original = { routes: [{ conditions: [{ prefix: '/' }], services: [{ name: 'podinfo', port: 9898 }] }] };
    kube.put(Resources.httpProxies, {
      apiVersion: 'projectcontour.io/v1',
      kind: 'HTTPProxy',
      metadata: { name: 'podinfo', namespace: 'test', annotations: { 'projectcontour.io/ingress.class': 'internal' } },
      spec: original,
    });
    const router = new ContourRouter(routerDepsOf(kube));
    const c = canaryOf();
    await router.setRoutes(c, TARGET, routesFor(30), strategyFor(c), signal());
    const adopted = kube.get<Proxy>(Resources.httpProxies, 'test', 'podinfo')!;
    expect(ownedBy(adopted, c)).toBe(false);
    expect(adopted.metadata.annotations?.['projectcontour.io/ingress.class']).toBe('internal');
    expect(await router.getRoutes(c)).toEqual(routesFor(30));
    await router.finalize(c, signal());
    const back = kube.get<Proxy>(Resources.httpProxies, 'test', 'podinfo')!;
    expect(back.spec).toEqual(original);
    expect(kinds(kube)).toEqual(['update HTTPProxy podinfo', 'update HTTPProxy podinfo']);
  });

  it('given the apex metadata overlay, then the HTTPProxy carries its labels and the ingress class annotation', async () => {
    const kube = new FakeKube();
    const c = canaryOf({ apex: { labels: { tier: 'web' }, annotations: { 'projectcontour.io/ingress.class': 'contour-public' } } });
    await new ContourRouter(routerDepsOf(kube)).setRoutes(c, TARGET, routesFor(0), strategyFor(c), signal());
    const proxy = kube.get<Proxy>(Resources.httpProxies, 'test', 'podinfo')!;
    expect(proxy.metadata.labels).toEqual({ tier: 'web', 'tollgate.dev/canary': 'podinfo' });
    expect(proxy.metadata.annotations).toMatchObject({ 'projectcontour.io/ingress.class': 'contour-public' });
  });
});
