import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDER_NAMES } from '../../src/api/crd/canary.js';
import { alb } from '../../src/meshes/alb/index.js';
import { AlbRouter } from '../../src/meshes/alb/router.js';
import { AppMeshRouter } from '../../src/meshes/appmesh/router.js';
import { ContourRouter } from '../../src/meshes/contour/router.js';
import { emissary } from '../../src/meshes/emissary/index.js';
import { EmissaryRouter } from '../../src/meshes/emissary/router.js';
import {
  CAPABILITIES,
  capabilitiesOf,
  providersWith,
  providersWithout,
  ROUTED_PROVIDERS,
  type RoutedProvider,
} from '@tollgate/contract/capabilities';
import type { CanaryAnalysis } from '../../src/api/types.js';
import { Resources } from '../../src/kube/resources.js';
import { routesFor, type Router } from '../../src/meshes/router.js';
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
import { builtinMetricProviders, builtinQuery, createRouter, supportedProviders, UnknownProviderError } from '../../src/meshes/registry.js';
import { smi } from '../../src/meshes/smi/index.js';
import { traefik } from '../../src/meshes/traefik/index.js';
import { gloo } from '../../src/meshes/gloo/index.js';
import { apisix } from '../../src/meshes/apisix/index.js';
import { kuma } from '../../src/meshes/kuma/index.js';
import { knative } from '../../src/meshes/knative/index.js';
import { KumaRouter } from '../../src/meshes/kuma/router.js';
import { ApisixRouter } from '../../src/meshes/apisix/router.js';
import { GlooRouter } from '../../src/meshes/gloo/router.js';
import { HttpRouteRouter } from '../../src/meshes/gateway-api/router.js';
import { IstioRouter } from '../../src/meshes/istio/router.js';
import { KubernetesRouter } from '../../src/meshes/kubernetes/router.js';
import { LinkerdRouter } from '../../src/meshes/linkerd/router.js';
import { SmiRouter } from '../../src/meshes/smi/router.js';
import { TraefikRouter } from '../../src/meshes/traefik/router.js';
import { FakeKube } from '../fakes/fake-kube.js';
import { canaryOf, routerDepsOf, signal, strategyFor, TARGET } from '../fakes/router-fixtures.js';

const deps = routerDepsOf(new FakeKube());

describe('createRouter', () => {
  it.each<[string, string, boolean]>([
    ['ambassador', 'EmissaryRouter', false],
    ['apisix', 'ApisixRouter', false],
    ['appmesh', 'AppMeshRouter', true],
    ['appmesh:v1beta2', 'AppMeshRouter', true],
    ['contour', 'ContourRouter', false],
    ['emissary', 'EmissaryRouter', false],
    ['gatewayapi:v1', 'HttpRouteRouter', false],
    ['gatewayapi:v1beta1', 'HttpRouteRouter', false],
    ['gloo', 'GlooRouter', false],
    ['istio', 'IstioRouter', false],
    ['kubernetes', 'KubernetesRouter', false],
    ['kuma', 'KumaRouter', false],
    ['linkerd', 'LinkerdRouter', false],
    ['nginx', 'IngressCloneRouter', false],
    ['skipper', 'IngressCloneRouter', false],
    ['osm', 'SmiRouter', false],
    ['smi:v1alpha1', 'SmiRouter', false],
    ['smi:v1alpha2', 'SmiRouter', false],
    ['smi:v1alpha3', 'SmiRouter', false],
    ['smi:v1alpha4', 'SmiRouter', false],
    ['traefik', 'TraefikRouter', false],
    ['alb', 'AlbRouter', false],
  ])('given provider %s, then a %s is created whose provider is that name (meshObjectsFirst: %s)', (name, cls, first) => {
    const classes: Record<string, new (...args: never[]) => unknown> = {
      ApisixRouter,
      AlbRouter,
      AppMeshRouter,
      ContourRouter,
      EmissaryRouter,
      GlooRouter,
      HttpRouteRouter,
      IngressCloneRouter,
      IstioRouter,
      KubernetesRouter,
      KumaRouter,
      LinkerdRouter,
      SmiRouter,
      TraefikRouter,
    };
    const router = createRouter(name, deps);
    expect(router).toBeInstanceOf(classes[cls]!);
    expect(router.provider).toBe(name);
    expect(router.meshObjectsFirst ?? false).toBe(first);
  });

  it('given the providers with a router, then each is in the CRD enum (the API server accepts it)', () => {
    expect(PROVIDER_NAMES.filter((p) => supportedProviders().has(p)).sort()).toEqual([...supportedProviders()].sort());
  });

  it("given the providers with a router, then the chart's operator.meshProvider accepts exactly those", () => {
    const schemaFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../charts/tollgate/values.schema.json');
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as {
      properties: { operator: { properties: { meshProvider: { enum: string[] } } } };
    };
    expect([...schema.properties.operator.properties.meshProvider.enum].sort()).toEqual([...supportedProviders()].sort());
  });

  it('given the CRD enum, then every provider in it has a router', () => {
    expect(PROVIDER_NAMES.filter((p) => !supportedProviders().has(p))).toEqual([]);
  });

  it.each([
    'consul',
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
      `provider "${name}" has no router (known: istio, kubernetes, linkerd, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, smi:v1alpha4, osm, gatewayapi:v1, gatewayapi:v1beta1, appmesh, appmesh:v1beta2, nginx, skipper, contour, traefik, gloo, apisix, kuma, alb, emissary, ambassador, knative)`,
    );
  });

  it('given each call, then a new router is built (no shared state between providers)', () => {
    expect(createRouter('linkerd', deps)).not.toBe(createRouter('linkerd', deps));
  });
});

