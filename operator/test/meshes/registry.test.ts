import { PROVIDER_NAMES } from '../../src/api/crd/canary.js';
import { AppMeshRouter } from '../../src/meshes/appmesh/router.js';
import { ContourRouter } from '../../src/meshes/contour/router.js';
import { CAPABILITIES, capabilitiesOf, providersWith, providersWithout, ROUTED_PROVIDERS } from '@tollgate/contract/capabilities';
import { appMesh } from '../../src/meshes/appmesh/index.js';
import { contour } from '../../src/meshes/contour/index.js';
import { gatewayApi } from '../../src/meshes/gateway-api/index.js';
import { istio } from '../../src/meshes/istio/index.js';
import { kubernetes } from '../../src/meshes/kubernetes/index.js';
import { linkerd } from '../../src/meshes/linkerd/index.js';
import { nginx } from '../../src/meshes/nginx/index.js';
import { skipper } from '../../src/meshes/skipper/index.js';
import { IngressCloneRouter } from '../../src/meshes/ingress.js';
import type { Mesh, MeshProvider } from '../../src/meshes/mesh.js';
import { ISTIO_QUERIES } from '../../src/meshes/istio/queries.js';
import {
  builtinMetricProviders,
  builtinQuery,
  createRouter,
  meshCapabilities,
  supportedProviders,
  UnknownProviderError,
} from '../../src/meshes/registry.js';
import { smi } from '../../src/meshes/smi/index.js';
import { traefik } from '../../src/meshes/traefik/index.js';
import { HttpRouteRouter } from '../../src/meshes/gateway-api/router.js';
import { IstioRouter } from '../../src/meshes/istio/router.js';
import { KubernetesRouter } from '../../src/meshes/kubernetes/router.js';
import { LinkerdRouter } from '../../src/meshes/linkerd/router.js';
import { SmiRouter } from '../../src/meshes/smi/router.js';
import { TraefikRouter } from '../../src/meshes/traefik/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { routerDepsOf } from '../fakes/router-fixtures.js';

const deps = routerDepsOf(new FakeKube());

describe('createRouter', () => {
  it.each<[string, string, boolean]>([
    ['appmesh', 'AppMeshRouter', true],
    ['appmesh:v1beta2', 'AppMeshRouter', true],
    ['contour', 'ContourRouter', false],
    ['gatewayapi:v1', 'HttpRouteRouter', false],
    ['gatewayapi:v1beta1', 'HttpRouteRouter', false],
    ['istio', 'IstioRouter', false],
    ['kubernetes', 'KubernetesRouter', false],
    ['linkerd', 'LinkerdRouter', false],
    ['nginx', 'IngressCloneRouter', false],
    ['skipper', 'IngressCloneRouter', false],
    ['osm', 'SmiRouter', false],
    ['smi:v1alpha1', 'SmiRouter', false],
    ['smi:v1alpha2', 'SmiRouter', false],
    ['smi:v1alpha3', 'SmiRouter', false],
    ['smi:v1alpha4', 'SmiRouter', false],
    ['traefik', 'TraefikRouter', false],
  ])('given provider %s, then a %s is created whose provider is that name (meshObjectsFirst: %s)', (name, cls, first) => {
    const classes: Record<string, new (...args: never[]) => unknown> = {
      AppMeshRouter,
      ContourRouter,
      HttpRouteRouter,
      IngressCloneRouter,
      IstioRouter,
      KubernetesRouter,
      LinkerdRouter,
      SmiRouter,
      TraefikRouter,
    };
    const router = createRouter(name, deps);
    expect(router).toBeInstanceOf(classes[cls]!);
    expect(router.provider).toBe(name);
    expect(router.meshObjectsFirst ?? false).toBe(first);
  });

  it('given the providers of the CRD enum, then exactly those with a router are supported, and every supported provider is in the enum', () => {
    const withRouter = PROVIDER_NAMES.filter((p) => supportedProviders().has(p));
    expect(withRouter).toEqual([
      'appmesh',
      'appmesh:v1beta2',
      'contour',
      'gatewayapi:v1',
      'gatewayapi:v1beta1',
      'istio',
      'kubernetes',
      'linkerd',
      'nginx',
      'osm',
      'skipper',
      'smi:v1alpha1',
      'smi:v1alpha2',
      'smi:v1alpha3',
      'smi:v1alpha4',
      'traefik',
    ]);
    expect([...supportedProviders()].sort()).toEqual([...withRouter].sort());
  });

  it.each(PROVIDER_NAMES.filter((p) => !supportedProviders().has(p)))(
    'given %s from the CRD enum without a router, then createRouter throws UnknownProviderError',
    (name) => {
      expect(() => createRouter(name, deps)).toThrow(UnknownProviderError);
    },
  );

  it('given the enum providers without a router, then they are apisix, gloo, knative and kuma', () => {
    expect(PROVIDER_NAMES.filter((p) => !supportedProviders().has(p))).toEqual(['apisix', 'gloo', 'knative', 'kuma']);
  });

  it.each([
    'gloo',
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
    'valueOf',
    '',
    'Istio',
    'smi',
    'smi:v1beta1',
    'gatewayapi',
    'gatewayapi:v1alpha2',
    'appmesh:v1beta1',
  ])('given the unknown name %p, then createRouter throws UnknownProviderError naming it', (name) => {
    let err: unknown;
    try {
      createRouter(name, deps);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownProviderError);
    expect((err as UnknownProviderError).provider).toBe(name);
    expect((err as Error).name).toBe('UnknownProviderError');
    expect((err as Error).message).toBe(
      `provider "${name}" has no router (known: istio, kubernetes, linkerd, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, smi:v1alpha4, osm, gatewayapi:v1, gatewayapi:v1beta1, appmesh, appmesh:v1beta2, nginx, skipper, contour, traefik)`,
    );
  });

  it('given each call, then a new router is built (no shared state between providers)', () => {
    expect(createRouter('linkerd', deps)).not.toBe(createRouter('linkerd', deps));
  });
});

