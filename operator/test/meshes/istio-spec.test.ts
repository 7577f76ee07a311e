import type { Canary, CanaryAnalysis, CanaryService } from '../../src/api/types.js';
import { destinationRuleSpec, mergedMatches, routesOfVirtualService, virtualServiceSpec } from '../../src/meshes/istio/spec.js';
import { routesFor, type Routes } from '../../src/meshes/router.js';
import { strategyFor } from '../fakes/router-fixtures.js';

const canaryOf = (service: Partial<CanaryService> = {}, analysis: CanaryAnalysis = { stepWeight: 10 }): Canary => ({
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: {
    provider: 'istio',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898, ...service },
    analysis,
  },
});

const dest = (host: string, weight: number) => ({ destination: { host, port: { number: 9898 } }, weight });
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('virtualServiceSpec', () => {
  it('given a plain canary at 10%, then one rule splits 90/10 between primary and canary on the mesh gateway', () => {
    expect(virtualServiceSpec(canaryOf(), routesFor(10), strategyFor(canaryOf()))).toEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [{ route: [dest('podinfo-primary', 90), dest('podinfo-canary', 10)] }],
    });
  });

  it('given no traffic on the canary, then the canary destination stays with weight 0', () => {
    expect(virtualServiceSpec(canaryOf(), routesFor(0), strategyFor(canaryOf()))).toEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [{ route: [dest('podinfo-primary', 100), dest('podinfo-canary', 0)] }],
    });
  });

  it('given hosts and gateways, then the apex is added to the hosts and the gateways replace mesh', () => {
    const c = canaryOf({ hosts: ['app.example.com'], gateways: ['istio-system/public-gateway', 'mesh'] });
    expect(virtualServiceSpec(c, routesFor(25), strategyFor(c))).toEqual({
      hosts: ['app.example.com', 'podinfo'],
      gateways: ['istio-system/public-gateway', 'mesh'],
      http: [{ route: [dest('podinfo-primary', 75), dest('podinfo-canary', 25)] }],
    });
  });

  it.each<[string, Partial<CanaryService>, string[], string[]]>([
    ['hosts that already hold the apex', { hosts: ['podinfo', 'app.example.com'] }, ['podinfo', 'app.example.com'], ['mesh']],
    ['a wildcard host', { hosts: ['*'] }, ['*'], ['mesh']],
    ['an empty gateways list', { gateways: [] }, ['podinfo'], ['mesh']],
    ['a service name', { name: 'frontend' }, ['frontend'], ['mesh']],
  ])('given %s, then hosts are %j and gateways %j', (_title, service, hosts, gateways) => {
    const spec = virtualServiceSpec(canaryOf(service), routesFor(0), strategyFor(canaryOf(service)));
    expect(spec.hosts).toEqual(hosts);
    expect(spec.gateways).toEqual(gateways);
  });

  it('given a service name, then the destinations use it rather than the target name', () => {
    expect(virtualServiceSpec(canaryOf({ name: 'frontend' }), routesFor(30), strategyFor(canaryOf({ name: 'frontend' }))).http).toEqual([
      { route: [dest('frontend-primary', 70), dest('frontend-canary', 30)] },
    ]);
  });

  it('given delegation, then the VirtualService has neither hosts nor gateways', () => {
    const c = canaryOf({ delegation: true, hosts: ['app.example.com'], gateways: ['public-gateway'] });
    expect(virtualServiceSpec(c, routesFor(50), strategyFor(c))).toEqual({
      http: [{ route: [dest('podinfo-primary', 50), dest('podinfo-canary', 50)] }],
    });
  });

  it('given route options, then timeout, retries, headers, cors policy and rewrite are copied into the rule', () => {
    const c = canaryOf({
      timeout: '5s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error' },
      headers: { request: { add: { 'x-some-header': 'value' } } },
      corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET'] },
      rewrite: { uri: '/', authority: 'internal', type: 'ReplacePrefixMatch' },
    });
    expect(virtualServiceSpec(c, routesFor(10), strategyFor(c)).http).toEqual([
      {
        timeout: '5s',
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error' },
        headers: { request: { add: { 'x-some-header': 'value' } } },
        corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET'] },
        rewrite: { uri: '/', authority: 'internal' },
        route: [dest('podinfo-primary', 90), dest('podinfo-canary', 10)],
      },
    ]);
  });

  it('given a rewrite with only a type, then no rewrite is written', () => {
    expect(
      virtualServiceSpec(
        canaryOf({ rewrite: { type: 'ReplaceFullPath' } }),
        routesFor(10),
        strategyFor(canaryOf({ rewrite: { type: 'ReplaceFullPath' } })),
      ).http,
    ).toEqual([{ route: [dest('podinfo-primary', 90), dest('podinfo-canary', 10)] }]);
  });

  it('given a service match on a weighted canary, then the rule keeps it', () => {
    const match = [{ uri: { prefix: '/api' } }];
    expect(virtualServiceSpec(canaryOf({ match }), routesFor(10), strategyFor(canaryOf({ match }))).http).toEqual([
      { match, route: [dest('podinfo-primary', 90), dest('podinfo-canary', 10)] },
    ]);
  });

  it('given a mirrored step with mirrorWeight, then the primary traffic is mirrored to the canary at that percentage', () => {
    const c = canaryOf({}, { stepWeight: 10, mirror: true, mirrorWeight: 25 });
    expect(virtualServiceSpec(c, routesFor(0, true), strategyFor(c))).toEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [
        {
          route: [dest('podinfo-primary', 100), dest('podinfo-canary', 0)],
          mirror: { host: 'podinfo-canary', port: { number: 9898 } },
          mirrorPercentage: { value: 25 },
        },
      ],
    });
  });

  it('given a mirrored step without mirrorWeight, then all traffic is mirrored (no mirrorPercentage)', () => {
    const c = canaryOf({}, { stepWeight: 10, mirror: true });
    expect(virtualServiceSpec(c, routesFor(0, true), strategyFor(c)).http).toEqual([
      { route: [dest('podinfo-primary', 100), dest('podinfo-canary', 0)], mirror: { host: 'podinfo-canary', port: { number: 9898 } } },
    ]);
  });

  it('given mirror in the analysis but routes not mirrored, then no mirror is written', () => {
    const c = canaryOf({}, { stepWeight: 10, mirror: true, mirrorWeight: 25 });
    expect(virtualServiceSpec(c, routesFor(20), strategyFor(c)).http).toEqual([
      { route: [dest('podinfo-primary', 80), dest('podinfo-canary', 20)] },
    ]);
  });

  it('given A/B testing with a service match, then the first rule matches each merged condition and a fallback sends the rest to the primary', () => {
    const serviceMatch = [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' } }];
    const abMatch = [
      { headers: { 'x-canary': { exact: 'insider' } } },
      { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
    ];
    const c = canaryOf({ match: serviceMatch, timeout: '30s' }, { iterations: 10, match: abMatch });
    expect(virtualServiceSpec(c, routesFor(100), strategyFor(c))).toEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [
        {
          match: [
            { uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'insider' } } },
            { uri: { prefix: '/api' }, headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
            { uri: { prefix: '/v2' }, headers: { 'x-canary': { exact: 'insider' } } },
            { uri: { prefix: '/v2' }, headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
          ],
          timeout: '30s',
          route: [dest('podinfo-primary', 0), dest('podinfo-canary', 100)],
        },
        { match: serviceMatch, timeout: '30s', route: [dest('podinfo-primary', 100)] },
      ],
    });
  });

  it('given A/B testing without a service match, then the analysis match is used alone and the fallback matches everything', () => {
    const abMatch = [{ headers: { 'x-canary': { exact: 'insider' } } }];
    const c = canaryOf({}, { iterations: 10, match: abMatch });
    expect(virtualServiceSpec(c, routesFor(100), strategyFor(c)).http).toEqual([
      { match: abMatch, route: [dest('podinfo-primary', 0), dest('podinfo-canary', 100)] },
      { route: [dest('podinfo-primary', 100)] },
    ]);
  });

  it('given a canary, then building the spec does not mutate it', () => {
    const c = canaryOf(
      { match: [{ uri: { prefix: '/' } }], hosts: ['a.example.com'] },
      { iterations: 2, match: [{ headers: { a: { exact: '1' } } }] },
    );
    const before = copy(c);
    virtualServiceSpec(c, routesFor(100), strategyFor(c));
    expect(copy(c)).toEqual(before);
  });
});

