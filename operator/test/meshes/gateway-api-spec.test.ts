import type { Canary } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import {
  httpRouteSpec,
  parentRefs,
  routesOfHttpRoute,
  toHttpRouteMatch,
  unconvertibleMatchFields,
} from '../../src/meshes/gateway-api/spec.js';
import { routesFor, type Routes } from '../../src/meshes/router.js';
import { canaryOf, copy, strategyFor } from '../fakes/router-fixtures.js';
import { admitSpec } from '../fakes/upstream-crds.js';

const primary = (weight: number) => ({ kind: 'Service', name: 'podinfo-primary', port: 9898, weight });
const canaryRef = (weight: number) => ({ kind: 'Service', name: 'podinfo-canary', port: 9898, weight });
const ALL = { path: { type: 'PathPrefix', value: '/' } };
const GATEWAY = { name: 'public', namespace: 'gateway-system', sectionName: 'https' };

/** The upstream schemas a spec of each flavour must pass: Gateway API v1 and v1beta1, or Linkerd's policy.linkerd.io v1beta3. */
const expectAccepted = (spec: Record<string, unknown>, flavour: 'gateway' | 'linkerd'): void => {
  const resources = flavour === 'gateway' ? [Resources.httpRoutesV1, Resources.httpRoutesV1beta1] : [Resources.linkerdHttpRoutes];
  for (const r of resources) expect(admitSpec(r, spec)).toMatchObject({ errors: [], pruned: [] });
};

