import {
  fromApisixRoute,
  fromHTTPProxy,
  fromMappings,
  fromMeshHttpRoute,
  fromRouteTable,
  fromTraefikService,
  fromTrafficRoute,
  type MeshObject,
} from '../src/sim/routes.js';
import type { SyntheticRequest } from '../src/sim/istio-match.js';

const proxy = (routes: unknown[]): MeshObject => ({
  apiVersion: 'projectcontour.io/v1',
  kind: 'HTTPProxy',
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: { routes },
});
const req = (headers: Record<string, string> = {}, path = '/'): SyntheticRequest => ({ path, method: 'GET', headers });
/** Where the data-plane stand-in sends a request: the backends of the first rule that applies. */
const routed = (o: MeshObject, r: SyntheticRequest) => fromHTTPProxy(o).rules.find((x) => x.applies(r))?.backends;

describe('fromHTTPProxy (the data-plane stand-in reading a Contour HTTPProxy)', () => {
  it('given the A/B layout (default route written last or first), then matched requests take the route with the header condition', () => {
    const weighted = {
      conditions: [{ prefix: '/' }, { header: { name: 'x-canary', exact: 'insider' } }],
      services: [
        { name: 'podinfo-primary', port: 9898, weight: 0 },
        { name: 'podinfo-canary', port: 9898, weight: 100 },
      ],
    };
    const fallback = { conditions: [{ prefix: '/' }], services: [{ name: 'podinfo-primary', port: 9898, weight: 100 }] };
    for (const o of [proxy([weighted, fallback]), proxy([fallback, weighted])]) {
      expect(routed(o, req({ 'x-canary': 'insider' }))).toEqual([
        { service: 'podinfo-primary', weight: 0 },
        { service: 'podinfo-canary', weight: 100 },
      ]);
      expect(routed(o, req({ 'x-canary': 'other' }))).toEqual([{ service: 'podinfo-primary', weight: 100 }]);
    }
  });

  it('given Services without weights, then they share traffic evenly; a mirror Service is a copy, not a backend', () => {
    const o = proxy([
      {
        services: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
          { name: 'shadow', port: 80, mirror: true, weight: 10 },
        ],
      },
    ]);
    expect(fromHTTPProxy(o).rules).toEqual([
      {
        applies: expect.any(Function),
        backends: [
          { service: 'a', weight: 1 },
          { service: 'b', weight: 1 },
        ],
        mirror: { service: 'shadow', percent: 10 },
      },
    ]);
  });

  it('given path, regex and query conditions, then each is ANDed and the longer prefix wins', () => {
    const o = proxy([
      { conditions: [{ prefix: '/' }], services: [{ name: 'root', port: 80 }] },
      { conditions: [{ prefix: '/api' }, { queryParameter: { name: 'beta', exact: '1' } }], services: [{ name: 'beta', port: 80 }] },
      { conditions: [{ regex: '/v[0-9]+' }, { header: { name: 'ua', regex: '.*Firefox.*' } }], services: [{ name: 'fx', port: 80 }] },
    ]);
    expect(routed(o, req({}, '/api/x?beta=1'))).toEqual([{ service: 'beta', weight: 1 }]);
    expect(routed(o, req({}, '/api/x?beta=2'))).toEqual([{ service: 'root', weight: 1 }]);
    expect(routed(o, req({ ua: 'Mozilla Firefox 1' }, '/v2'))).toEqual([{ service: 'fx', weight: 1 }]);
    expect(routed(o, req({ ua: 'curl' }, '/v2'))).toEqual([{ service: 'root', weight: 1 }]);
  });
});

