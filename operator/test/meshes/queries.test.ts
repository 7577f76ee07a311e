import { DURATION, SUCCESS_RATE } from '../../src/api/metric-names.js';
import { isBuiltinMetric } from '../../src/meshes/queries.js';
import { builtinQuery, NoBuiltinQueryError } from '../../src/meshes/registry.js';
import { renderQuery, type QueryVars } from '../../src/metrics/render.js';

const vars: QueryVars = {
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'podinfo',
  ingress: '',
  route: '',
  interval: '1m',
  variables: {},
};

describe('builtinQuery for istio', () => {
  it('given request-success-rate, then it is the non-5xx share of destination-reported requests in percent', () => {
    expect(renderQuery(builtinQuery('istio', SUCCESS_RATE), vars, 'promql')).toBe(
      'sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="test", destination_workload=~"podinfo", response_code!~"5.*"}[1m]))' +
        ' / sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="test", destination_workload=~"podinfo"}[1m])) * 100',
    );
  });

  it('given request-duration, then it is the P99 of the request duration histogram in milliseconds', () => {
    expect(renderQuery(builtinQuery('istio', DURATION), vars, 'promql')).toBe(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_workload_namespace="test", destination_workload=~"podinfo"}[1m])) by (le))',
    );
  });
});

describe('builtinQuery for kubernetes', () => {
  it('given request-success-rate, then it reads the application histogram count of the target pods', () => {
    expect(renderQuery(builtinQuery('kubernetes', SUCCESS_RATE), vars, 'promql')).toBe(
      'sum(rate(http_request_duration_seconds_count{namespace="test", pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*"}[1m]))' +
        ' / sum(rate(http_request_duration_seconds_count{namespace="test", pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) * 100',
    );
  });

  it('given request-duration, then it is the P99 in seconds converted to milliseconds', () => {
    const q = renderQuery(builtinQuery('kubernetes', DURATION), vars, 'promql');
    expect(q).toBe(
      'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{namespace="test", pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) by (le)) * 1000',
    );
  });
});

describe('builtinQuery for the other meshes', () => {
  it.each([
    [
      'linkerd',
      'response_total{namespace="test", deployment=~"podinfo", direction="inbound", classification!="failure"}',
      'response_latency_ms_bucket{namespace="test", deployment=~"podinfo", direction="inbound"}',
    ],
    [
      'appmesh:v1beta2',
      'envoy_cluster_upstream_rq{kubernetes_namespace="test", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", envoy_response_code!~"5.*"}',
      'envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="test", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}',
    ],
    [
      'osm',
      'osm_request_total{destination_namespace="test", destination_kind="Deployment", destination_name=~"podinfo", response_code!~"5.*"}',
      'osm_request_duration_ms_bucket{destination_namespace="test", destination_kind="Deployment", destination_name=~"podinfo"}',
    ],
  ])("given %s, then the success rate and P99 read that mesh's own metrics", (provider, success, duration) => {
    expect(renderQuery(builtinQuery(provider, SUCCESS_RATE), vars, 'promql')).toContain(`sum(rate(${success}[1m]))`);
    expect(renderQuery(builtinQuery(provider, DURATION), vars, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(${duration}[1m])) by (le))`,
    );
  });
});

describe('builtinQuery for nginx', () => {
  const withIngress: QueryVars = { ...vars, ingress: 'web' };

  it("given request-success-rate, then it is the non-5xx share of the requests of the ingressRef's Ingress, as Flagger's nginx observer", () => {
    expect(renderQuery(builtinQuery('nginx', SUCCESS_RATE), withIngress, 'promql')).toBe(
      'sum(rate(nginx_ingress_controller_requests{namespace="test", ingress="web", status!~"5.*"}[1m]))' +
        ' / sum(rate(nginx_ingress_controller_requests{namespace="test", ingress="web"}[1m])) * 100',
    );
  });

  it('given request-duration, then it is the mean response duration of that Ingress in milliseconds (sum over count)', () => {
    expect(renderQuery(builtinQuery('nginx', DURATION), withIngress, 'promql')).toBe(
      'sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="test", ingress="web"}[1m]))' +
        ' / sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="test", ingress="web"}[1m])) * 1000',
    );
  });
});

describe('builtinQuery for contour', () => {
  it("given request-success-rate and request-duration, then they read Contour's Envoy cluster of the -canary Service, as Flagger's observer does", () => {
    const cluster = 'envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+"';
    expect(renderQuery(builtinQuery('contour', SUCCESS_RATE), vars, 'promql')).toBe(
      `sum(rate(envoy_cluster_upstream_rq{${cluster}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${cluster}}[1m])) * 100`,
    );
    expect(renderQuery(builtinQuery('contour', DURATION), vars, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{${cluster}}[1m])) by (le))`,
    );
  });

  it("given a service.name other than the target, then the cluster is the Service's (Flagger reads the target name there)", () => {
    const q = renderQuery(builtinQuery('contour', SUCCESS_RATE), { ...vars, target: 'podinfo-v1', service: 'podinfo' }, 'promql');
    expect(q).toContain('envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+"');
  });
});

