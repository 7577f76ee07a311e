import type { Canary, CanaryStatus } from '../src/api/types.js';
import { affinityRoutes, affinityStatus, cookieRegex, cookieValue } from '../src/core/affinity.js';
import { httpRouteSpec } from '../src/meshes/gateway-api/spec.js';
import { routesFor } from '../src/meshes/router.js';
import { strategyFor } from './fakes/router-fixtures.js';

const canary = (sessionAffinity: NonNullable<Canary['spec']['analysis']>['sessionAffinity']): Canary => ({
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: {
    targetRef: { kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898, gatewayRefs: [{ name: 'public', namespace: 'gateways' }] },
    analysis: { interval: '30s', stepWeight: 10, maxWeight: 50, sessionAffinity },
  },
});

describe('cookies', () => {
  it('given random bytes, then the value is 16 letters', () => {
    expect(cookieValue(() => Buffer.from(Array.from({ length: 16 }, (_, i) => i)))).toBe('abcdefghijklmnop');
  });

  it('given a new run, then fresh cookies are made and the previous canary cookie is kept for expiry', () => {
    const values = ['AAA', 'BBB'];
    const s = affinityStatus(canary({ cookieName: 'c', primaryCookieName: 'p' }).spec, { sessionAffinityCookie: 'c=OLD' }, () =>
      values.shift()!,
    );
    expect(s).toEqual({ sessionAffinityCookie: 'c=AAA', previousSessionAffinityCookie: 'c=OLD', primarySessionAffinityCookie: 'p=BBB' });
  });

  it('given a cookie with regex characters, then the match escapes them', () => {
    expect(cookieRegex('a.b=c+d')).toBe('.*a\\.b=c\\+d.*');
  });
});

describe('affinityRoutes', () => {
  const spec = canary({ cookieName: 'c', primaryCookieName: 'p', maxAge: 60, secure: true, sameSite: 'Lax', domain: 'example.com' }).spec;
  const running: CanaryStatus = {
    canaryWeight: 20,
    sessionAffinityCookie: 'c=X',
    primarySessionAffinityCookie: 'p=Y',
    previousSessionAffinityCookie: 'c=W',
  };

  it("given a canary taking traffic, then both cookies are set and the previous run's expired; the primary cookie lasts one interval", () => {
    expect(affinityRoutes(spec, running, 30_000)).toEqual({
      canaryCookie: 'c=X',
      primaryCookie: 'p=Y',
      expiredCookie: 'c=W',
      attributes: 'Path=/; Domain=example.com; Secure; SameSite=Lax',
      canaryMaxAge: 60,
      primaryMaxAge: 30,
    });
  });

  it("given the run over (weight 0), then only the run's canary cookie is expired", () => {
    expect(affinityRoutes(spec, { ...running, canaryWeight: 0 }, 30_000)).toMatchObject({ expiredCookie: 'c=X' });
    expect(affinityRoutes(spec, { ...running, canaryWeight: 0 }, 30_000)?.canaryCookie).toBeUndefined();
  });

  it('given no session affinity or a blue/green run, then nothing', () => {
    expect(affinityRoutes(canary(undefined).spec, running, 30_000)).toBeUndefined();
    const bg = canary({ cookieName: 'c' });
    bg.spec.analysis = { ...bg.spec.analysis, stepWeight: undefined, iterations: 3 };
    expect(affinityRoutes(bg.spec, running, 30_000)).toBeUndefined();
  });
});

describe('httpRouteSpec with session affinity', () => {
  it('given a canary at 20 with both cookies, then sticky rules come first and the weighted backends set the cookies', () => {
    const c = canary({ cookieName: 'c', primaryCookieName: 'p', maxAge: 60 });
    const aff = affinityRoutes(c.spec, { canaryWeight: 20, sessionAffinityCookie: 'c=X', primarySessionAffinityCookie: 'p=Y' }, 30_000);
    const spec = httpRouteSpec(c, routesFor(20, false, aff), strategyFor(c), 'gateway');
    const setCookie = (value: string): object => ({
      type: 'ResponseHeaderModifier',
      responseHeaderModifier: { add: [{ name: 'Set-Cookie', value }] },
    });
    const path = { type: 'PathPrefix', value: '/' };
    expect(spec.rules).toEqual([
      {
        matches: [{ path, headers: [{ type: 'RegularExpression', name: 'Cookie', value: '.*c=X.*' }] }],
        backendRefs: [{ kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 1, filters: [setCookie('c=X; Max-Age=60; Path=/')] }],
      },
      {
        matches: [{ path, headers: [{ type: 'RegularExpression', name: 'Cookie', value: '.*p=Y.*' }] }],
        backendRefs: [{ kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 1, filters: [setCookie('p=Y; Max-Age=30; Path=/')] }],
      },
      {
        matches: [{ path }],
        backendRefs: [
          { kind: 'Service', name: 'podinfo-primary', port: 9898, weight: 80, filters: [setCookie('p=Y; Max-Age=30; Path=/')] },
          { kind: 'Service', name: 'podinfo-canary', port: 9898, weight: 20, filters: [setCookie('c=X; Max-Age=60; Path=/')] },
        ],
      },
    ]);
  });
});
