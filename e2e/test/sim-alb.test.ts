import { Resources } from '@tollgate/operator/kube/resources';
import { canaryWeightOf } from '../src/harness/route-readers.js';
import type { SyntheticRequest } from '../src/sim/istio-match.js';
import { fromAlbIngress, fromVirtualService, type MeshObject } from '../src/sim/routes.js';

const A = 'alb.ingress.kubernetes.io';
const actionPath = (name: string) => ({ path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'use-annotation' } } } });
const forward = (...groups: [string, number][]): string =>
  JSON.stringify({
    type: 'forward',
    forwardConfig: { targetGroups: groups.map(([serviceName, weight]) => ({ serviceName, servicePort: '9898', weight })) },
  });
const albIngress = (annotations: Record<string, string>, paths = [actionPath('podinfo')]): MeshObject => ({
  metadata: { name: 'web', namespace: 'test', annotations },
  spec: { rules: [{ host: 'podinfo.example.com', http: { paths } }] },
});
const req = (headers: Record<string, string> = {}): SyntheticRequest => ({ path: '/', method: 'GET', headers });

describe('the data-plane stand-in reads ALB Ingresses', () => {
  it('given the apex action at 70/30, then requests split 70/30 and the route reader reads 30', () => {
    const o = albIngress({ [`${A}/actions.podinfo`]: forward(['podinfo-primary', 70], ['podinfo-canary', 30]) });
    const t = fromAlbIngress(o)!;
    expect(t.apex).toBe('podinfo');
    expect(t.rules.find((r) => r.applies(req()))!.backends).toEqual([
      { service: 'podinfo-primary', weight: 70 },
      { service: 'podinfo-canary', weight: 30 },
    ]);
    expect(canaryWeightOf({ resource: Resources.ingresses, kind: 'alb' }, o, 'podinfo')).toBe(30);
  });

  it('given a match action with a wildcard header condition before the apex path, then matched requests go to the canary, others to the primary', () => {
    const o = albIngress(
      {
        [`${A}/actions.podinfo`]: forward(['podinfo-primary', 100], ['podinfo-canary', 0]),
        [`${A}/actions.podinfo-canary`]: forward(['podinfo-canary', 100]),
        [`${A}/conditions.podinfo-canary`]: JSON.stringify([
          { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'X-Canary', values: ['in*'] } },
        ]),
      },
      [actionPath('podinfo-canary'), actionPath('podinfo')],
    );
    const t = fromAlbIngress(o)!;
    expect(t.apex).toBe('podinfo');
    const to = (r: SyntheticRequest): string => t.rules.find((x) => x.applies(r))!.backends.find((b) => b.weight > 0)!.service;
    expect([to(req({ 'x-canary': 'insider' })), to(req({ 'x-canary': 'out' })), to(req())]).toEqual([
      'podinfo-canary',
      'podinfo-primary',
      'podinfo-primary',
    ]);
  });

  it('given an Ingress whose paths go to port numbers, or without the action annotation, then it is no ALB route', () => {
    const numbered = albIngress({ [`${A}/actions.podinfo`]: forward(['podinfo-primary', 100]) }, [
      { path: '/', pathType: 'Prefix', backend: { service: { name: 'podinfo', port: { number: 9898 } } } } as never,
    ]);
    expect(fromAlbIngress(numbered)).toBeUndefined();
    expect(fromAlbIngress(albIngress({}))).toBeUndefined();
  });
});

describe('the data-plane stand-in reads VirtualService tcp routes', () => {
  it('given a tcp rule matching the port at 75/25, then requests split by it and the route reader reads 25', () => {
    const dest = (host: string, weight: number) => ({ destination: { host, port: { number: 9898 } }, weight });
    const vs: MeshObject = {
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: { hosts: ['podinfo'], tcp: [{ match: [{ port: 9898 }], route: [dest('podinfo-primary', 75), dest('podinfo-canary', 25)] }] },
    };
    expect(fromVirtualService(vs).rules.find((r) => r.applies(req()))!.backends).toEqual([
      { service: 'podinfo-primary', weight: 75 },
      { service: 'podinfo-canary', weight: 25 },
    ]);
    expect(canaryWeightOf({ resource: Resources.virtualServices, kind: 'istio' }, vs, 'podinfo')).toBe(25);
  });
});
