import type { CanaryAnalysis, CanaryService } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { isTcpPort, routesOfVirtualService, tcpPortErrors, virtualServiceSpec } from '../../src/meshes/istio/spec.js';
import { routesFor } from '../../src/meshes/router.js';
import { canaryOf, strategyFor } from '../fakes/router-fixtures.js';
import { aCanary, aDeployment, NS, World } from '../fakes/world.js';

const TCP: Partial<CanaryService> = { portName: 'tcp' };
const dest = (host: string, weight: number) => ({ destination: { host, port: { number: 9898 } }, weight });

describe("Istio's protocol of the Canary's port", () => {
  it.each<[Partial<CanaryService>, boolean]>([
    [{}, false],
    [{ portName: 'http' }, false],
    [{ portName: 'grpc' }, false],
    [{ portName: 'grpc-web' }, false],
    [{ portName: 'tcp' }, true],
    [{ portName: 'tcp-db' }, true],
    [{ portName: 'mongo' }, true],
    [{ portName: 'redis-cache' }, true],
    [{ portName: 'tcpish' }, false],
    [{ appProtocol: 'TCP' }, true],
    [{ appProtocol: 'tcp', portName: 'http' }, true],
    [{ appProtocol: 'grpc', portName: 'tcp' }, false],
    [{ appProtocol: 'kubernetes.io/h2c' }, false],
  ])('given %j, then TCP is %s', (service, tcp) => {
    expect(isTcpPort(canaryOf(service))).toBe(tcp);
  });
});

describe('the VirtualService of a TCP port', () => {
  it('given a mesh-only Canary at 25%, then one tcp rule matches the port and weighs primary and canary; no http rule', () => {
    const c = canaryOf(TCP);
    expect(virtualServiceSpec(c, routesFor(25), strategyFor(c))).toEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      tcp: [{ match: [{ port: 9898 }], route: [dest('podinfo-primary', 75), dest('podinfo-canary', 25)] }],
    });
  });

  it('given gateways, then the tcp rule matches no port (a connection arrives on the gateway port)', () => {
    const c = canaryOf({ ...TCP, gateways: ['istio-system/tcp-gateway'], hosts: ['*'] });
    expect(virtualServiceSpec(c, routesFor(0), strategyFor(c))).toEqual({
      hosts: ['*'],
      gateways: ['istio-system/tcp-gateway'],
      tcp: [{ route: [dest('podinfo-primary', 100), dest('podinfo-canary', 0)] }],
    });
  });

  it('given the spec written, then the split reads back from the tcp rule', () => {
    const c = canaryOf(TCP);
    expect(routesOfVirtualService(c, virtualServiceSpec(c, routesFor(40), strategyFor(c)))).toEqual(routesFor(40));
  });

  it('given a gRPC port with retries and a timeout, then an http rule carries them', () => {
    const retries = { attempts: 3, perTryTimeout: '1s', retryOn: 'unavailable,cancelled' };
    const c = canaryOf({ portName: 'grpc', retries, timeout: '5s' });
    expect(virtualServiceSpec(c, routesFor(10), strategyFor(c)).http).toEqual([
      { timeout: '5s', retries, route: [dest('podinfo-primary', 90), dest('podinfo-canary', 10)] },
    ]);
    expect(tcpPortErrors(c, strategyFor(c))).toEqual([]);
  });
});

describe('tcpPortErrors', () => {
  const why = 'service port 9898 is TCP to Istio (port name tcp): tcp routes have no';

  it.each<[string, Partial<CanaryService>, CanaryAnalysis, string[]]>([
    ['nothing HTTP', {}, { stepWeight: 10 }, []],
    [
      'retries and a timeout',
      { retries: { attempts: 2 }, timeout: '3s' },
      { stepWeight: 10 },
      [`${why} service.retries`, `${why} service.timeout`],
    ],
    [
      'a service match, rewrite and CORS',
      { match: [{ uri: { prefix: '/' } }], rewrite: { uri: '/' }, corsPolicy: {} },
      { stepWeight: 10 },
      [`${why} service.match`, `${why} service.rewrite`, `${why} service.corsPolicy`],
    ],
    [
      'headers and delegation',
      { headers: { request: { set: { a: 'b' } } }, delegation: true },
      { stepWeight: 10 },
      [`${why} service.headers`, `${why} service.delegation`],
    ],
    [
      'an A/B match',
      {},
      { iterations: 2, match: [{ headers: { a: { exact: 'b' } } }] },
      [`${why} header match: analysis.match needs an HTTP port`],
    ],
    ['mirroring', {}, { iterations: 2, mirror: true }, [`${why} mirroring: analysis.mirror needs an HTTP port`]],
    [
      'session affinity',
      {},
      { stepWeight: 10, sessionAffinity: { cookieName: 'c' } },
      [`${why} cookies: analysis.sessionAffinity needs an HTTP port`],
    ],
  ])('given a TCP port with %s, then the errors are %j', (_t, service, analysis, errors) => {
    const c = canaryOf({ ...TCP, ...service }, analysis);
    expect(tcpPortErrors(c, strategyFor(c))).toEqual(errors);
  });

  it('given an HTTP port with retries, mirroring and session affinity, then no error', () => {
    const c = canaryOf({ retries: { attempts: 2 } }, { iterations: 2, mirror: true, sessionAffinity: { cookieName: 'c' } });
    expect(tcpPortErrors(c, strategyFor(c))).toEqual([]);
  });
});

describe('given a Canary with provider istio on a TCP port', () => {
  const world = (service: Partial<CanaryService>, analysis: Parameters<typeof aCanary>[0] = {}): World =>
    new World().apply(aDeployment(), aCanary(analysis, { provider: 'istio', service: { port: 9898, ...service } }));
  const vs = (w: World): Record<string, unknown> | undefined =>
    w.kube.get<{ metadata: object; spec: Record<string, unknown> }>(Resources.virtualServices, NS, 'podinfo')?.spec;

  it('when released, then the VirtualService carries tcp routes at 25, 50 and 0, and never http', async () => {
    const w = world({ appProtocol: 'tcp' });
    await w.reconcile();
    await w.reconcile();
    expect(w.canary.status?.phase).toBe('Initialized');
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const weights: unknown[] = [];
    for (let i = 0; i < 6 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick();
      weights.push((vs(w)!.tcp as { route: { weight: number }[] }[])[0]!.route[1]!.weight);
      expect(vs(w)!.http).toBeUndefined();
    }
    expect(weights).toEqual([25, 50, 0]);
  });

  it('with service.retries, then it is stalled as an invalid spec naming the field, and no VirtualService is written', async () => {
    const w = world({ portName: 'tcp', retries: { attempts: 2 } });
    await w.reconcile();
    const s = w.canary.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
    expect({ reason: s?.reason, message: s?.message }).toEqual({
      reason: 'InvalidSpec',
      message: 'service port 9898 is TCP to Istio (port name tcp): tcp routes have no service.retries',
    });
    expect(vs(w)).toBeUndefined();
  });
});
