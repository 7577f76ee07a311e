import http from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import type { Logger } from '@tollgate/operator/util/log';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { Service } from '@tollgate/operator/api/k8s';
import { ruleApplies, type SyntheticRequest } from './istio-match.js';
import { ENDPOINT_ANNOTATION, type Pod } from './kubelet.js';

type Json = Record<string, unknown>;
type VirtualService = KubeObject & { spec?: { http?: Json[] } };

export const RPS_ANNOTATION = 'sim.tollgate.dev/rps';
export const HEADERS_ANNOTATION = 'sim.tollgate.dev/headers';
export const HEADER_SHARE_ANNOTATION = 'sim.tollgate.dev/header-share';
const TICK_MS = 100;
const DEFAULT_RPS = 20;

/**
 * The data-plane stand-in (test infrastructure, not a mesh): for every VirtualService it sends synthetic
 * user requests at a steady rate, routes each one as Istio would from the live spec (first matching rule,
 * weighted destinations, mirror), sends it to a ready pod of the destination Service, and records the
 * result as Istio's destination-side metrics, which Prometheus scrapes from /metrics.
 */
export class TrafficDriver {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'istio_requests_total', help: 'requests', labelNames: ['reporter', 'destination_workload', 'destination_workload_namespace', 'destination_service_name', 'response_code', 'source_workload'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'istio_request_duration_milliseconds', help: 'latency', labelNames: ['reporter', 'destination_workload', 'destination_workload_namespace', 'destination_service_name', 'response_code', 'source_workload'], buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000], registers: [this.registry] });
  private readonly vs: Informer<VirtualService>;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private timer: NodeJS.Timeout | undefined;
  private readonly rr = new Map<string, number>();
  private carry = new Map<string, number>();

  constructor(client: KubeClient, private readonly log: Logger) {
    this.vs = new Informer({ client, resource: Resources.virtualServices, logger: log });
    this.services = new Informer({ client, resource: Resources.services, logger: log });
    this.pods = new Informer({ client, resource: Resources.pods, logger: log });
  }

  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.pods.start()]);
    this.vs.start().catch((err: Error) => this.log.info({ err: err.message }, 'no VirtualServices served yet'));
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const i of [this.vs, this.services, this.pods]) i.stop();
    this.agent.destroy();
  }

  private tick(): void {
    for (const vs of this.vs.list()) {
      const key = `${vs.metadata.namespace}/${vs.metadata.name}`;
      const rps = Number(vs.metadata.annotations?.[RPS_ANNOTATION] ?? DEFAULT_RPS);
      const due = (this.carry.get(key) ?? 0) + (rps * TICK_MS) / 1000;
      const n = Math.floor(due);
      this.carry.set(key, due - n);
      for (let i = 0; i < n; i++) this.send(vs, this.synthetic(vs));
    }
  }

  private synthetic(vs: VirtualService): SyntheticRequest {
    const a = vs.metadata.annotations ?? {};
    const share = Number(a[HEADER_SHARE_ANNOTATION] ?? 0);
    const headers = a[HEADERS_ANNOTATION] && Math.random() < share ? (JSON.parse(a[HEADERS_ANNOTATION]) as Record<string, string>) : {};
    return { path: '/', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
  }

  private send(vs: VirtualService, req: SyntheticRequest): void {
    const rule = (vs.spec?.http ?? []).find((r) => ruleApplies(r, req));
    if (!rule) return;
    const host = pickWeighted((rule.route ?? []) as Json[]);
    if (host) this.forward(vs.metadata.namespace!, host, req);
    const mirror = rule.mirror as Json | undefined;
    const pct = Number(((rule.mirrorPercentage as Json | undefined)?.value as number | undefined) ?? 100);
    if (mirror?.host && Math.random() * 100 < pct) this.forward(vs.metadata.namespace!, String(mirror.host), req);
  }

  private forward(ns: string, host: string, req: SyntheticRequest): void {
    const [svcName, svcNs = ns] = host.split('.');
    const svc = this.services.get(svcNs, svcName!);
    const pod = svc && this.pickPod(svcNs, svc);
    const endpoint = pod?.metadata.annotations?.[ENDPOINT_ANNOTATION];
    if (!pod || !endpoint) return;
    const labels = {
      reporter: 'destination', destination_workload: workloadOf(pod), destination_workload_namespace: svcNs,
      destination_service_name: svcName!, source_workload: 'traffic-driver',
    };
    const started = performance.now();
    const done = (code: number): void => {
      this.requests.inc({ ...labels, response_code: String(code) });
      this.duration.observe({ ...labels, response_code: String(code) }, performance.now() - started);
    };
    const r = http.get(`http://${endpoint}${req.path}`, { agent: this.agent, headers: req.headers, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    r.on('timeout', () => r.destroy());
    r.on('error', () => done(503));
  }

  private pickPod(ns: string, svc: Service): Pod | undefined {
    const sel = Object.entries(svc.spec.selector ?? {});
    if (sel.length === 0) return undefined;
    const ready = this.pods.list(ns).filter((p) =>
      sel.every(([k, v]) => p.metadata.labels?.[k] === v) && !p.metadata.deletionTimestamp
      && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (ready.length === 0) return undefined;
    const key = `${ns}/${svc.metadata.name}`;
    const i = (this.rr.get(key) ?? 0) + 1;
    this.rr.set(key, i);
    return ready[i % ready.length];
  }
}

function pickWeighted(route: Json[]): string | undefined {
  const total = route.reduce((sum, d) => sum + Number(d.weight ?? (route.length === 1 ? 100 : 0)), 0);
  if (total <= 0) return undefined;
  let r = Math.random() * total;
  for (const d of route) {
    r -= Number(d.weight ?? (route.length === 1 ? 100 : 0));
    if (r < 0) return String((d.destination as Json).host);
  }
  return undefined;
}

/** Istio's destination_workload: the Deployment that owns the pod's ReplicaSet. */
function workloadOf(pod: Pod): string {
  const rs = pod.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (rs && hash && rs.endsWith(`-${hash}`)) return rs.slice(0, -(hash.length + 1));
  return rs ?? pod.metadata.name ?? 'unknown';
}