describe('toHttpRouteMatch', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['an empty match', {}, { path: { type: 'PathPrefix', value: '/' } }],
    ['uri exact', { uri: { exact: '/healthz' } }, { path: { type: 'Exact', value: '/healthz' } }],
    ['uri prefix', { uri: { prefix: '/api' } }, { path: { type: 'PathPrefix', value: '/api' } }],
    ['uri regex', { uri: { regex: '^/v[0-9]+/.*' } }, { path: { type: 'RegularExpression', value: '^/v[0-9]+/.*' } }],
    ['uri exact and prefix (exact wins)', { uri: { exact: '/a', prefix: '/b' } }, { path: { type: 'Exact', value: '/a' } }],
    [
      'a header exact',
      { headers: { 'x-canary': { exact: 'insider' } } },
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }] },
    ],
    [
      'a header regex (copied as is)',
      { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ name: 'cookie', type: 'RegularExpression', value: '^(.*?;)?(canary=always)(;.*)?$' }],
      },
    ],
    [
      'a header prefix (escaped into an anchored regex)',
      { headers: { 'user-agent': { prefix: 'Mozilla/5.0 (X11' } } },
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ name: 'user-agent', type: 'RegularExpression', value: '^Mozilla/5\\.0 \\(X11.*' }],
      },
    ],
    [
      'a header suffix (escaped into an anchored regex)',
      { headers: { host: { suffix: '.example.com' } } },
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'host', type: 'RegularExpression', value: '.*\\.example\\.com$' }] },
    ],
    [
      'several headers (in their order)',
      { headers: { 'x-a': { exact: '1' }, 'x-b': { regex: '2|3' } } },
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [
          { name: 'x-a', type: 'Exact', value: '1' },
          { name: 'x-b', type: 'RegularExpression', value: '2|3' },
        ],
      },
    ],
    [
      'query params exact, regex and prefix',
      { queryParams: { version: { exact: 'v2' }, debug: { regex: 'true|1' }, lang: { prefix: 'en-' } } },
      {
        path: { type: 'PathPrefix', value: '/' },
        queryParams: [
          { name: 'version', type: 'Exact', value: 'v2' },
          { name: 'debug', type: 'RegularExpression', value: 'true|1' },
          { name: 'lang', type: 'RegularExpression', value: '^en-.*' },
        ],
      },
    ],
    ['a method (upper-cased)', { method: { exact: 'post' } }, { path: { type: 'PathPrefix', value: '/' }, method: 'POST' }],
    [
      'everything at once',
      {
        name: 'beta',
        uri: { prefix: '/api' },
        headers: { 'x-canary': { exact: 'yes' } },
        queryParams: { v: { exact: '2' } },
        method: { exact: 'GET' },
      },
      {
        path: { type: 'PathPrefix', value: '/api' },
        headers: [{ name: 'x-canary', type: 'Exact', value: 'yes' }],
        queryParams: [{ name: 'v', type: 'Exact', value: '2' }],
        method: 'GET',
      },
    ],
    ['an empty header map', { headers: {} }, { path: { type: 'PathPrefix', value: '/' } }],
  ])('given %s, then the HTTPRouteMatch is as expected', (_title, match, expected) => {
    expect(toHttpRouteMatch(match)).toEqual(expected);
  });

  it('given a header prefix full of regex metacharacters, then every one is escaped and the regex matches exactly that prefix', () => {
    const prefix = 'a.*+?^${}()|[]\\b';
    const out = toHttpRouteMatch({ headers: { 'x-raw': { prefix } } });
    expect(out.headers).toEqual([{ name: 'x-raw', type: 'RegularExpression', value: '^a\\.\\*\\+\\?\\^\\$\\{\\}\\(\\)\\|\\[\\]\\\\b.*' }]);
    const re = new RegExp((out.headers as { value: string }[])[0]!.value);
    expect(re.test(`${prefix}-and-more`)).toBe(true);
    expect(re.test('aXb')).toBe(false);
    expect(re.test(`x${prefix}`)).toBe(false);
  });

  it('given a header suffix with a dot, then the dot only matches a dot', () => {
    const re = new RegExp((toHttpRouteMatch({ headers: { host: { suffix: '.example.com' } } }).headers as { value: string }[])[0]!.value);
    expect(re.test('app.example.com')).toBe(true);
    expect(re.test('app-example-com')).toBe(false);
    expect(re.test('app.example.com.evil')).toBe(false);
  });

  it('given the converted matches, then the upstream HTTPRoute schemas accept them', () => {
    const matches = [
      { uri: { exact: '/healthz' }, method: { exact: 'get' } },
      { uri: { regex: '^/v[0-9]+/.*' }, headers: { 'user-agent': { prefix: 'Mozilla/5.0 (X11' }, host: { suffix: '.example.com' } } },
      { queryParams: { version: { exact: 'v2' }, lang: { prefix: 'en-' } } },
    ].map(toHttpRouteMatch);
    expectAccepted({ parentRefs: [GATEWAY], rules: [{ matches, backendRefs: [primary(100)] }] }, 'gateway');
    expectAccepted({ parentRefs: [GATEWAY], rules: [{ matches, backendRefs: [primary(100)] }] }, 'linkerd');
  });

  // A uri suffix has no Gateway API form: the router refuses the Canary (see unconvertibleMatchFields).
  it('given a uri suffix, then it is reported as unconvertible, so the Canary is refused instead of widened', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY], match: [{ uri: { suffix: '.js' } }] });
    expect(unconvertibleMatchFields(c, strategyFor(c))).toEqual(['uri (only exact, prefix and regex)']);
  });

  // Only an exact method has a Gateway API form.
  it('given a method regex, then it is reported as unconvertible rather than dropped', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 5, match: [{ method: { regex: 'GET|HEAD' } }] });
    expect(toHttpRouteMatch({ method: { regex: 'GET|HEAD' } })).toEqual({ path: { type: 'PathPrefix', value: '/' } });
    expect(unconvertibleMatchFields(c, strategyFor(c))).toEqual(['method (only exact)']);
  });
});

describe('unconvertibleMatchFields', () => {
  it('given only supported fields (uri, headers, queryParams, method, name), then none is reported', () => {
    const c = canaryOf(
      { match: [{ name: 'api', uri: { prefix: '/api' }, method: { exact: 'GET' } }] },
      { iterations: 2, match: [{ headers: { a: { exact: '1' } }, queryParams: { b: { exact: '2' } } }] },
    );
    expect(unconvertibleMatchFields(c, strategyFor(c))).toEqual([]);
  });

  it('given Istio-only fields in the service and analysis matches, then each is reported once, service fields first', () => {
    const c = canaryOf(
      {
        match: [
          { uri: { prefix: '/' }, withoutHeaders: { a: { exact: '1' } } },
          { sourceLabels: { app: 'x' }, withoutHeaders: { b: { exact: '2' } } },
        ],
      },
      {
        iterations: 2,
        match: [
          { ignoreUriCase: true, headers: { a: { exact: '1' } } },
          { port: 8080, sourceLabels: { app: 'y' } },
        ],
      },
    );
    expect(unconvertibleMatchFields(c, strategyFor(c))).toEqual(['withoutHeaders', 'sourceLabels', 'ignoreUriCase', 'port']);
  });

  it('given the deprecated canaryAnalysis alias, then its match is checked too', () => {
    const c = canaryOf({}, undefined, { analysis: undefined, canaryAnalysis: { iterations: 2, match: [{ authority: { exact: 'x' } }] } });
    expect(unconvertibleMatchFields(c, strategyFor(c))).toEqual(['authority']);
  });
});