describe('fromTraefikService (the data-plane stand-in reading a TraefikService)', () => {
  const ts = (services: unknown[]): MeshObject => ({
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'TraefikService',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { weighted: { services } },
  });

  it('given weighted Services, then every request is split by them; a missing weight is 1 and nested TraefikServices are not Services', () => {
    const t = fromTraefikService(
      ts([
        { name: 'podinfo-primary', port: 9898, weight: 75 },
        { name: 'podinfo-canary', port: 9898 },
        { name: 'other', kind: 'TraefikService', weight: 5 },
      ]),
    );
    expect(t.apex).toBe('podinfo');
    expect(t.rules.map((r) => r.backends)).toEqual([
      [
        { service: 'podinfo-primary', weight: 75 },
        { service: 'podinfo-canary', weight: 1 },
      ],
    ]);
    expect(t.rules[0]!.applies(req({ any: 'header' }, '/x'))).toBe(true);
  });

  it('given only the primary (the canary left out at 0, as Flagger writes it), then the canary is listed at weight 0', () => {
    const t = fromTraefikService(ts([{ name: 'podinfo-primary', port: 9898 }]));
    expect(t.rules.map((r) => r.backends)).toEqual([
      [
        { service: 'podinfo-primary', weight: 1 },
        { service: 'podinfo-canary', weight: 0 },
      ],
    ]);
  });
});

describe('fromRouteTable (the data-plane stand-in reading a Gloo RouteTable)', () => {
  const up = (name: string) => ({ name, namespace: 'test' });
  const table = (routes: unknown[]): MeshObject => ({
    apiVersion: 'gateway.solo.io/v1',
    kind: 'RouteTable',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { routes },
  });
  const UPSTREAMS: Record<string, string> = { 'test/up-primary': 'podinfo-primary', 'test/up-canary': 'podinfo-canary' };
  const at = (o: MeshObject, r: SyntheticRequest) =>
    fromRouteTable(o, (ns, name) => UPSTREAMS[`${ns}/${name}`]).rules.find((x) => x.applies(r))?.backends;
  const weighted = (p: number, c: number) => ({
    routeAction: {
      multi: {
        destinations: [
          { destination: { upstream: up('up-primary') }, weight: p },
          { destination: { upstream: up('up-canary') }, weight: c },
        ],
      },
    },
  });

  it('given the A/B layout, then requests a matcher holds (headers ANDed, method) take the weighted route, the rest the primary', () => {
    const o = table([
      {
        matchers: [
          { headers: [{ name: 'x-canary', value: 'insider' }] },
          { headers: [{ name: 'x-user', value: 'b.*', regex: true }], methods: ['POST'] },
        ],
        ...weighted(0, 100),
      },
      { routeAction: { single: { upstream: up('up-primary') } } },
    ]);
    const canary = [
      { service: 'podinfo-primary', weight: 0 },
      { service: 'podinfo-canary', weight: 100 },
    ];
    expect(at(o, req({ 'x-canary': 'insider' }))).toEqual(canary);
    expect(at(o, { ...req({ 'x-user': 'bob' }), method: 'POST' })).toEqual(canary);
    expect(at(o, req({ 'x-user': 'bob' }))).toEqual([{ service: 'podinfo-primary', weight: 100 }]);
    expect(at(o, req({ 'x-canary': 'other' }))).toEqual([{ service: 'podinfo-primary', weight: 100 }]);
  });

  it('given one route without matchers, then every request is split by the destination weights; an unknown Upstream is no backend', () => {
    expect(at(table([weighted(75, 25)]), req())).toEqual([
      { service: 'podinfo-primary', weight: 75 },
      { service: 'podinfo-canary', weight: 25 },
    ]);
    const unknown = { routeAction: { multi: { destinations: [{ destination: { upstream: up('gone') }, weight: 100 }] } } };
    expect(at(table([unknown]), req())).toEqual([]);
  });
});