describe('provider capabilities against what the routers write', () => {
  const INGRESS = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      rules: [
        {
          host: 'app.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'podinfo', port: { number: 9898 } } } }] },
        },
      ],
    },
  };
  const MAPPING = {
    apiVersion: 'getambassador.io/v3alpha1',
    kind: 'Mapping',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { prefix: '/', service: 'podinfo:9898' },
  };
  const APISIX_ROUTE = {
    apiVersion: 'apisix.apache.org/v2',
    kind: 'ApisixRoute',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { http: [{ name: 'all', match: { paths: ['/*'] }, backends: [{ serviceName: 'podinfo', servicePort: 9898 }] }] },
  };
  /** ALB reads the apex path's action from an annotation: the path names port use-annotation. */
  const ALB_INGRESS = {
    ...INGRESS,
    spec: { rules: [{ http: { paths: [{ path: '/', backend: { service: { name: 'podinfo', port: { name: 'use-annotation' } } } }] } }] },
  };
  /**
   * A Canary every router can write: gatewayRefs (Gateway API, Linkerd's HTTPRoute), an ingressRef (nginx, skipper,
   * alb) and a routeRef (apisix); Emissary's Mapping is named like the apex Service.
   */
  const canaryFor = (provider: RoutedProvider, analysis: CanaryAnalysis) =>
    canaryOf({ gatewayRefs: [{ name: 'public' }] }, analysis, {
      provider,
      ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' },
      routeRef: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: 'podinfo' },
    });
  const routerOn = (provider: RoutedProvider): { kube: FakeKube; router: Router } => {
    const kube = new FakeKube();
    kube.put(Resources.ingresses, provider === 'alb' ? ALB_INGRESS : INGRESS);
    kube.put(Resources.apisixRoutes, APISIX_ROUTE);
    kube.put(Resources.emissaryMappings, MAPPING);
    return { kube, router: createRouter(provider, routerDepsOf(kube)) };
  };

  it.each(ROUTED_PROVIDERS.map((p) => [p, CAPABILITIES[p].mirror]))(
    'given provider %s writing mirrored routes, then they read back mirrored exactly when its record says mirror (%s)',
    async (p, mirror) => {
      const { router } = routerOn(p);
      const c = canaryFor(p, { iterations: 3, mirror: true });
      await router.setRoutes(c, TARGET, routesFor(0, true), strategyFor(c), signal());
      expect((await router.getRoutes(c))?.mirrored ?? false).toBe(mirror);
    },
  );

  it.each(ROUTED_PROVIDERS.map((p) => [p, CAPABILITIES[p].match]))(
    'given provider %s, then an A/B match changes what it writes exactly when its record says match (%s)',
    async (p, match) => {
      const { kube, router } = routerOn(p);
      const blueGreen = canaryFor(p, { iterations: 3 });
      await router.setRoutes(blueGreen, TARGET, routesFor(100), strategyFor(blueGreen), signal());
      const written = kube.writes.length;
      const ab = canaryFor(p, { iterations: 3, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
      expect(router.validate?.(ab, strategyFor(ab)).errors ?? []).toEqual([]);
      await router.setRoutes(ab, TARGET, routesFor(100), strategyFor(ab), signal());
      expect(kube.writes.length > written).toBe(match);
    },
  );
});

describe('the mesh folders and the registry', () => {
  const meshes: Mesh<never>[] = [
    istio,
    kubernetes,
    linkerd,
    smi,
    gatewayApi,
    appMesh,
    nginx,
    skipper,
    contour,
    traefik,
    gloo,
    apisix,
    kuma,
    alb,
    emissary,
    knative,
  ];
  const served = (m: Mesh<never>): [string, MeshProvider<never>][] => Object.entries(m.providers);

  it('given every mesh folder, then each provider id is served by exactly one of them and together they serve every id of the contract', () => {
    const ids = meshes.flatMap((m) => served(m).map(([id]) => id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...ROUTED_PROVIDERS].sort());
    expect([...supportedProviders()].sort()).toEqual([...ROUTED_PROVIDERS].sort());
  });

  it.each(ROUTED_PROVIDERS.map((p) => [p]))("given provider %s, then its mesh points at the contract's own capability record", (p) => {
    const entry = meshes.flatMap(served).find(([id]) => id === p)![1];
    expect(entry.capabilities).toBe(CAPABILITIES[p]);
    expect(capabilitiesOf(p)).toBe(CAPABILITIES[p]);
  });

  it('given the capability records, then the providers with built-in queries are exactly those whose record says builtinMetrics', () => {
    expect([...builtinMetricProviders()].sort()).toEqual(providersWith('builtinMetrics').sort());
    for (const p of providersWith('builtinMetrics')) expect(builtinQuery(p, 'request-success-rate')).toContain('sum(rate(');
  });

  it('given kubernetes, then it is the one provider that cannot split traffic', () => {
    expect(providersWithout('split')).toEqual(['kubernetes']);
  });

  it.each([['consul'], ['toString'], ['']])('given %p, a name without a router, then no capability record is found', (p) => {
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
    const unknownId: Mesh<'consul'> = { name: 'consul', providers: { consul: noQueries } };
    expect([noQueries.queries, noRecord.capabilities, extraQueries.queries, unknownId.name]).toEqual([
      undefined,
      undefined,
      ISTIO_QUERIES,
      'consul',
    ]);
  });
});