describe('provider capabilities', () => {
  it('given the match providers, then they are the routers that write matched rules', () => {
    expect(providersWith('match').sort()).toEqual([
      'appmesh',
      'appmesh:v1beta2',
      'contour',
      'gatewayapi:v1',
      'gatewayapi:v1beta1',
      'istio',
      'linkerd',
      'nginx',
    ]);
  });

  it('given the mirror providers, then they are Istio and the Gateway API', () => {
    expect(providersWith('mirror').sort()).toEqual(['gatewayapi:v1', 'gatewayapi:v1beta1', 'istio']);
  });

  it('given the capability data, then the factory builds a router for exactly the providers it lists', () => {
    expect([...supportedProviders()].sort()).toEqual([...ROUTED_PROVIDERS].sort());
  });
});

describe('the mesh folders and the registry', () => {
  const meshes: Mesh<never>[] = [istio, kubernetes, linkerd, smi, gatewayApi, appMesh, nginx, skipper, contour, traefik];
  const served = (m: Mesh<never>): [string, MeshProvider<never>][] => Object.entries(m.providers);

  it('given every mesh folder, then each provider id is served by exactly one of them and together they serve every id of the contract', () => {
    const ids = meshes.flatMap((m) => served(m).map(([id]) => id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...ROUTED_PROVIDERS].sort());
  });

  it.each(ROUTED_PROVIDERS.map((p) => [p]))("given provider %s, then its mesh points at the contract's own capability record", (p) => {
    const entry = meshes.flatMap(served).find(([id]) => id === p)![1];
    expect(entry.capabilities).toBe(CAPABILITIES[p]);
    expect(meshCapabilities(p)).toBe(CAPABILITIES[p]);
    expect(capabilitiesOf(p)).toBe(CAPABILITIES[p]);
  });

  it('given the capability records, then the providers with built-in queries are exactly those whose record says builtinMetrics', () => {
    expect([...builtinMetricProviders()].sort()).toEqual(providersWith('builtinMetrics').sort());
    for (const p of providersWith('builtinMetrics')) expect(builtinQuery(p, 'request-success-rate')).toContain('sum(rate(');
  });

  it('given kubernetes, then it is the one provider that cannot split traffic', () => {
    expect(providersWithout('split')).toEqual(['kubernetes']);
  });

  it.each([['gloo'], ['kuma'], ['toString'], ['']])('given %p, a name without a router, then no capability record is found', (p) => {
    expect(meshCapabilities(p)).toBeUndefined();
    expect(capabilitiesOf(p)).toBeUndefined();
  });

  it('given a provider record that breaks the contract, then it does not type-check (npm run typecheck)', () => {
    const router = (): never => {
      throw new Error('not built');
    };
    // @ts-expect-error istio's record says builtinMetrics: its queries are required
    const noQueries: MeshProvider<'istio'> = { capabilities: CAPABILITIES.istio, router, queries: undefined };
    // @ts-expect-error a mesh needs its capability record
    const noRecord: MeshProvider<'istio'> = { router, queries: ISTIO_QUERIES };
    // @ts-expect-error gatewayapi:v1 has no built-in queries
    const extraQueries: MeshProvider<'gatewayapi:v1'> = { capabilities: CAPABILITIES['gatewayapi:v1'], router, queries: ISTIO_QUERIES };
    // @ts-expect-error a provider id the contract does not list has no capability record
    const unknownId: Mesh<'gloo'> = { name: 'gloo', providers: { gloo: noQueries } };
    expect([noQueries.queries, noRecord.capabilities, extraQueries.queries, unknownId.name]).toEqual([
      undefined,
      undefined,
      ISTIO_QUERIES,
      'gloo',
    ]);
  });
});