describe('httpRouteSpec: a plain canary', () => {
  it('given gatewayRefs, hosts with a wildcard, timeout and backendTimeout at 10%, then one rule splits 90/10, the "*" host is dropped and both timeouts are set', () => {
    const c = canaryOf({
      gatewayRefs: [GATEWAY],
      hosts: ['app.example.com', '*', 'www.example.com'],
      timeout: '30s',
      backendTimeout: '10s',
    });
    const spec = httpRouteSpec(c, routesFor(10), strategyFor(c), 'gateway');
    expect(spec).toEqual({
      parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }],
      hostnames: ['app.example.com', 'www.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
          ],
          timeouts: { request: '30s', backendRequest: '10s' },
        },
      ],
    });
    expectAccepted(spec, 'gateway');
  });

  it('given only a "*" host and no timeouts, then neither hostnames nor timeouts are written', () => {
    expect(
      httpRouteSpec(
        canaryOf({ gatewayRefs: [GATEWAY], hosts: ['*'] }),
        routesFor(0),
        strategyFor(canaryOf({ gatewayRefs: [GATEWAY], hosts: ['*'] })),
        'gateway',
      ),
    ).toEqual({
      parentRefs: [GATEWAY],
      rules: [{ matches: [ALL], backendRefs: [primary(100), canaryRef(0)] }],
    });
  });

  it('given only timeout, then only the request timeout is set', () => {
    expect(
      httpRouteSpec(
        canaryOf({ gatewayRefs: [GATEWAY], timeout: '5s' }),
        routesFor(0),
        strategyFor(canaryOf({ gatewayRefs: [GATEWAY], timeout: '5s' })),
        'gateway',
      ).rules,
    ).toEqual([{ matches: [ALL], backendRefs: [primary(100), canaryRef(0)], timeouts: { request: '5s' } }]);
  });

  it('given only backendTimeout, then only the backend request timeout is set', () => {
    expect(
      httpRouteSpec(
        canaryOf({ gatewayRefs: [GATEWAY], backendTimeout: '2s' }),
        routesFor(0),
        strategyFor(canaryOf({ gatewayRefs: [GATEWAY], backendTimeout: '2s' })),
        'gateway',
      ).rules,
    ).toEqual([{ matches: [ALL], backendRefs: [primary(100), canaryRef(0)], timeouts: { backendRequest: '2s' } }]);
  });

  it('given service matches, then the weighted rule matches them', () => {
    const c = canaryOf({
      gatewayRefs: [GATEWAY],
      match: [{ uri: { prefix: '/api' } }, { uri: { exact: '/login' }, method: { exact: 'POST' } }],
    });
    const spec = httpRouteSpec(c, routesFor(30), strategyFor(c), 'gateway');
    expect(spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }, { path: { type: 'Exact', value: '/login' }, method: 'POST' }],
        backendRefs: [primary(70), canaryRef(30)],
      },
    ]);
    expectAccepted(spec, 'gateway');
  });

  it('given service.name and another port, then the backends are <name>-primary and <name>-canary on that port', () => {
    const c = canaryOf({ name: 'frontend', port: 8080, gatewayRefs: [GATEWAY] });
    expect(httpRouteSpec(c, routesFor(50), strategyFor(c), 'gateway').rules).toEqual([
      {
        matches: [ALL],
        backendRefs: [
          { kind: 'Service', name: 'frontend-primary', port: 8080, weight: 50 },
          { kind: 'Service', name: 'frontend-canary', port: 8080, weight: 50 },
        ],
      },
    ]);
  });

  it('given a GAMMA parent (the apex Service) in gatewayRefs, then it is the parentRef as written', () => {
    const mesh = { group: '', kind: 'Service', name: 'podinfo', port: 9898 };
    const spec = httpRouteSpec(canaryOf({ gatewayRefs: [mesh] }), routesFor(20), strategyFor(canaryOf({ gatewayRefs: [mesh] })), 'gateway');
    expect(spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }]);
    expectAccepted(spec, 'gateway');
  });
});

