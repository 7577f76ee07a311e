import http from 'node:http';
import type { Service } from '@tollgate/operator/api/k8s';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import type { Logger } from '@tollgate/operator/util/log';
import type { SyntheticRequest } from './istio-match.js';
import { ENDPOINT_ANNOTATION, type Pod } from './kubelet.js';
import { MeshMetrics } from './mesh-metrics.js';
import {
  fromApisixRoute,
  fromCanaryIngress,
  fromHTTPProxy,
  fromMappings,
  fromHttpRoute,
  fromMeshHttpRoute,
  fromRouteTable,
  fromTraefikService,
  fromTrafficRoute,
  fromAlbIngress,
  fromTrafficSplit,
  fromVirtualRouter,
  fromVirtualService,
  serviceOfUpstream,
  serviceOfVirtualNode,
  type MeshObject,
  type RouteTable,
} from './routes.js';

export const RPS_ANNOTATION = 'sim.tollgate.dev/rps';
export const HEADERS_ANNOTATION = 'sim.tollgate.dev/headers';
export const HEADER_SHARE_ANNOTATION = 'sim.tollgate.dev/header-share';
const TICK_MS = 100;
const DEFAULT_RPS = 20;

/** Every kind of routing object the operator writes, and how to read it as a route table. */
const SOURCES: { resource: ResourceType; read: (o: MeshObject, d: TrafficDriver) => RouteTable | undefined }[] = [
  { resource: Resources.virtualServices, read: (o) => fromVirtualService(o) },
  ...[Resources.trafficSplitsV1alpha4, Resources.trafficSplitsV1alpha2, Resources.trafficSplitsV1alpha1].map((resource) => ({
    resource,
    read: (o: MeshObject) => fromTrafficSplit(o),
  })),
  ...[Resources.httpRoutesV1, Resources.linkerdHttpRoutes].map((resource) => ({ resource, read: (o: MeshObject) => fromHttpRoute(o) })),
  { resource: Resources.httpProxies, read: (o) => fromHTTPProxy(o) },
  { resource: Resources.traefikServices, read: (o) => fromTraefikService(o) },
  { resource: Resources.apisixRoutes, read: (o) => fromApisixRoute(o) },
  { resource: Resources.kumaTrafficRoutes, read: (o) => fromTrafficRoute(o) },
  // The Mappings of one route together (the user's and the canary's clone), as Emissary groups them.
  { resource: Resources.emissaryMappings, read: (o, d) => fromMappings(o, d.objects(Resources.emissaryMappings, o.metadata.namespace!)) },
  { resource: Resources.kumaMeshHttpRoutes, read: (o) => fromMeshHttpRoute(o) },
  { resource: Resources.glooRouteTables, read: (o, d) => fromRouteTable(o, (ns, name) => serviceOfUpstream(d.upstream(ns, name))) },
  {
    resource: Resources.appMeshVirtualRouters,
    // The -canary router exists for tests to reach the canary; users only reach the apex.
    read: (o, d) =>
      o.metadata.name!.endsWith('-canary')
        ? undefined
        : fromVirtualRouter(o, (n) => serviceOfVirtualNode(d.node(o.metadata.namespace!, n))),
  },
  {
    resource: Resources.ingresses,
    // A canary Ingress (NGINX, Skipper) with the user's Ingress it shadows; a plain Ingress alone is not driven.
    // or an ALB Ingress whose forward actions (annotations) carry the split.
    read: (o, d) => fromCanaryIngress(o, d.objects(Resources.ingresses, o.metadata.namespace!)) ?? fromAlbIngress(o),
  },
];

