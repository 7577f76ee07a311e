import type { Canary, CanaryService } from '../../src/api/types.js';
import { selectorOf, serviceNames, servicePorts } from '../../src/meshes/services.js';
import type { ServicePort, TargetInfo } from '../../src/targets/target.js';

const canaryOf = (service: CanaryService | undefined, target = 'podinfo'): Canary => ({
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, ...(service ? { service } : {}) },
});

const targetOf = (extraPorts: ServicePort[] = []): TargetInfo => ({
  name: 'podinfo',
  primaryName: 'podinfo-primary',
  selectorLabel: 'app',
  selectorValue: 'podinfo',
  revision: 'abc',
  extraPorts,
  configs: { refs: [], checksums: {} },
});

describe('serviceNames', () => {
  it.each<[string, CanaryService | undefined, Record<string, string>]>([
    ['no service name', { port: 80 }, { apex: 'podinfo', primary: 'podinfo-primary', canary: 'podinfo-canary' }],
    ['an empty service name', { port: 80, name: '' }, { apex: 'podinfo', primary: 'podinfo-primary', canary: 'podinfo-canary' }],
    ['a service name', { port: 80, name: 'frontend' }, { apex: 'frontend', primary: 'frontend-primary', canary: 'frontend-canary' }],
    ['no service at all', undefined, { apex: 'podinfo', primary: 'podinfo-primary', canary: 'podinfo-canary' }],
  ])('given %s, then the names are %j', (_title, service, names) => {
    expect(serviceNames(canaryOf(service))).toEqual(names);
  });
});

describe('servicePorts', () => {
  it('given only a port, then one TCP port named http targets the same port', () => {
    expect(servicePorts(canaryOf({ port: 9898 }), targetOf())).toEqual([{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }]);
  });

  it.each<[string, CanaryService, object]>([
    ['a portName', { port: 80, portName: 'grpc' }, { name: 'grpc', port: 80, targetPort: 80, protocol: 'TCP' }],
    ['an empty portName', { port: 80, portName: '' }, { name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }],
    ['a numeric targetPort', { port: 80, targetPort: 9898 }, { name: 'http', port: 80, targetPort: 9898, protocol: 'TCP' }],
    ['a named targetPort', { port: 80, targetPort: 'http-web' }, { name: 'http', port: 80, targetPort: 'http-web', protocol: 'TCP' }],
    [
      'an appProtocol',
      { port: 80, appProtocol: 'http2' },
      { name: 'http', port: 80, targetPort: 80, protocol: 'TCP', appProtocol: 'http2' },
    ],
    [
      'all of portName, targetPort and appProtocol',
      { port: 443, portName: 'https', targetPort: 8443, appProtocol: 'https' },
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP', appProtocol: 'https' },
    ],
  ])('given %s, then the main port is %j', (_title, service, port) => {
    expect(servicePorts(canaryOf(service), targetOf())).toEqual([port]);
  });

  it('given no appProtocol, then the port has no appProtocol key at all', () => {
    expect('appProtocol' in servicePorts(canaryOf({ port: 80 }), targetOf())[0]!).toBe(false);
  });

  it('given discovered ports, then they follow the main port as they are', () => {
    const extra: ServicePort[] = [
      { name: 'metrics', port: 9797, targetPort: 9797, protocol: 'TCP' },
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
    ];
    expect(servicePorts(canaryOf({ port: 80, targetPort: 9898 }), targetOf(extra))).toEqual([
      { name: 'http', port: 80, targetPort: 9898, protocol: 'TCP' },
      { name: 'metrics', port: 9797, targetPort: 9797, protocol: 'TCP' },
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
    ]);
  });
});

describe('selectorOf: what each generated Service selects', () => {
  it('given a primary copy, then the apex and -primary select the primary pods, -canary the target pods', () => {
    expect([selectorOf(targetOf(), 'apex'), selectorOf(targetOf(), 'primary'), selectorOf(targetOf(), 'canary')]).toEqual([
      { app: 'podinfo-primary' },
      { app: 'podinfo-primary' },
      { app: 'podinfo' },
    ]);
  });

  it('given a target released in place, then its own selectors: every pod for the apex, one revision each for -primary and -canary', () => {
    const podSelectors = {
      apex: { app: 'db' },
      primary: { app: 'db', 'controller-revision-hash': 'db-a' },
      canary: { app: 'db', 'controller-revision-hash': 'db-b' },
    };
    const inPlace = { ...targetOf(), podSelectors };
    expect([selectorOf(inPlace, 'apex'), selectorOf(inPlace, 'primary'), selectorOf(inPlace, 'canary')]).toEqual([
      podSelectors.apex,
      podSelectors.primary,
      podSelectors.canary,
    ]);
  });
});