describe('httpRouteSpec: filters', () => {
  const withFilters = (extra: Parameters<typeof canaryOf>[0] = {}): Canary =>
    canaryOf({
      gatewayRefs: [GATEWAY],
      headers: {
        request: { set: { 'x-env': 'canary' }, add: { 'x-trace': 'on' }, remove: ['x-debug'] },
        response: { add: { 'x-served-by': 'tollgate' }, remove: ['server'] },
      },
      rewrite: { uri: '/v2', authority: 'internal.example.com' },
      corsPolicy: {
        allowOrigin: ['https://legacy.example.com'],
        allowOrigins: [{ exact: 'https://example.com' }],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['x-token'],
        exposeHeaders: ['x-request-id'],
        allowCredentials: true,
        maxAge: '24h',
      },
      mirror: [{ backendRef: { name: 'shadow', port: 80 } }],
      ...extra,
    });

  it('given header changes, a rewrite without type, CORS and a service mirror, then the rule carries the five filters in that order', () => {
    const spec = httpRouteSpec(withFilters(), routesFor(10), strategyFor(withFilters()), 'gateway');
    expect(spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [{ name: 'x-env', value: 'canary' }],
              add: [{ name: 'x-trace', value: 'on' }],
              remove: ['x-debug'],
            },
          },
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'tollgate' }], remove: ['server'] },
          },
          {
            type: 'URLRewrite',
            urlRewrite: { hostname: 'internal.example.com', path: { type: 'ReplaceFullPath', replaceFullPath: '/v2' } },
          },
          {
            type: 'CORS',
            cors: {
              allowOrigins: ['https://legacy.example.com', 'https://example.com'],
              allowMethods: ['GET', 'POST'],
              allowHeaders: ['x-token'],
              exposeHeaders: ['x-request-id'],
              allowCredentials: true,
              maxAge: 86400,
            },
          },
          { type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow', port: 80 } } },
        ],
        backendRefs: [
          { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
          { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
        ],
      },
    ]);
    expectAccepted(spec, 'gateway');
  });

  it('given rewrite type ReplacePrefixMatch, then the path rewrite replaces the matched prefix', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY], rewrite: { uri: '/v2', type: 'ReplacePrefixMatch' } });
    const spec = httpRouteSpec(c, routesFor(10), strategyFor(c), 'gateway');
    expect((spec.rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } },
    ]);
    expectAccepted(spec, 'gateway');
  });

  it('given rewrite type ReplaceFullPath, then the whole path is replaced', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY], rewrite: { uri: '/index.html', type: 'ReplaceFullPath' } });
    expect((httpRouteSpec(c, routesFor(10), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/index.html' } } },
    ]);
  });

  it('given a rewrite of the authority only, then only the hostname is rewritten', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY], rewrite: { authority: 'internal.example.com' } });
    expect((httpRouteSpec(c, routesFor(10), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'URLRewrite', urlRewrite: { hostname: 'internal.example.com' } },
    ]);
  });

  it('given a rewrite with only a type, then no URLRewrite filter is written', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY], rewrite: { type: 'ReplacePrefixMatch' } });
    expect((httpRouteSpec(c, routesFor(10), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]).not.toHaveProperty(
      'filters',
    );
  });

  it.each<[string, string | undefined, number | undefined]>([
    ['24h', '24h', 86400],
    ['90s', '90s', 90],
    ['1m30s', '1m30s', 90],
    ['1500ms (rounded)', '1500ms', 2],
    ['absent', undefined, undefined],
  ])('given a CORS maxAge of %s, then maxAge is %p seconds', (_title, maxAge, seconds) => {
    const c = canaryOf({
      gatewayRefs: [GATEWAY],
      corsPolicy: { allowOrigins: [{ exact: 'https://a.example.com' }], ...(maxAge ? { maxAge } : {}) },
    });
    const filters = (httpRouteSpec(c, routesFor(0), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.filters as {
      cors: Record<string, unknown>;
    }[];
    expect(filters[0]!.cors).toEqual({ allowOrigins: ['https://a.example.com'], ...(seconds !== undefined ? { maxAge: seconds } : {}) });
  });

  it('given CORS allowCredentials false, then it is written (only undefined is left out)', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY], corsPolicy: { allowMethods: ['GET'], allowCredentials: false } });
    expect((httpRouteSpec(c, routesFor(0), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'CORS', cors: { allowMethods: ['GET'], allowCredentials: false } },
    ]);
  });

  it('given two service mirrors, then each becomes a RequestMirror filter', () => {
    const c = canaryOf({
      gatewayRefs: [GATEWAY],
      mirror: [{ backendRef: { name: 'a', port: 80 } }, { backendRef: { name: 'b', namespace: 'shadow', port: 81 } }],
    });
    const spec = httpRouteSpec(c, routesFor(0), strategyFor(c), 'gateway');
    expect((spec.rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'a', port: 80 } } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'b', namespace: 'shadow', port: 81 } } },
    ]);
    expectAccepted(spec, 'gateway');
  });
});

