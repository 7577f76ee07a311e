import { canaryWeightOf } from '../src/harness/route-readers.js';
import { Resources } from '@tollgate/operator/kube/resources';
import { nginxCanaryMatcher, type SyntheticRequest } from '../src/sim/istio-match.js';
import { skipperRouteId } from '../src/sim/mesh-metrics.js';
import { fromCanaryIngress, fromNginxCanary, fromSkipperCanary, mainIngressOf, type MeshObject } from '../src/sim/routes.js';

const P = 'nginx.ingress.kubernetes.io';
const ingress = (name: string, service: string, annotations: Record<string, string> = {}, host = 'podinfo.example.com'): MeshObject => ({
  metadata: { name, namespace: 'test', annotations },
  spec: {
    rules: [
      { host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 9898 } } } }] } },
    ],
  },
});
const req = (headers: Record<string, string> = {}): SyntheticRequest => ({ path: '/', method: 'GET', headers });

describe('the data-plane stand-in reads NGINX canary Ingresses', () => {
  const user = ingress('podinfo', 'podinfo');
  const clone = ingress('podinfo-canary', 'podinfo-canary', { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '30' });

  it('given a canary Ingress and the user Ingress of the same host and path, then the user Ingress and its Service are found', () => {
    expect(mainIngressOf(clone, [clone, ingress('other', 'other', {}, 'other.example.com'), user])).toEqual({
      ingress: 'podinfo',
      service: 'podinfo',
    });
    expect(mainIngressOf(clone, [clone])).toBeUndefined();
  });

  it('given canary-weight 30, then unmatched requests split 70/30 between the user Service and the canary Service, under the Ingress name', () => {
    const t = fromNginxCanary(clone, { ingress: 'podinfo', service: 'podinfo' })!;
    expect({ apex: t.apex, ingress: t.ingress }).toEqual({ apex: 'podinfo', ingress: 'podinfo' });
    expect(t.rules.find((r) => r.applies(req()))!.backends).toEqual([
      { service: 'podinfo', weight: 70 },
      { service: 'podinfo-canary', weight: 30 },
    ]);
    expect(canaryWeightOf({ resource: Resources.ingresses, kind: 'nginx' }, clone, 'podinfo')).toBe(30);
  });

  it('given an Ingress not marked canary "true", then it is not a route of its own and carries no weight', () => {
    expect(fromNginxCanary(user, { ingress: 'podinfo', service: 'podinfo' })).toBeUndefined();
    expect(canaryWeightOf({ resource: Resources.ingresses, kind: 'nginx' }, user, 'podinfo')).toBeUndefined();
  });

  it.each<[string, 'canary' | 'main' | undefined, Record<string, string>, Record<string, string>]>([
    ['the header value', 'canary', { 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'insider' }, { 'x-canary': 'insider' }],
    ['another header value', undefined, { 'canary-by-header': 'x-canary', 'canary-by-header-value': 'insider' }, { 'x-canary': 'other' }],
    [
      'the header pattern',
      'canary',
      { 'canary-by-header': 'user-agent', 'canary-by-header-pattern': 'Firefox' },
      { 'user-agent': 'Mozilla Firefox/1' },
    ],
    ['header "always"', 'canary', { 'canary-by-header': 'x-canary' }, { 'x-canary': 'always' }],
    ['header "never"', 'main', { 'canary-by-header': 'x-canary' }, { 'x-canary': 'never' }],
    ['cookie "always"', 'canary', { 'canary-by-cookie': 'canary' }, { cookie: 'a=1; canary=always' }],
    ['cookie "never"', 'main', { 'canary-by-cookie': 'canary' }, { cookie: 'canary=never' }],
    ['no header nor cookie', undefined, { 'canary-by-header': 'x-canary', 'canary-by-cookie': 'canary' }, {}],
  ])('given %s, then ingress-nginx would send the request to %s', (_t, expected, annotations, headers) => {
    const a = Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}/${k}`, v]));
    expect(nginxCanaryMatcher(a)(req(headers))).toBe(expected);
  });
});

describe('the data-plane stand-in reads Skipper canary Ingresses', () => {
  const W = 'zalando.org/backend-weights';
  const PRED = 'zalando.org/skipper-predicate';
  const user = ingress('podinfo', 'podinfo');
  const clone = (annotations: Record<string, string>): MeshObject => {
    const o = ingress('podinfo-canary', 'podinfo-primary', annotations);
    const paths = (o.spec!.rules as { http: { paths: Record<string, unknown>[] } }[])[0]!.http.paths;
    paths.push({ ...paths[0], backend: { service: { name: 'podinfo-canary', port: { number: 9898 } } } });
    return o;
  };
  const reader = { resource: Resources.ingresses, kind: 'skipper' as const };

  it('given backend weights 75/25 and Weight(100), then requests split 75/25 on the canary Ingress route', () => {
    const c = clone({ [W]: '{"podinfo-primary":75,"podinfo-canary":25}', [PRED]: 'Weight(100)' });
    const t = fromCanaryIngress(c, [user, c])!;
    expect(t.rules[0]!.backends).toEqual([
      { service: 'podinfo-primary', weight: 75 },
      { service: 'podinfo-canary', weight: 25 },
    ]);
    expect(t.skipperRoute).toEqual({ ingress: 'podinfo-canary', host: 'podinfo.example.com', path: '/' });
    expect(canaryWeightOf(reader, c, 'podinfo')).toBe(25);
  });

  it("given False(), then the user's Ingress serves everything and the canary's weight reads 0", () => {
    const c = clone({ [W]: '{"podinfo-primary":100,"podinfo-canary":0}', [PRED]: 'False()' });
    const t = fromSkipperCanary(c, { ingress: 'podinfo', service: 'podinfo' })!;
    expect(t.rules[0]!.backends).toEqual([
      { service: 'podinfo', weight: 100 },
      { service: 'podinfo-canary', weight: 0 },
    ]);
    expect(t.skipperRoute?.ingress).toBe('podinfo');
    expect(canaryWeightOf(reader, c, 'podinfo')).toBe(0);
  });

  it("given a route, then its id is Skipper's, as Flagger's skipper queries match it", () => {
    const id = skipperRouteId('skipper-x1', { ingress: 'podinfo-canary', host: 'podinfo.example.com', path: '/' }, 'podinfo-canary');
    expect(id).toBe('kube_skipper_x1__podinfo_canary__podinfo_example_com_____podinfo_canary');
    expect(id).toMatch(/^kube(ew)?_skipper_x1__podinfo_canary__.*__podinfo_canary(_[0-9]+)?$/);
  });
});