describe('fromApisixRoute (the data-plane stand-in reading an ApisixRoute)', () => {
  const route = (name: string, http: unknown[]): MeshObject => ({
    apiVersion: 'apisix.apache.org/v2',
    kind: 'ApisixRoute',
    metadata: { name, namespace: 'test' },
    spec: { http },
  });

  it("given the user's route alone (the apex Service), then it is not driven", () => {
    expect(fromApisixRoute(route('web', [{ name: 'all', backends: [{ serviceName: 'podinfo', servicePort: 80 }] }]))).toBeUndefined();
  });

  it('given the clone, then requests its paths and expressions hold are split by the weights, labelled with the rule', () => {
    const clone = route('web-podinfo-canary', [
      {
        name: 'beta',
        priority: 10000,
        match: { paths: ['/api/*'], exprs: [{ subject: { scope: 'Header', name: 'X-Beta' }, op: 'Equal', value: 'on' }] },
        backends: [
          { serviceName: 'podinfo-primary', servicePort: 80, weight: 70 },
          { serviceName: 'podinfo-canary', servicePort: 80, weight: 30 },
        ],
      },
    ]);
    const t = fromApisixRoute(clone)!;
    expect(t.apex).toBe('podinfo');
    const rule = t.rules.find((r) => r.applies(req({ 'x-beta': 'on' }, '/api/x')));
    expect(rule).toMatchObject({
      apisixRoute: 'test_web-podinfo-canary_beta',
      backends: [
        { service: 'podinfo-primary', weight: 70 },
        { service: 'podinfo-canary', weight: 30 },
      ],
    });
    expect(t.rules.find((r) => r.applies(req({ 'x-beta': 'off' }, '/api/x')))).toBeUndefined();
    expect(t.rules.find((r) => r.applies(req({ 'x-beta': 'on' }, '/other')))).toBeUndefined();
  });
});

describe('fromTrafficRoute (the data-plane stand-in reading a Kuma TrafficRoute)', () => {
  const tag = (svc: string, ns = 'test') => ({ 'kuma.io/service': `${svc}_${ns}_svc_9898` });
  const route = (split: unknown[]): MeshObject => ({
    apiVersion: 'kuma.io/v1alpha1',
    kind: 'TrafficRoute',
    metadata: { name: 'podinfo.test' },
    spec: { sources: [{ match: { 'kuma.io/service': '*' } }], destinations: [{ match: tag('podinfo') }], conf: { split } },
  });

  it("given a split, then the apex's traffic in the destination's namespace goes to the split's Services by weight", () => {
    const t = fromTrafficRoute(
      route([
        { weight: 80, destination: tag('podinfo-primary') },
        { weight: 20, destination: tag('podinfo-canary') },
        { weight: 5, destination: tag('podinfo-canary', 'other') },
      ]),
    )!;
    expect(t).toMatchObject({ namespace: 'test', apex: 'podinfo' });
    expect(t.rules[0]!.backends).toEqual([
      { service: 'podinfo-primary', weight: 80 },
      { service: 'podinfo-canary', weight: 20 },
    ]);
  });

  it('given a destination that is no Kubernetes Service tag, then it is not driven', () => {
    expect(fromTrafficRoute({ ...route([]), spec: { destinations: [{ match: { 'kuma.io/service': 'external' } }] } })).toBeUndefined();
  });
});

describe('fromMappings (the data-plane stand-in reading Emissary Mappings as Emissary groups them)', () => {
  const mapping = (name: string, spec: Record<string, unknown>): MeshObject => ({
    apiVersion: 'getambassador.io/v3alpha1',
    kind: 'Mapping',
    metadata: { name, namespace: 'test' },
    spec: { hostname: '*', prefix: '/', ...spec },
  });
  const user = mapping('podinfo', { service: 'podinfo:9898' });
  const at = (all: MeshObject[], r: SyntheticRequest) => fromMappings(all[0]!, all)?.rules.find((x) => x.applies(r));

  it("given the user's Mapping alone, then all its requests go to the apex Service", () => {
    expect(fromMappings(user, [user])).toMatchObject({ namespace: 'test', apex: 'podinfo' });
    expect(at([user], req())?.backends).toEqual([{ service: 'podinfo', weight: 100 }]);
    expect(at([user], req({}, '/'))?.mirror).toBeUndefined();
  });

  it('given a weighted clone on the same route, then it takes its weight and the unweighted Mapping the rest', () => {
    const clone = mapping('podinfo-canary', { service: 'podinfo-canary:9898', weight: 30 });
    const other = mapping('other', { prefix: '/other/', service: 'other:80' });
    expect(at([clone, user, other], req())?.backends).toEqual([
      { service: 'podinfo-canary', weight: 30 },
      { service: 'podinfo', weight: 70 },
    ]);
    expect(fromMappings(clone, [clone, user, other])!.rules).toHaveLength(1);
  });

  it('given the A/B clone with header conditions, then matching requests go to the canary first, the others to the apex', () => {
    const clone = mapping('podinfo-canary', {
      service: 'podinfo-canary:9898',
      headers: { 'x-canary': 'insider' },
      regex_headers: { 'x-region': 'eu\\..*' },
    });
    expect(at([user, clone], req({ 'x-canary': 'insider', 'x-region': 'eu.west' }))?.backends).toEqual([
      { service: 'podinfo-canary', weight: 100 },
    ]);
    expect(at([user, clone], req({ 'x-canary': 'insider', 'x-region': 'us.east' }))?.backends).toEqual([
      { service: 'podinfo', weight: 100 },
    ]);
    expect(at([user, clone], req())?.backends).toEqual([{ service: 'podinfo', weight: 100 }]);
  });

  it('given a shadow clone, then the route copies its weight in percent to the canary', () => {
    const shadow = mapping('podinfo-canary', { service: 'podinfo-canary:9898', shadow: true, weight: 20 });
    expect(at([user, shadow], req())).toMatchObject({
      backends: [{ service: 'podinfo', weight: 100 }],
      mirror: { service: 'podinfo-canary', percent: 20 },
    });
  });

  it("given a clone without the user's Mapping, then the route is not driven", () => {
    const clone = mapping('podinfo-canary', { service: 'podinfo-canary:9898', weight: 30 });
    expect(fromMappings(clone, [clone])).toBeUndefined();
  });
});