/**
 * The data-plane stand-in (test infrastructure, not a mesh): for every routing object the operator wrote
 * (Istio VirtualService, SMI TrafficSplit, HTTPRoute, App Mesh VirtualRouter, NGINX or Skipper canary Ingress, Contour HTTPProxy,
 * TraefikService, Gloo RouteTable, APISIX route clone, Kuma TrafficRoute or MeshHTTPRoute, Emissary Mappings) it sends synthetic user
 * requests at a steady rate, routes each as the mesh would from the live object (first applicable rule,
 * weights, mirror), sends it over HTTP to a ready pod of the chosen Service, and records the result in each
 * mesh's metric names (see MeshMetrics), which Prometheus scrapes from /metrics.
 */
export class TrafficDriver {
  readonly metrics = new MeshMetrics();
  private readonly sources: Informer<MeshObject>[];
  private readonly nodes: Informer<MeshObject>;
  private readonly upstreams: Informer<MeshObject>;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private timer: NodeJS.Timeout | undefined;
  private readonly rr = new Map<string, number>();
  private readonly carry = new Map<string, number>();

  private lastReport = 0;

  constructor(
    client: KubeClient,
    private readonly log: Logger,
  ) {
    // Mesh CRDs are installed and swapped while the simulator runs: retry often so new routes are driven at once.
    const informer = <T extends MeshObject>(resource: ResourceType): Informer<T> =>
      new Informer<T>({ client, resource, logger: log, backoff: { initialMs: 200, maxMs: 1000 } });
    this.sources = SOURCES.map((s) => informer<MeshObject>(s.resource));
    this.nodes = informer(Resources.appMeshVirtualNodes);
    this.upstreams = informer(Resources.glooUpstreams);
    this.services = informer(Resources.services) as unknown as Informer<Service>;
    this.pods = informer(Resources.pods) as unknown as Informer<Pod>;
  }

  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.pods.start()]);
    // Mesh CRDs come and go between tests: their informers keep retrying until served.
    for (const i of [...this.sources, this.nodes, this.upstreams]) i.start().catch(() => undefined);
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const i of [...this.sources, this.nodes, this.upstreams, this.services, this.pods]) i.stop();
    this.agent.destroy();
  }

  node(namespace: string, name: string): MeshObject | undefined {
    return this.nodes.get(namespace, name);
  }

  /** A Gloo Upstream (a RouteTable's destinations name them). */
  upstream(namespace: string, name: string): MeshObject | undefined {
    return this.upstreams.get(namespace, name);
  }

  /** The objects of one of the SOURCES' resources in a namespace. */
  objects(resource: ResourceType, namespace: string): MeshObject[] {
    return this.sources[SOURCES.findIndex((s) => s.resource === resource)]?.list(namespace) ?? [];
  }

  private tables(): RouteTable[] {
    const seen = new Map<string, RouteTable>();
    SOURCES.forEach((s, i) => {
      for (const o of this.sources[i]!.list()) {
        const t = s.read(o, this);
        if (t && !seen.has(`${t.namespace}/${t.apex}`)) seen.set(`${t.namespace}/${t.apex}`, t);
      }
    });
    return [...seen.values()];
  }

  private tick(): void {
    const tables = this.tables();
    if (Date.now() - this.lastReport > 5000) {
      this.lastReport = Date.now();
      this.log.info(
        {
          routes: tables.map(
            (t) =>
              `${t.namespace}/${t.apex}: ${t.rules.map((r) => r.backends.map((b) => `${b.service}=${b.weight}`).join(',')).join(' | ')}`,
          ),
        },
        'routes driven',
      );
    }
    for (const t of tables) {
      const key = `${t.namespace}/${t.apex}`;
      const apex = this.services.get(t.namespace, t.apex);
      const rps = Number(apex?.metadata.annotations?.[RPS_ANNOTATION] ?? DEFAULT_RPS);
      const due = (this.carry.get(key) ?? 0) + (rps * TICK_MS) / 1000;
      const n = Math.floor(due);
      this.carry.set(key, due - n);
      for (let i = 0; i < n; i++) this.send(t, this.synthetic(apex));
    }
  }

  private synthetic(apex: Service | undefined): SyntheticRequest {
    const a = apex?.metadata.annotations ?? {};
    const share = Number(a[HEADER_SHARE_ANNOTATION] ?? 0);
    const headers = a[HEADERS_ANNOTATION] && Math.random() < share ? (JSON.parse(a[HEADERS_ANNOTATION]) as Record<string, string>) : {};
    return { path: '/', method: 'GET', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
  }

  private send(t: RouteTable, req: SyntheticRequest): void {
    const rule = t.rules.find((r) => r.applies(req));
    if (!rule) return;
    const service = pickWeighted(rule.backends);
    const via = { ...t, ...(rule.apisixRoute ? { apisixRoute: rule.apisixRoute } : {}) };
    if (service) void this.forward(t.namespace, service, req, via);
    if (rule.mirror && Math.random() * 100 < rule.mirror.percent) void this.forward(t.namespace, rule.mirror.service, req, t);
  }

  /**
   * Sends one request to a ready pod of a Service and records it as the pod's sidecar would; resolves with
   * the status code (503 when no pod is ready). Also the entry point of /svc/<namespace>/<service>/ for
   * load tests that target a Service directly, as they would through the mesh.
   */
  forward(
    ns: string,
    service: string,
    req: SyntheticRequest,
    via: Pick<RouteTable, 'ingress' | 'skipperRoute'> & { apisixRoute?: string } = {},
  ): Promise<number> {
    const svc = this.services.get(ns, service);
    const pod = svc && this.pickPod(ns, svc);
    const endpoint = pod?.metadata.annotations?.[ENDPOINT_ANNOTATION];
    if (!pod || !endpoint) return Promise.resolve(503);
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (code: number): void => {
        this.metrics.record({
          namespace: ns,
          service,
          port: svc.spec.ports?.[0]?.port ?? 0,
          workload: workloadOf(pod),
          pod: pod.metadata.name!,
          code,
          ms: performance.now() - started,
          ...(via.ingress ? { ingress: via.ingress } : {}),
          ...(via.skipperRoute ? { skipperRoute: via.skipperRoute } : {}),
          ...(via.apisixRoute ? { apisixRoute: via.apisixRoute } : {}),
        });
        resolve(code);
      };
      const r = http.get(`http://${endpoint}${req.path}`, { agent: this.agent, headers: req.headers, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      r.on('timeout', () => r.destroy());
      r.on('error', () => done(503));
    });
  }

  private pickPod(ns: string, svc: Service): Pod | undefined {
    const sel = Object.entries(svc.spec.selector ?? {});
    if (sel.length === 0) return undefined;
    const ready = this.pods
      .list(ns)
      .filter(
        (p) =>
          sel.every(([k, v]) => p.metadata.labels?.[k] === v) &&
          !p.metadata.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    if (ready.length === 0) return undefined;
    const key = `${ns}/${svc.metadata.name}`;
    const i = (this.rr.get(key) ?? 0) + 1;
    this.rr.set(key, i);
    return ready[i % ready.length];
  }
}

function pickWeighted(backends: { service: string; weight: number }[]): string | undefined {
  const total = backends.reduce((sum, b) => sum + Math.max(0, b.weight), 0);
  if (total <= 0) return undefined;
  let r = Math.random() * total;
  for (const b of backends) {
    r -= Math.max(0, b.weight);
    if (r < 0) return b.service;
  }
  return undefined;
}

/** The workload of a pod (Istio's destination_workload): a DaemonSet, or the Deployment that owns its ReplicaSet. */
function workloadOf(pod: Pod): string {
  const direct = pod.metadata.ownerReferences?.find((o) => o.kind === 'DaemonSet' || o.kind === 'StatefulSet')?.name;
  if (direct) return direct;
  const rs = pod.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (rs && hash && rs.endsWith(`-${hash}`)) return rs.slice(0, -(hash.length + 1));
  return rs ?? pod.metadata.name ?? 'unknown';
}
