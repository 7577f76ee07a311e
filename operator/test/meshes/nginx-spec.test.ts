import type { Canary } from '../../src/api/types.js';
import { routesFor, type RouteStrategy } from '../../src/meshes/router.js';
import type { Ingress } from '../../src/meshes/ingress.js';
import { canaryAnnotations, canaryIngress, canaryIngressSpec, nginxMatch, routesOfCanaryIngress } from '../../src/meshes/nginx/spec.js';

const P = 'nginx.ingress.kubernetes.io';
const canary: Canary = {
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test', uid: 'u1' },
  spec: {
    provider: 'nginx',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' },
    service: { port: 9898 },
  },
};
const owner = { apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'u1', controller: true };
const weighted: RouteStrategy = { strategy: 'canary', match: [] };
const ab = (match: Record<string, unknown>[]): RouteStrategy => ({ strategy: 'ab-testing', match });
const backend = (name: string): Record<string, unknown> => ({ service: { name, port: { number: 80 } } });

const userIngress = (annotations: Record<string, string> = {}): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'test', labels: { app: 'web' }, annotations },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['app.example.com'], secretName: 'tls' }],
    rules: [
      {
        host: 'app.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: backend('podinfo') },
            { path: '/static', pathType: 'Prefix', backend: backend('assets') },
          ],
        },
      },
      { host: 'api.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('podinfo') }] } },
    ],
  },
});

describe('canaryIngressSpec', () => {
  it('given an Ingress, then every backend naming the apex Service goes to the canary Service, the rest is kept as is', () => {
    const spec = canaryIngressSpec(userIngress().spec, 'podinfo', 'podinfo-canary')!;
    expect(spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['app.example.com'], secretName: 'tls' }],
      rules: [
        {
          host: 'app.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: backend('podinfo-canary') },
              { path: '/static', pathType: 'Prefix', backend: backend('assets') },
            ],
          },
        },
        { host: 'api.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('podinfo-canary') }] } },
      ],
    });
  });

  it('given a defaultBackend naming the apex, then it is renamed too; the user spec is not changed', () => {
    const user = { defaultBackend: backend('podinfo') };
    expect(canaryIngressSpec(user, 'podinfo', 'podinfo-canary')).toEqual({ defaultBackend: backend('podinfo-canary') });
    expect(user).toEqual({ defaultBackend: backend('podinfo') });
  });

  it.each([
    ['no backend names the apex', { rules: [{ http: { paths: [{ path: '/', backend: backend('other') }] } }] }],
    ['a rule without http', { rules: [{ host: 'a.example.com' }] }],
    ['no spec', undefined],
  ])('given %s, then there is no clone', (_t, spec) => {
    expect(canaryIngressSpec(spec, 'podinfo', 'podinfo-canary')).toBeUndefined();
  });
});

describe('canaryAnnotations', () => {
  it('given a weighted canary, then the user annotations are kept, canary ones and last-applied dropped, canary true and the weight set', () => {
    const user = {
      [`${P}/rewrite-target`]: '/',
      [`${P}/canary-by-header`]: 'x-user',
      [`${P}/canary-weight-total`]: '1000',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    };
    expect(canaryAnnotations(user, routesFor(25), weighted)).toEqual({
      [`${P}/rewrite-target`]: '/',
      [`${P}/canary`]: 'true',
      [`${P}/canary-weight`]: '25',
    });
  });

  it.each<[string, Record<string, unknown>[], Record<string, string>]>([
    [
      'an exact header',
      [{ headers: { 'x-canary': { exact: 'insider' } } }],
      { 'canary-by-header': 'x-canary', 'canary-by-header-value': 'insider' },
    ],
    [
      'a header regex',
      [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }],
      { 'canary-by-header': 'user-agent', 'canary-by-header-pattern': '.*Firefox.*' },
    ],
    [
      'a header prefix',
      [{ headers: { 'x-tier': { prefix: 'beta.' } } }],
      { 'canary-by-header': 'x-tier', 'canary-by-header-pattern': '^beta\\.' },
    ],
    ['a cookie', [{ headers: { cookie: { exact: 'canary' } } }], { 'canary-by-cookie': 'canary' }],
    [
      'a header or a cookie (Flagger tutorial)',
      [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { exact: 'canary' } } }],
      { 'canary-by-header': 'x-canary', 'canary-by-header-value': 'insider', 'canary-by-cookie': 'canary' },
    ],
  ])('given A/B testing with %s while the canary is on, then the match annotations and weight 0', (_t, match, expected) => {
    const want = Object.fromEntries(Object.entries(expected).map(([k, v]) => [`${P}/${k}`, v]));
    expect(canaryAnnotations({}, routesFor(100), ab(match))).toEqual({ [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '0', ...want });
  });

  it('given A/B testing when the canary is off (promotion done, rollback), then no match annotation and weight 0', () => {
    expect(canaryAnnotations({}, routesFor(0), ab([{ headers: { 'x-canary': { exact: 'insider' } } }]))).toEqual({
      [`${P}/canary`]: 'true',
      [`${P}/canary-weight`]: '0',
    });
  });
});