describe('fromMeshHttpRoute (the data-plane stand-in reading a Kuma MeshHTTPRoute)', () => {
  const ref = (name: string, weight?: number) => ({ kind: 'MeshService', name, port: 9898, ...(weight !== undefined ? { weight } : {}) });
  const route = (rules: unknown[], target: unknown = { kind: 'MeshService', name: 'podinfo' }): MeshObject => ({
    apiVersion: 'kuma.io/v1alpha1',
    kind: 'MeshHTTPRoute',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: target, rules }] },
  });
  const every = { path: { type: 'PathPrefix', value: '/' } };

  it("given an A/B header rule and a weighted catch-all, then matching requests take the first and the rest the catch-all's weights", () => {
    const t = fromMeshHttpRoute(
      route([
        {
          matches: [{ ...every, headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }] }],
          default: { backendRefs: [ref('podinfo-primary', 0), ref('podinfo-canary', 100)] },
        },
        { matches: [every], default: { backendRefs: [ref('podinfo-primary', 70), ref('podinfo-canary', 30)] } },
      ]),
    )!;
    expect(t).toMatchObject({ namespace: 'test', apex: 'podinfo' });
    const backends = (r: ReturnType<typeof req>) => t.rules.find((x) => x.applies(r))?.backends;
    expect(backends(req({ 'x-canary': 'insider' }))).toEqual([
      { service: 'podinfo-primary', weight: 0 },
      { service: 'podinfo-canary', weight: 100 },
    ]);
    expect(backends(req({ 'x-canary': 'other' }))).toEqual([
      { service: 'podinfo-primary', weight: 70 },
      { service: 'podinfo-canary', weight: 30 },
    ]);
  });

  it('given backendRefs without weights and a RequestMirror filter, then each weighs 1 (the CRD default) and the mirror takes its percentage', () => {
    const t = fromMeshHttpRoute(
      route([
        {
          matches: [every],
          default: {
            filters: [{ type: 'RequestMirror', requestMirror: { backendRef: ref('podinfo-canary'), percentage: 25 } }],
            backendRefs: [ref('podinfo-primary'), ref('podinfo-canary')],
          },
        },
      ]),
    )!;
    expect(t.rules[0]).toMatchObject({
      backends: [
        { service: 'podinfo-primary', weight: 1 },
        { service: 'podinfo-canary', weight: 1 },
      ],
      mirror: { service: 'podinfo-canary', percent: 25 },
    });
  });

  it('given a destination that is not a named MeshService, then it is not driven', () => {
    expect(fromMeshHttpRoute(route([], { kind: 'Mesh' }))).toBeUndefined();
  });
});