describe('httpRouteSpec: mirrored blue/green', () => {
  it('given a mirrored step with mirrorWeight 20, then the primary keeps all traffic and a RequestMirror to the canary copies 20 percent', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 5, mirror: true, mirrorWeight: 20 });
    const spec = httpRouteSpec(c, routesFor(0, true), strategyFor(c), 'gateway');
    expect(spec).toEqual({
      parentRefs: [GATEWAY],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          filters: [
            { type: 'RequestMirror', requestMirror: { backendRef: { kind: 'Service', name: 'podinfo-canary', port: 9898 }, percent: 20 } },
          ],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 100 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 0 },
          ],
        },
      ],
    });
    expectAccepted(spec, 'gateway');
  });

  it('given a mirrored step without mirrorWeight, then all traffic is mirrored (no percent)', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 5, mirror: true });
    expect((httpRouteSpec(c, routesFor(0, true), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'RequestMirror', requestMirror: { backendRef: { kind: 'Service', name: 'podinfo-canary', port: 9898 } } },
    ]);
  });

  it('given mirroring and other filters, then the canary mirror comes after the service filters', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], headers: { request: { set: { a: '1' } } } },
      { iterations: 5, mirror: true, mirrorWeight: 50 },
    );
    expect((httpRouteSpec(c, routesFor(0, true), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.filters).toEqual([
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }] } },
      { type: 'RequestMirror', requestMirror: { backendRef: { kind: 'Service', name: 'podinfo-canary', port: 9898 }, percent: 50 } },
    ]);
  });

  it('given mirror in the analysis but routes not mirrored (promotion), then no mirror filter is written', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 5, mirror: true, mirrorWeight: 20 });
    expect(httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway').rules).toEqual([
      { matches: [ALL], backendRefs: [primary(0), canaryRef(100)] },
    ]);
  });

  it('given mirrored routes on the linkerd flavour, then no mirror filter is written (Linkerd has none)', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 5, mirror: true, mirrorWeight: 20 });
    expect(httpRouteSpec(c, routesFor(0, true), strategyFor(c), 'linkerd').rules).toEqual([
      { matches: [ALL], backendRefs: [primary(100), canaryRef(0)] },
    ]);
  });
});

