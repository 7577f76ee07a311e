import { Counter, Histogram, Registry } from 'prom-client';
import type { SkipperRoute } from './routes.js';

/** Where a request went, as every mesh's telemetry labels it. */
export interface RequestRecord {
  namespace: string;
  service: string;
  /** The Service port the request went to (Contour's Envoy names its clusters <namespace>_<service>_<port>). */
  port: number;
  workload: string;
  pod: string;
  code: number;
  ms: number;
  /** The Ingress the request came through (NGINX), if any. */
  ingress?: string;
  /** The Skipper route it took, if any. */
  skipperRoute?: SkipperRoute;
  /** The APISIX route (`<namespace>_<ApisixRoute>_<rule>`) it took, if any. */
  apisixRoute?: string;
}

const word = (s: string): string => s.replace(/\W/g, '_');
/** Skipper's id of an Ingress route: kube_<namespace>__<ingress>__<host>__<path>__<backend>, non-word characters as _. */
export const skipperRouteId = (ns: string, r: SkipperRoute, service: string): string =>
  `kube_${[ns, r.ingress, r.host, r.path, service].map(word).join('__')}`;

/** The Upstream the gloo router writes for `<apex>-primary` or `<apex>-canary`: <namespace>-<apex>-<side>upstream-<port>. */
const glooUpstreamOf = (ns: string, service: string, port: number): string => `${ns}-${service}upstream-${port}`;

const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/**
 * The request metrics of every mesh the routers support, recorded for each simulated request, so the
 * operator's built-in queries for Istio, Linkerd, App Mesh, Contour, Gloo and Kuma (Envoy), OSM, Traefik, APISIX, NGINX and Skipper (requests
 * through an Ingress) and instrumented applications (kubernetes provider) all find real series.
 */