describe('mergedMatches', () => {
  it('given a service match and an analysis match on the same field, then the analysis one wins (as in Flagger)', () => {
    const c = canaryOf(
      { match: [{ headers: { host: { exact: 'a' } } }] },
      { iterations: 1, match: [{ headers: { 'x-canary': { exact: 'b' } } }] },
    );
    expect(mergedMatches(c, strategyFor(c))).toEqual([{ headers: { 'x-canary': { exact: 'b' } } }]);
  });

  it('given no analysis match, then there is nothing to merge', () => {
    expect(
      mergedMatches(canaryOf({ match: [{ uri: { prefix: '/' } }] }), strategyFor(canaryOf({ match: [{ uri: { prefix: '/' } }] }))),
    ).toEqual([]);
  });
});

describe('destinationRuleSpec', () => {
  it('given a trafficPolicy, then it is applied to the host', () => {
    const trafficPolicy = { tls: { mode: 'ISTIO_MUTUAL' }, loadBalancer: { simple: 'LEAST_REQUEST' } };
    expect(destinationRuleSpec(canaryOf({ trafficPolicy }), 'podinfo-canary')).toEqual({ host: 'podinfo-canary', trafficPolicy });
  });

  it('given no trafficPolicy, then only the host is set', () => {
    expect(destinationRuleSpec(canaryOf(), 'podinfo-primary')).toEqual({ host: 'podinfo-primary' });
  });
});