describe('httpRouteSpec: A/B testing', () => {
  const cookie = '^(.*?;)?(canary=always)(;.*)?$';

  it('given a service match and two analysis matches, then the matched rule comes first (service path, both header lists) and a default rule sends the rest to the primary', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ uri: { prefix: '/api' }, headers: { 'x-tenant': { exact: 'acme' } } }], timeout: '15s' },
      {
        iterations: 10,
        match: [
          { headers: { 'x-canary': { exact: 'insider' } } },
          { headers: { cookie: { regex: cookie } }, queryParams: { beta: { exact: '1' } } },
        ],
      },
    );
    const spec = httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway');
    expect(spec).toEqual({
      parentRefs: [GATEWAY],
      rules: [
        {
          matches: [
            {
              path: { type: 'PathPrefix', value: '/api' },
              headers: [
                { name: 'x-tenant', type: 'Exact', value: 'acme' },
                { name: 'x-canary', type: 'Exact', value: 'insider' },
              ],
            },
            {
              path: { type: 'PathPrefix', value: '/api' },
              headers: [
                { name: 'x-tenant', type: 'Exact', value: 'acme' },
                { name: 'cookie', type: 'RegularExpression', value: '^(.*?;)?(canary=always)(;.*)?$' },
              ],
              queryParams: [{ name: 'beta', type: 'Exact', value: '1' }],
            },
          ],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 0 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 100 },
          ],
          timeouts: { request: '15s' },
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-tenant', type: 'Exact', value: 'acme' }] }],
          backendRefs: [{ kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 100 }],
          timeouts: { request: '15s' },
        },
      ],
    });
    expectAccepted(spec, 'gateway');
    expectAccepted(spec, 'linkerd');
  });

  it('given two service matches and two analysis matches, then the matched rule holds every combination, service by service', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' } }] },
      { iterations: 3, match: [{ headers: { 'x-a': { exact: '1' } } }, { headers: { 'x-b': { exact: '2' } } }] },
    );
    expect((httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-a', type: 'Exact', value: '1' }] },
      { path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-b', type: 'Exact', value: '2' }] },
      { path: { type: 'PathPrefix', value: '/v2' }, headers: [{ name: 'x-a', type: 'Exact', value: '1' }] },
      { path: { type: 'PathPrefix', value: '/v2' }, headers: [{ name: 'x-b', type: 'Exact', value: '2' }] },
    ]);
  });

  it('given no service match, then the analysis matches are used alone and the default rule matches every path', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { iterations: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
    const spec = httpRouteSpec(c, routesFor(0), strategyFor(c), 'gateway');
    expect(spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }] }],
        backendRefs: [primary(100), canaryRef(0)],
      },
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [primary(100)] },
    ]);
    expectAccepted(spec, 'gateway');
  });

  it('given a method in both the service and the analysis match, then the analysis method wins', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' } }] },
      { iterations: 2, match: [{ method: { exact: 'post' } }] },
    );
    expect((httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/api' }, method: 'POST' },
    ]);
  });

  it('given a method only in the service match, then it is kept in the merged match', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' } }] },
      { iterations: 2, match: [{ headers: { a: { exact: '1' } } }] },
    );
    expect((httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway').rules as Record<string, unknown>[])[0]!.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'a', type: 'Exact', value: '1' }], method: 'GET' },
    ]);
  });

  it('given filters, then both the matched and the default rule carry them', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], headers: { request: { remove: ['x-debug'] } } },
      { iterations: 2, match: [{ headers: { a: { exact: '1' } } }] },
    );
    const rules = httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway').rules as Record<string, unknown>[];
    const f = [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x-debug'] } }];
    expect(rules.map((r) => r.filters)).toEqual([f, f]);
  });

  it('given stepWeight and match but no iterations, then it is not A/B and there is one weighted rule', () => {
    const c = canaryOf({ gatewayRefs: [GATEWAY] }, { stepWeight: 10, match: [{ headers: { a: { exact: '1' } } }] });
    expect(httpRouteSpec(c, routesFor(10), strategyFor(c), 'gateway').rules).toEqual([
      { matches: [ALL], backendRefs: [primary(90), canaryRef(10)] },
    ]);
  });

  it('given the same header in the service and the analysis match, then the route stays valid (the analysis condition wins)', () => {
    const c = canaryOf(
      { gatewayRefs: [GATEWAY], match: [{ headers: { 'x-env': { exact: 'prod' } } }] },
      { iterations: 2, match: [{ headers: { 'x-env': { exact: 'beta' } } }] },
    );
    const spec = httpRouteSpec(c, routesFor(100), strategyFor(c), 'gateway');
    expect(admitSpec(Resources.httpRoutesV1, spec).errors).toEqual([]);
  });
});