describe('nginxMatch refuses what nginx cannot express', () => {
  it.each<[string, Record<string, unknown>[], string]>([
    [
      'a uri condition',
      [{ uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'a' } } }],
      'analysis.match[0].uri: nginx routes to the canary by one request header or one cookie only',
    ],
    ['a query condition', [{ queryParams: { beta: { exact: '1' } } }], 'analysis.match[0].queryParams: nginx routes'],
    [
      'two headers in one entry',
      [{ headers: { a: { exact: '1' }, b: { exact: '2' } } }],
      'nginx cannot require several conditions at once (a, b)',
    ],
    [
      'two different headers',
      [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }],
      'analysis.match[1]: nginx routes by one header only (a and b)',
    ],
    ['two cookies', [{ headers: { cookie: { exact: 'a' } } }, { headers: { cookie: { exact: 'b' } } }], 'nginx routes by one cookie only'],
    ['a cookie regex', [{ headers: { cookie: { regex: 'canary=.*' } } }], "give the cookie's name as exact"],
    ['a presence match', [{ headers: { 'x-canary': {} } }], 'nginx cannot match the presence of a header'],
    ['an entry without conditions', [{}], 'analysis.match[0]: needs a header or cookie condition for nginx'],
  ])('given %s, then an error says why', (_t, match, message) => {
    expect(nginxMatch(match).errors.join('; ')).toContain(message);
  });

  it('given the same header in two entries, then it is one condition and no error', () => {
    const m = [{ headers: { 'x-canary': { exact: 'a' } } }, { name: 'again', headers: { 'x-canary': { exact: 'a' } } }];
    expect(nginxMatch(m)).toEqual({ match: { header: { name: 'x-canary', value: 'a' } }, errors: [] });
  });
});

describe('canaryIngress', () => {
  it('given the user Ingress, then the clone is <ingress>-canary, owned by the Canary, with its labels and the canary annotations', () => {
    const clone = canaryIngress(userIngress({ team: 'a' }), canary, routesFor(10), weighted, owner)!;
    expect(clone.metadata).toMatchObject({
      name: 'web-canary',
      namespace: 'test',
      labels: { app: 'web', 'tollgate.dev/canary': 'podinfo' },
      ownerReferences: [owner],
      annotations: { team: 'a', [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '10' },
    });
  });

  it('given an Ingress without the apex backend, then there is no clone', () => {
    const user = userIngress();
    user.spec = { rules: [{ http: { paths: [{ path: '/', backend: backend('other') }] } }] };
    expect(canaryIngress(user, canary, routesFor(0), weighted, owner)).toBeUndefined();
  });
});

describe('routesOfCanaryIngress', () => {
  const live = (annotations: Record<string, string>): Ingress => ({ metadata: { name: 'web-canary', annotations } });

  it.each<[string, number, Record<string, string>]>([
    ['canary-weight 30', 30, { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '30' }],
    ['a header match (A/B)', 100, { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '0', [`${P}/canary-by-header`]: 'x' }],
    ['a cookie match (A/B)', 100, { [`${P}/canary`]: 'true', [`${P}/canary-by-cookie`]: 'c' }],
    ['no weight', 0, { [`${P}/canary`]: 'true' }],
    ['a weight that is not a number', 0, { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '3x' }],
    ['a weight over 100', 0, { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '150' }],
    ['canary not "true"', 0, { [`${P}/canary`]: 'false', [`${P}/canary-weight`]: '30' }],
  ])('given %s, then the canary weight read is %s', (_t, weight, annotations) => {
    expect(routesOfCanaryIngress(live(annotations))).toEqual(routesFor(weight));
  });

  it('given no clone, then undefined', () => {
    expect(routesOfCanaryIngress(undefined)).toBeUndefined();
  });
});