describe('routesOfVirtualService', () => {
  it.each<[string, Canary, Routes]>([
    ['a plain canary at 10%', canaryOf(), routesFor(10)],
    ['no canary traffic', canaryOf(), routesFor(0)],
    ['all traffic on the canary', canaryOf(), routesFor(100)],
    ['hosts and gateways', canaryOf({ hosts: ['app.example.com'], gateways: ['gw'] }), routesFor(40)],
    ['delegation', canaryOf({ delegation: true }), routesFor(60)],
    ['a mirrored step', canaryOf({}, { stepWeight: 10, mirror: true, mirrorWeight: 5 }), routesFor(0, true)],
    ['a service name', canaryOf({ name: 'frontend' }), routesFor(35)],
  ])('given the spec written for %s, then the same routes are read back', (_title, c, routes) => {
    expect(routesOfVirtualService(c, copy(virtualServiceSpec(c, routes, strategyFor(c))))).toEqual(routes);
  });

  it('given an A/B spec, then the routes of the match rule are read back', () => {
    const c = canaryOf({}, { iterations: 3, match: [{ headers: { a: { exact: '1' } } }] });
    expect(routesOfVirtualService(c, virtualServiceSpec(c, routesFor(100), strategyFor(c)))).toEqual(routesFor(100));
  });

  it('given hosts written as FQDNs by hand, then they are recognised', () => {
    const spec = {
      hosts: ['podinfo'],
      http: [
        {
          route: [
            { destination: { host: 'podinfo-primary.test.svc.cluster.local', port: { number: 9898 } }, weight: 70 },
            { destination: { host: 'podinfo-canary.test.svc.cluster.local', port: { number: 9898 } }, weight: 30 },
          ],
          mirror: { host: 'podinfo-canary.test.svc.cluster.local' },
        },
      ],
    };
    expect(routesOfVirtualService(canaryOf(), spec)).toEqual({ primaryWeight: 70, canaryWeight: 30, mirrored: true });
  });

  it('given a destination without weight (omitted when zero), then its weight reads as 0', () => {
    const spec = {
      http: [{ route: [{ destination: { host: 'podinfo-primary' }, weight: 100 }, { destination: { host: 'podinfo-canary' } }] }],
    };
    expect(routesOfVirtualService(canaryOf(), spec)).toEqual({ primaryWeight: 100, canaryWeight: 0, mirrored: false });
  });

  it('given a rule for other services first, then the split rule after it is found', () => {
    const spec = {
      http: [
        { match: [{ uri: { prefix: '/other' } }], route: [{ destination: { host: 'other' }, weight: 100 }] },
        {
          route: [
            { destination: { host: 'podinfo-canary' }, weight: 5 },
            { destination: { host: 'podinfo-primary' }, weight: 95 },
          ],
        },
      ],
    };
    expect(routesOfVirtualService(canaryOf(), spec)).toEqual({ primaryWeight: 95, canaryWeight: 5, mirrored: false });
  });

  it('given a mirror to another host, then the routes are not mirrored', () => {
    const spec = { http: [{ route: [dest('podinfo-primary', 100), dest('podinfo-canary', 0)], mirror: { host: 'shadow' } }] };
    expect(routesOfVirtualService(canaryOf(), spec)?.mirrored).toBe(false);
  });

  it.each<[string, Record<string, unknown> | undefined]>([
    ['no spec', undefined],
    ['a spec without http', { hosts: ['podinfo'] }],
    ['only a primary route', { http: [{ route: [dest('podinfo-primary', 100)] }] }],
    ['routes of another service with similar names', { http: [{ route: [dest('podinfo-primary-x', 50), dest('podinfo-canary-x', 50)] }] }],
    ['routes split across two rules', { http: [{ route: [dest('podinfo-primary', 100)] }, { route: [dest('podinfo-canary', 100)] }] }],
  ])('given %s, then there are no routes', (_title, spec) => {
    expect(routesOfVirtualService(canaryOf(), spec)).toBeUndefined();
  });
});