describe("httpRouteSpec: Linkerd's flavour", () => {
  it('given every filter kind and no gatewayRefs, then only the request header filter is kept and the parent is the apex Service', () => {
    const c = canaryOf({
      hosts: ['podinfo.test.svc.cluster.local'],
      timeout: '30s',
      headers: { request: { set: { 'x-env': 'canary' } }, response: { add: { 'x-served-by': 'tollgate' } } },
      rewrite: { uri: '/v2' },
      corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }] },
      mirror: [{ backendRef: { name: 'shadow', port: 80 } }],
    });
    const spec = httpRouteSpec(c, routesFor(10), strategyFor(c), 'linkerd');
    expect(spec).toEqual({
      parentRefs: [{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }],
      hostnames: ['podinfo.test.svc.cluster.local'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-env', value: 'canary' }] } }],
          backendRefs: [
            { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 90 },
            { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 10 },
          ],
          timeouts: { request: '30s' },
        },
      ],
    });
    expectAccepted(spec, 'linkerd');
  });

  it('given service.name and no gatewayRefs, then the parent is the apex Service of that name', () => {
    expect(parentRefs(canaryOf({ name: 'frontend', port: 8080 }), 'linkerd')).toEqual([
      { group: 'core', kind: 'Service', name: 'frontend', port: 8080 },
    ]);
  });

  it('given gatewayRefs, then they are the parents for both flavours', () => {
    const refs = [{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }];
    expect(parentRefs(canaryOf({ gatewayRefs: refs }), 'linkerd')).toEqual([
      { group: 'core', kind: 'Service', name: 'podinfo', port: 9898 },
    ]);
    expect(parentRefs(canaryOf({ gatewayRefs: refs }), 'gateway')).toEqual([
      { group: 'core', kind: 'Service', name: 'podinfo', port: 9898 },
    ]);
  });

  it('given no gatewayRefs on the gateway flavour, then there are no parents (validate reports it)', () => {
    expect(parentRefs(canaryOf(), 'gateway')).toEqual([]);
    expect(parentRefs(canaryOf({ gatewayRefs: [] }), 'gateway')).toEqual([]);
  });

  it('given only response headers on the linkerd flavour, then the rule has no filters at all', () => {
    const c = canaryOf({ headers: { response: { set: { a: '1' } } } });
    expect((httpRouteSpec(c, routesFor(0), strategyFor(c), 'linkerd').rules as Record<string, unknown>[])[0]).not.toHaveProperty('filters');
  });
});