describe('builtinQuery for traefik', () => {
  it("given request-success-rate and request-duration, then they read Traefik's series of the -canary Service, the P99 in milliseconds", () => {
    const svc = 'service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd"';
    expect(renderQuery(builtinQuery('traefik', SUCCESS_RATE), vars, 'promql')).toBe(
      `sum(rate(traefik_service_requests_total{${svc}, code!~"5.."}[1m])) / sum(rate(traefik_service_requests_total{${svc}}[1m])) * 100`,
    );
    expect(renderQuery(builtinQuery('traefik', DURATION), vars, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${svc}}[1m])) by (le)) * 1000`,
    );
  });
});

describe('builtinQuery for gloo', () => {
  it('given request-success-rate and request-duration, then they read the Envoy cluster of the -canaryupstream Upstream the router writes', () => {
    const c = 'envoy_cluster_name=~"test-podinfo-canaryupstream-[0-9]+_test"';
    expect(renderQuery(builtinQuery('gloo', SUCCESS_RATE), vars, 'promql')).toBe(
      `sum(rate(envoy_cluster_upstream_rq{${c}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${c}}[1m])) * 100`,
    );
    expect(renderQuery(builtinQuery('gloo', DURATION), vars, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{${c}}[1m])) by (le))`,
    );
  });
});

describe('builtinQuery for apisix', () => {
  it("given request-success-rate and request-duration, then they read APISIX's series of the canary clone's rules (the request latency, in ms)", () => {
    const r = 'route=~"test_web-podinfo-canary_.+"';
    const v = { ...vars, route: 'web' };
    expect(renderQuery(builtinQuery('apisix', SUCCESS_RATE), v, 'promql')).toBe(
      `sum(rate(apisix_http_status{${r}, code!~"5.."}[1m])) / sum(rate(apisix_http_status{${r}}[1m])) * 100`,
    );
    expect(renderQuery(builtinQuery('apisix', DURATION), v, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(apisix_http_latency_bucket{${r}, type="request"}[1m])) by (le))`,
    );
  });
});

describe('builtinQuery for kuma', () => {
  it("given request-success-rate and request-duration, then they read Kuma's Envoy series of the canary's service tag", () => {
    const s = 'service=~"podinfo-canary_test_svc_[0-9]+"';
    expect(renderQuery(builtinQuery('kuma', SUCCESS_RATE), vars, 'promql')).toBe(
      `sum(rate(envoy_cluster_upstream_rq{${s}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${s}}[1m])) * 100`,
    );
    expect(renderQuery(builtinQuery('kuma', DURATION), vars, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{${s}}[1m])) by (le))`,
    );
  });
});

describe('builtinQuery for knative', () => {
  it("given request-success-rate and request-duration, then they read the ingress's Envoy series of cluster <namespace>/<route>, as Flagger's knative observer", () => {
    const s = 'envoy_cluster_name=~"test/podinfo"';
    const knativeVars = { ...vars, route: 'podinfo' };
    expect(renderQuery(builtinQuery('knative', SUCCESS_RATE), knativeVars, 'promql')).toBe(
      `sum(rate(envoy_cluster_upstream_rq{${s}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${s}}[1m])) * 100`,
    );
    expect(renderQuery(builtinQuery('knative', DURATION), knativeVars, 'promql')).toBe(
      `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{${s}}[1m])) by (le))`,
    );
  });
});

describe('builtinQuery for other providers', () => {
  it.each([['gatewayapi:v1'], ['smi:v1alpha2'], ['consul'], ['']])(
    'given provider %p, then NoBuiltinQueryError points to a MetricTemplate',
    (provider) => {
      expect(() => builtinQuery(provider, SUCCESS_RATE)).toThrow(NoBuiltinQueryError);
      expect(() => builtinQuery(provider, DURATION)).toThrow(
        `provider ${provider} has no built-in ${DURATION}: use a MetricTemplate (templateRef)`,
      );
    },
  );
});

describe('isBuiltinMetric', () => {
  it.each<[string, boolean]>([
    [SUCCESS_RATE, true],
    [DURATION, true],
    ['request-success', false],
    ['error-rate', false],
  ])('given %p, then it is %p', (name, builtin) => {
    expect(isBuiltinMetric(name)).toBe(builtin);
  });
});
