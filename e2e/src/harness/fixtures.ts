import { RULE_EXAMPLE_BASE } from '@tollgate/operator/api/crd/rule-examples';
import type { Deployment, StatefulSet } from '@tollgate/operator/api/k8s';
import type { Canary, CanarySpec, KubeObject, MetricTemplate } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { isConflict } from '@tollgate/operator/kube/errors';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create(Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** The sample workload: the simulated kubelet runs the sample app for it; env drives its behaviour. */
export function sampleDeployment(ns: string, name: string, env: Record<string, string> = {}, replicas = 1): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'tollgate.dev/sample-app:1',
              ports: [{ name: 'http', containerPort: 9898 }],
              env: Object.entries({ VERSION: 'v1', ...env }).map(([k, v]) => ({ name: k, value: v })),
            },
          ],
        },
      },
    },
  };
}

/** A user's Ingress (networking.k8s.io/v1) sending every path of one host to a Service: what the nginx provider clones. */
export function ingressFor(ns: string, name: string, service: string, port: number): KubeObject & { spec: Record<string, unknown> } {
  const backend = { service: { name: service, port: { number: port } } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns },
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
    },
  };
}

/** An Istio canary with the built-in metrics, fast enough for a test. */
export function istioCanary(
  ns: string,
  name: string,
  analysis: Partial<NonNullable<CanarySpec['analysis']>> = {},
  spec: Partial<CanarySpec> = {},
): Canary {
  return canaryFor('istio', ns, name, analysis, spec);
}

/** The metrics of a Canary whose provider has no built-in queries: templates over the simulator's Istio metrics. */
export const TEMPLATE_METRICS: NonNullable<CanarySpec['analysis']>['metrics'] = [
  { name: 'success-rate', interval: '10s', thresholdRange: { min: 99 }, templateRef: { name: 'success-rate' } },
  { name: 'latency', interval: '10s', thresholdRange: { max: 500 }, templateRef: { name: 'latency' } },
];

/** MetricTemplates for TEMPLATE_METRICS; no address, so the operator's default Prometheus answers. */
export function metricTemplates(ns: string): MetricTemplate[] {
  const sel = 'destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}"';
  const template = (name: string, query: string): MetricTemplate => ({
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'MetricTemplate',
    metadata: { name, namespace: ns },
    spec: { provider: { type: 'prometheus' }, query },
  });
  return [
    template(
      'success-rate',
      `sum(rate(istio_requests_total{${sel}, response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{${sel}}[{{ interval }}])) * 100`,
    ),
    template('latency', `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${sel}}[{{ interval }}])) by (le))`),
  ];
}

/** A canary for any provider: the rule examples' base (RULE_EXAMPLE_BASE) for that provider and target, with changes. */
export function canaryFor(
  provider: string,
  ns: string,
  name: string,
  analysis: Partial<NonNullable<CanarySpec['analysis']>> = {},
  spec: Partial<CanarySpec> = {},
): Canary {
  // A JSON copy, not structuredClone: under jest's VM modules structuredClone makes objects of the host realm,
  // which js-yaml's dump refuses as 'unacceptable kind of an object'.
  const base = JSON.parse(JSON.stringify(RULE_EXAMPLE_BASE)) as CanarySpec;
  return {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: ns },
    spec: {
      ...base,
      provider: provider as CanarySpec['provider'],
      targetRef: { ...base.targetRef, name },
      analysis: { ...base.analysis, ...analysis },
      ...spec,
    },
  };
}

/** Reads an object, changes it and replaces it, again on a write conflict (at most 10 more times), as kubectl does. */
async function replaceRetrying<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  ns: string,
  name: string,
  change: (live: T) => void,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const live = await client.get<T>(resource, ns, name);
    change(live);
    try {
      await client.replace(resource, live);
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= 10) throw err;
    }
  }
}

/** Changes the target's pod template env (a new revision), retrying on write conflicts as kubectl does. */
export function setEnv(client: KubeClient, ns: string, name: string, env: Record<string, string>): Promise<void> {
  return replaceRetrying<Deployment>(client, Resources.deployments, ns, name, (d) => {
    const c = d.spec.template.spec.containers[0]!;
    const merged = new Map((c.env ?? []).map((e) => [e.name, e.value ?? '']));
    for (const [k, v] of Object.entries(env)) merged.set(k, v);
    c.env = [...merged].map(([k, v]) => ({ name: k, value: v }));
  });
}

/** Replaces a StatefulSet's first container's env (a new revision), retrying on write conflicts. */
export function setStatefulSetEnv(client: KubeClient, ns: string, name: string, env: Record<string, string>): Promise<void> {
  return replaceRetrying<StatefulSet>(client, Resources.statefulSets, ns, name, (s) => {
    s.spec.template.spec.containers[0]!.env = Object.entries(env).map(([k, v]) => ({ name: k, value: v }));
  });
}
