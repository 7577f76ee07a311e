import { Counter, Histogram, Registry } from 'prom-client';

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
}

const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/**
 * The request metrics of every mesh the routers support, recorded for each simulated request, so the
 * operator's built-in queries for Istio, Linkerd, App Mesh and Contour (Envoy), OSM, Traefik and instrumented applications
 * (kubernetes provider) all find real series.
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
  ]);
  private readonly osm = this.family('osm_request_total', 'osm_request_duration_ms', [
    'destination_namespace',
    'destination_kind',
    'destination_name',
    'response_code',
  ]);
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
  }
}