describe('routesOfHttpRoute', () => {
  const gw = [GATEWAY];
  it.each<[string, Canary, Routes]>([
    ['a plain canary at 10%', canaryOf({ gatewayRefs: gw }), routesFor(10)],
    ['no canary traffic', canaryOf({ gatewayRefs: gw }), routesFor(0)],
    ['all traffic on the canary', canaryOf({ gatewayRefs: gw }), routesFor(100)],
    [
      'filters and timeouts',
      canaryOf({
        gatewayRefs: gw,
        headers: { request: { set: { a: '1' } } },
        timeout: '3s',
        mirror: [{ backendRef: { name: 'shadow', port: 80 } }],
      }),
      routesFor(35),
    ],
    ['a mirrored step', canaryOf({ gatewayRefs: gw }, { iterations: 3, mirror: true, mirrorWeight: 10 }), routesFor(0, true)],
    ['an A/B run', canaryOf({ gatewayRefs: gw }, { iterations: 3, match: [{ headers: { a: { exact: '1' } } }] }), routesFor(100)],
    ['a service name', canaryOf({ name: 'frontend', gatewayRefs: gw }), routesFor(45)],
  ])('given the gateway spec written for %s, then the same routes are read back', (_title, c, routes) => {
    expect(routesOfHttpRoute(c, copy(httpRouteSpec(c, routes, strategyFor(c), 'gateway')))).toEqual(routes);
  });

  it.each<[number]>([[0], [10], [50], [100]])('given the linkerd spec written for %d%%, then the same routes are read back', (w) => {
    expect(routesOfHttpRoute(canaryOf(), copy(httpRouteSpec(canaryOf(), routesFor(w), strategyFor(canaryOf()), 'linkerd')))).toEqual(
      routesFor(w),
    );
  });

  it.each<[string, Record<string, unknown>[], Routes]>([
    [
      'no weight on either backend (each means 1)',
      [{ name: 'podinfo-primary' }, { name: 'podinfo-canary' }],
      { primaryWeight: 50, canaryWeight: 50, mirrored: false },
    ],
    [
      'weight 3 on the primary and none on the canary',
      [{ name: 'podinfo-primary', weight: 3 }, { name: 'podinfo-canary' }],
      { primaryWeight: 75, canaryWeight: 25, mirrored: false },
    ],
    [
      'weights 0 and 0',
      [
        { name: 'podinfo-primary', weight: 0 },
        { name: 'podinfo-canary', weight: 0 },
      ],
      { primaryWeight: 100, canaryWeight: 0, mirrored: false },
    ],
    [
      'weights 1 and 2',
      [
        { name: 'podinfo-primary', weight: 1 },
        { name: 'podinfo-canary', weight: 2 },
      ],
      { primaryWeight: 33, canaryWeight: 67, mirrored: false },
    ],
    [
      'weights 900 and 100',
      [
        { name: 'podinfo-canary', weight: 100 },
        { name: 'podinfo-primary', weight: 900 },
      ],
      { primaryWeight: 90, canaryWeight: 10, mirrored: false },
    ],
  ])('given backendRefs with %s, then the weights are read as percentages', (_title, backendRefs, routes) => {
    expect(routesOfHttpRoute(canaryOf(), { rules: [{ backendRefs }] })).toEqual(routes);
  });

  it('given a rule for other backends first, then the split rule after it is read', () => {
    const spec = { rules: [{ backendRefs: [{ name: 'other', weight: 1 }] }, { backendRefs: [primary(80), canaryRef(20)] }] };
    expect(routesOfHttpRoute(canaryOf(), spec)).toEqual({ primaryWeight: 80, canaryWeight: 20, mirrored: false });
  });

  it('given a RequestMirror to another backend, then the routes are not mirrored', () => {
    const spec = {
      rules: [
        {
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow' } } }],
          backendRefs: [primary(100), canaryRef(0)],
        },
      ],
    };
    expect(routesOfHttpRoute(canaryOf(), spec)?.mirrored).toBe(false);
  });

  it.each<[string, Record<string, unknown> | undefined]>([
    ['no spec', undefined],
    ['no rules', { parentRefs: [] }],
    ['a rule without backendRefs', { rules: [{ matches: [ALL] }] }],
    ['only the primary (the A/B default rule)', { rules: [{ backendRefs: [primary(100)] }] }],
    ['primary and canary in two rules', { rules: [{ backendRefs: [primary(100)] }, { backendRefs: [canaryRef(100)] }] }],
    [
      'backends of another Canary',
      {
        rules: [
          {
            backendRefs: [
              { name: 'frontend-primary', weight: 50 },
              { name: 'frontend-canary', weight: 50 },
            ],
          },
        ],
      },
    ],
  ])('given %s, then there are no routes', (_title, spec) => {
    expect(routesOfHttpRoute(canaryOf(), spec)).toBeUndefined();
  });
});

describe('the upstream schema check itself', () => {
  it('given fields the schema does not know and values it refuses, then they are reported (so the checks above can fail)', () => {
    const spec = {
      parentRefs: [{ name: 'gw', bogus: 1 }],
      hostnames: ['*'],
      rules: [
        {
          matches: [
            {
              path: { type: 'Prefix', value: '/' },
              headers: [
                { name: 'a', value: '1' },
                { name: 'a', value: '2' },
              ],
            },
          ],
          backendRefs: [{ name: 'x', weight: -1 }],
        },
      ],
    };
    const a = admitSpec(Resources.httpRoutesV1, spec);
    expect(a.pruned).toEqual(['.spec.parentRefs[0].bogus']);
    expect(a.errors).toEqual([
      '.spec.hostnames[0]: "*" does not match ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      '.spec.rules[0].matches[0].path.type: "Prefix" is not one of ["Exact","PathPrefix","RegularExpression"]',
      '.spec.rules[0].matches[0].headers: duplicate entry for key ["a"]',
      '.spec.rules[0].backendRefs[0].weight: -1 is less than 0',
    ]);
  });

  it('given a route without defaults, then the stored copy carries the defaults the API server adds', () => {
    expect(
      admitSpec(Resources.httpRoutesV1, {
        parentRefs: [{ name: 'gw' }],
        rules: [{ backendRefs: [{ name: 'podinfo-primary', port: 9898 }] }],
      }).stored,
    ).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 1 }],
        },
      ],
    });
  });
});