export class MeshMetrics {
  readonly registry = new Registry();
  private readonly istio = this.family('istio_requests_total', 'istio_request_duration_milliseconds', [
    'reporter',
    'destination_workload',
    'destination_workload_namespace',
    'destination_service_name',
    'response_code',
    'source_workload',
  ]);
  private readonly linkerd = this.family('response_total', 'response_latency_ms', [
    'namespace',
    'deployment',
    'pod',
    'direction',
    'classification',
    'status_code',
  ]);
  private readonly envoy = this.family('envoy_cluster_upstream_rq', 'envoy_cluster_upstream_rq_time', [
    'kubernetes_namespace',
    'kubernetes_pod_name',
    'envoy_cluster_name',
    'envoy_response_code',
    'service',
  ]);
  private readonly osm = this.family('osm_request_total', 'osm_request_duration_ms', [
    'destination_namespace',
    'destination_kind',
    'destination_name',
    'response_code',
  ]);
  /** ingress-nginx's controller metrics: only for requests that came through an Ingress, labelled by it. */
  private readonly nginx = {
    c: new Counter({
      name: 'nginx_ingress_controller_requests',
      help: 'simulated nginx_ingress_controller_requests',
      labelNames: ['namespace', 'ingress', 'service', 'status'],
      registers: [this.registry],
    }),
    h: new Histogram({
      name: 'nginx_ingress_controller_response_duration_seconds',
      help: 'simulated nginx_ingress_controller_response_duration_seconds',
      labelNames: ['namespace', 'ingress', 'service', 'status'],
      buckets: MS_BUCKETS.map((b) => b / 1000),
      registers: [this.registry],
    }),
  };
  /** Skipper's route metrics: only for requests that took a Skipper route, labelled by its id. */
  private readonly skipper = {
    response: new Histogram({
      name: 'skipper_response_duration_seconds',
      help: 'simulated skipper_response_duration_seconds',
      labelNames: ['route', 'code'],
      buckets: MS_BUCKETS.map((b) => b / 1000),
      registers: [this.registry],
    }),
    serve: new Histogram({
      name: 'skipper_serve_route_duration_seconds',
      help: 'simulated skipper_serve_route_duration_seconds',
      labelNames: ['route'],
      buckets: MS_BUCKETS.map((b) => b / 1000),
      registers: [this.registry],
    }),
  };
  /** Traefik: its name for a Kubernetes Service behind a TraefikService is <namespace>-<service>-<port>@kubernetescrd. */
  private readonly traefik = {
    c: new Counter({
      name: 'traefik_service_requests_total',
      help: 'simulated traefik_service_requests_total',
      labelNames: ['service', 'code'],
      registers: [this.registry],
    }),
    h: new Histogram({
      name: 'traefik_service_request_duration_seconds',
      help: 'simulated traefik_service_request_duration_seconds',
      labelNames: ['service', 'code'],
      buckets: MS_BUCKETS.map((b) => b / 1000),
      registers: [this.registry],
    }),
  };
  /** APISIX's prometheus plugin: only for requests that took an APISIX route, labelled by it; latency in ms. */
  private readonly apisix = {
    c: new Counter({
      name: 'apisix_http_status',
      help: 'simulated apisix_http_status',
      labelNames: ['route', 'code'],
      registers: [this.registry],
    }),
    h: new Histogram({
      name: 'apisix_http_latency',
      help: 'simulated apisix_http_latency',
      labelNames: ['type', 'route'],
      buckets: MS_BUCKETS,
      registers: [this.registry],
    }),
  };
  /** What an instrumented application exports itself (the kubernetes provider's built-in queries read it). */
  private readonly app = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'simulated application request duration',
    labelNames: ['namespace', 'pod', 'status'],
    buckets: MS_BUCKETS.map((b) => b / 1000),
    registers: [this.registry],
  });

  private family(counter: string, histogram: string, labelNames: string[]): { c: Counter; h: Histogram } {
    return {
      c: new Counter({ name: counter, help: `simulated ${counter}`, labelNames, registers: [this.registry] }),
      h: new Histogram({ name: histogram, help: `simulated ${histogram}`, labelNames, buckets: MS_BUCKETS, registers: [this.registry] }),
    };
  }

  record(r: RequestRecord): void {
    const code = String(r.code);
    const observe = (f: { c: Counter; h: Histogram }, labels: Record<string, string>): void => {
      f.c.inc(labels);
      f.h.observe(labels, r.ms);
    };
    observe(this.istio, {
      reporter: 'destination',
      destination_workload: r.workload,
      destination_workload_namespace: r.namespace,
      destination_service_name: r.service,
      response_code: code,
      source_workload: 'traffic-driver',
    });
    observe(this.linkerd, {
      namespace: r.namespace,
      deployment: r.workload,
      pod: r.pod,
      direction: 'inbound',
      classification: r.code >= 500 ? 'failure' : 'success',
      status_code: code,
    });
    observe(this.envoy, {
      kubernetes_namespace: r.namespace,
      kubernetes_pod_name: r.pod,
      envoy_cluster_name: `${r.namespace}_${r.service}_${r.port}`,
      envoy_response_code: code,
    });
    // Kuma's Envoy: labelled by the Kuma service tag of the Service, <service>_<namespace>_svc_<port>.
    const kuma = { service: `${r.service}_${r.namespace}_svc_${r.port}`, envoy_response_code: code };
    this.envoy.c.inc(kuma);
    this.envoy.h.observe(kuma, r.ms);
    // Gloo's Envoy: the cluster of the Upstream the gloo router writes for a Service, <upstream>_<namespace>; no pod
    // labels, so App Mesh's per-pod series are not counted twice.
    this.envoy.c.inc({ envoy_cluster_name: `${glooUpstreamOf(r.namespace, r.service, r.port)}_${r.namespace}`, envoy_response_code: code });
    this.envoy.h.observe(
      { envoy_cluster_name: `${glooUpstreamOf(r.namespace, r.service, r.port)}_${r.namespace}`, envoy_response_code: code },
      r.ms,
    );
    observe(this.osm, {
      destination_namespace: r.namespace,
      destination_kind: 'Deployment',
      destination_name: r.workload,
      response_code: code,
    });
    const traefik = { service: `${r.namespace}-${r.service}-${r.port}@kubernetescrd`, code };
    this.traefik.c.inc(traefik);
    this.traefik.h.observe(traefik, r.ms / 1000);
    this.app.observe({ namespace: r.namespace, pod: r.pod, status: code }, r.ms / 1000);
    if (r.ingress) {
      const labels = { namespace: r.namespace, ingress: r.ingress, service: r.service, status: code };
      this.nginx.c.inc(labels);
      this.nginx.h.observe(labels, r.ms / 1000);
    }
    if (r.apisixRoute) {
      this.apisix.c.inc({ route: r.apisixRoute, code });
      this.apisix.h.observe({ type: 'request', route: r.apisixRoute }, r.ms);
    }
    if (r.skipperRoute) {
      const route = skipperRouteId(r.namespace, r.skipperRoute, r.service);
      this.skipper.response.observe({ route, code }, r.ms / 1000);
      this.skipper.serve.observe({ route }, r.ms / 1000);
    }
  }
}
