import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { Deployment, DeploymentCondition } from '../src/api/k8s.js';
import type { Canary, CanaryService, OwnerReference } from '../src/api/types.js';
import { revisionOf } from '../src/core/revision.js';
import {
  deploymentReadiness,
  deploymentSpecFields,
  discoveredPorts,
  primaryTemplateOf,
  primaryWorkloadOf,
  selectorLabelOf,
  templateRevision,
} from '../src/targets/deployment-spec.js';
import { TargetError } from '../src/targets/target.js';

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The primary Deployment of a target with no tracked configs, as the Deployment target builds it (workload-target.ts). */
function primaryDeploymentOf(target: Deployment, canary: Canary, sel: { key: string; value: string }, owner: OwnerReference): Deployment {
  const template = primaryTemplateOf(target.spec.template, sel, templateRevision(target.spec.template));
  return primaryWorkloadOf('Deployment', target, canary, sel, owner, template, deploymentSpecFields(target));
}

function aDeployment(overrides: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'podinfo',
      namespace: 'test',
      generation: 3,
      labels: { app: 'podinfo', team: 'web', 'kustomize.toolkit.fluxcd.io/name': 'apps', 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'meta.helm.sh/release-name': 'podinfo',
        'meta.helm.sh/release-namespace': 'test',
        'deployment.kubernetes.io/revision': '7',
        'kustomize.toolkit.fluxcd.io/checksum': 'abc',
        'example.com/owner': 'team-web',
      },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'podinfo', tier: 'frontend' } },
      template: {
        metadata: {
          labels: { app: 'podinfo', tier: 'frontend', version: 'v1' },
          annotations: { 'prometheus.io/scrape': 'true', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        },
        spec: { containers: [{ name: 'app', image: 'podinfo:6.0.0', ports: [{ name: 'http', containerPort: 9898 }] }] },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } },
      minReadySeconds: 5,
      revisionHistoryLimit: 2,
      progressDeadlineSeconds: 120,
      ...overrides,
    },
  };
}

const canary: Canary = {
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo-release', namespace: 'test', uid: 'uid-1' },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 9898 } },
};
const owner: OwnerReference = {
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  name: 'podinfo-release',
  uid: 'uid-1',
  controller: true,
  blockOwnerDeletion: true,
};

describe('selectorLabelOf', () => {
  it.each<[string, Record<string, string>, string[], { key: string; value: string }]>([
    ['app first', { app: 'podinfo', name: 'x' }, ['app', 'name'], { key: 'app', value: 'podinfo' }],
    ['the candidates order wins over the matchLabels order', { name: 'x', app: 'podinfo' }, ['name', 'app'], { key: 'name', value: 'x' }],
    [
      'a later candidate',
      { 'app.kubernetes.io/name': 'podinfo' },
      ['app', 'name', 'app.kubernetes.io/name'],
      { key: 'app.kubernetes.io/name', value: 'podinfo' },
    ],
    ['an empty value skipped', { app: '', name: 'podinfo' }, ['app', 'name'], { key: 'name', value: 'podinfo' }],
  ])('given %s, then the label is %j', (_title, matchLabels, candidates, label) => {
    expect(selectorLabelOf(aDeployment({ selector: { matchLabels } }), candidates)).toEqual(label);
  });

  it.each<[string, Deployment['spec']['selector']]>([
    ['none of the candidates', { matchLabels: { component: 'web' } }],
    ['no matchLabels at all', { matchExpressions: [{ key: 'app', operator: 'In', values: ['podinfo'] }] }],
  ])('given %s, then a TargetInvalid error names the deployment and the candidates', (_title, selector) => {
    let caught: unknown;
    try {
      selectorLabelOf(aDeployment({ selector }), ['app', 'name']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TargetError);
    expect((caught as TargetError).reason).toBe('TargetInvalid');
    expect((caught as TargetError).message).toBe("podinfo's spec.selector.matchLabels has none of the labels app, name");
  });
});

describe('primaryDeploymentOf', () => {
  const sel = { key: 'app', value: 'podinfo' };

  it('given a target applied by Flux and Helm, then the primary is the golden copy', () => {
    const target = aDeployment();
    expect(primaryDeploymentOf(target, canary, sel, owner)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'podinfo-primary',
        namespace: 'test',
        labels: { app: 'podinfo-primary', team: 'web', 'app.kubernetes.io/managed-by': 'Helm', [LABELS.canary]: 'podinfo-release' },
        annotations: { 'example.com/owner': 'team-web' },
        ownerReferences: [owner],
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'podinfo-primary', tier: 'frontend' } },
        template: {
          metadata: {
            labels: { app: 'podinfo-primary', tier: 'frontend', version: 'v1', [LABELS.pool]: 'podinfo' },
            annotations: { 'prometheus.io/scrape': 'true', [ANNOTATIONS.revision]: revisionOf(target.spec.template) },
          },
          spec: { containers: [{ name: 'app', image: 'podinfo:6.0.0', ports: [{ name: 'http', containerPort: 9898 }] }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } },
        minReadySeconds: 5,
        revisionHistoryLimit: 2,
        progressDeadlineSeconds: 120,
      },
    });
  });

  it('given a target without optional rollout settings, then the primary has none of those keys', () => {
    const target = aDeployment();
    delete target.spec.strategy;
    delete target.spec.minReadySeconds;
    delete target.spec.revisionHistoryLimit;
    delete target.spec.progressDeadlineSeconds;
    expect(Object.keys(primaryDeploymentOf(target, canary, sel, owner).spec).sort()).toEqual(['replicas', 'selector', 'template']);
  });

  it.each<[number | undefined, number]>([
    [undefined, 1],
    [0, 1],
    [5, 5],
  ])('given target replicas %p (the target may be scaled to zero), then the primary has %p', (replicas, expected) => {
    const target = aDeployment();
    if (replicas === undefined) delete target.spec.replicas;
    else target.spec.replicas = replicas;
    expect(primaryDeploymentOf(target, canary, sel, owner).spec.replicas).toBe(expected);
  });

  it('given a different selector label, then only that label is renamed, everywhere', () => {
    const target = aDeployment({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'podinfo', app: 'shared' } },
      template: { metadata: { labels: { 'app.kubernetes.io/name': 'podinfo', app: 'shared' } }, spec: { containers: [{ name: 'app' }] } },
    });
    target.metadata.labels = { 'app.kubernetes.io/name': 'podinfo', app: 'shared' };
    const p = primaryDeploymentOf(target, canary, { key: 'app.kubernetes.io/name', value: 'podinfo' }, owner);
    expect(p.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'podinfo-primary', app: 'shared' });
    expect(p.spec.template.metadata?.labels).toEqual({
      'app.kubernetes.io/name': 'podinfo-primary',
      app: 'shared',
      [LABELS.pool]: 'podinfo',
    });
    expect(p.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'podinfo-primary', app: 'shared', [LABELS.canary]: 'podinfo-release' });
  });

  it('given matchExpressions in the selector, then they are kept', () => {
    const matchExpressions = [{ key: 'track', operator: 'NotIn', values: ['canary'] }];
    const p = primaryDeploymentOf(aDeployment({ selector: { matchLabels: { app: 'podinfo' }, matchExpressions } }), canary, sel, owner);
    expect(p.spec.selector).toEqual({ matchLabels: { app: 'podinfo-primary' }, matchExpressions });
  });

  it('given a template without metadata, then the primary template still gets the selector label and the revision', () => {
    const target = aDeployment({ template: { spec: { containers: [{ name: 'app' }] } } });
    const t = primaryDeploymentOf(target, canary, sel, owner).spec.template;
    expect(t.metadata).toEqual({
      labels: { app: 'podinfo-primary', [LABELS.pool]: 'podinfo' },
      annotations: { [ANNOTATIONS.revision]: templateRevision(target.spec.template) },
    });
  });

  it('given a target without labels or annotations, then the primary has only the canary label and no annotations', () => {
    const target = aDeployment();
    delete target.metadata.labels;
    delete target.metadata.annotations;
    const p = primaryDeploymentOf(target, canary, sel, owner);
    expect(p.metadata.labels).toEqual({ [LABELS.canary]: 'podinfo-release' });
    expect(p.metadata.annotations).toEqual({});
  });

  it('given a target, then the target is not mutated', () => {
    const target = aDeployment();
    const before = copy(target);
    primaryDeploymentOf(target, canary, sel, owner);
    expect(copy(target)).toEqual(before);
  });

  it('given a changed pod template, then the revision annotation changes; a changed replica count does not change it', () => {
    const a = aDeployment();
    const b = aDeployment();
    b.spec.template.spec.containers[0]!.image = 'podinfo:6.0.1';
    const c = aDeployment({ replicas: 9 });
    const rev = (d: Deployment) => primaryDeploymentOf(d, canary, sel, owner).spec.template.metadata?.annotations?.[ANNOTATIONS.revision];
    expect(rev(a)).not.toBe(rev(b));
    expect(rev(a)).toBe(rev(c));
  });

  it('given primaryTemplateOf with an explicit revision, then that revision is stamped', () => {
    expect(primaryTemplateOf(aDeployment().spec.template, sel, 'r123').metadata?.annotations?.[ANNOTATIONS.revision]).toBe('r123');
  });
});

describe('deploymentReadiness', () => {
  type Status = NonNullable<Deployment['status']>;
  const withStatus = (status: Status | undefined, replicas: number | 'unset' = 4, generation = 3): Deployment => {
    const d = aDeployment();
    d.metadata.generation = generation;
    if (replicas === 'unset') delete d.spec.replicas;
    else d.spec.replicas = replicas;
    if (status) d.status = status;
    return d;
  };
  const healthy: Status = { observedGeneration: 3, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 };
  const deadline: DeploymentCondition = {
    type: 'Progressing',
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
    message: 'ReplicaSet "podinfo-5d" has timed out progressing.',
  };

  it('given no deployment, then it is not found and not fatal', () => {
    expect(deploymentReadiness(undefined, 100)).toEqual({ ready: false, reason: 'deployment not found', fatal: false });
  });

  it.each<[string, Deployment, number, ReturnType<typeof deploymentReadiness>]>([
    ['a healthy rollout', withStatus(healthy), 100, { ready: true }],
    ['no status yet', withStatus(undefined), 100, { ready: false, reason: 'rollout not yet observed', fatal: false }],
    [
      'an older observedGeneration',
      withStatus({ ...healthy, observedGeneration: 2 }),
      100,
      { ready: false, reason: 'rollout not yet observed', fatal: false },
    ],
    ['a newer observedGeneration', withStatus({ ...healthy, observedGeneration: 4 }), 100, { ready: true }],
    [
      'an exceeded progress deadline',
      withStatus({ ...healthy, conditions: [deadline] }),
      100,
      { ready: false, reason: 'podinfo exceeded its progress deadline: ReplicaSet "podinfo-5d" has timed out progressing.', fatal: true },
    ],
    [
      'a Progressing condition that is fine',
      withStatus({ ...healthy, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] }),
      100,
      { ready: true },
    ],
    [
      'a deployment scaled to zero',
      withStatus({ observedGeneration: 3 }, 0),
      100,
      { ready: false, reason: 'podinfo is scaled to zero', fatal: false },
    ],
    [
      'replicas not yet updated',
      withStatus({ ...healthy, updatedReplicas: 2 }),
      100,
      { ready: false, reason: '2 of 4 replicas updated', fatal: false },
    ],
    [
      'no updated count at all',
      withStatus({ observedGeneration: 3 }),
      100,
      { ready: false, reason: '0 of 4 replicas updated', fatal: false },
    ],
    [
      'old replicas still terminating',
      withStatus({ ...healthy, replicas: 6 }),
      100,
      { ready: false, reason: '2 old replicas pending termination', fatal: false },
    ],
    [
      '3 of 4 available at 100%',
      withStatus({ ...healthy, availableReplicas: 3 }),
      100,
      { ready: false, reason: '3 of 4 replicas available', fatal: false },
    ],
    ['3 of 4 available at 75%', withStatus({ ...healthy, availableReplicas: 3 }), 75, { ready: true }],
    [
      '2 of 4 available at 51% (rounded up to 3 needed)',
      withStatus({ ...healthy, availableReplicas: 2 }),
      51,
      { ready: false, reason: '2 of 3 replicas available', fatal: false },
    ],
    ['none available at 0%', withStatus({ ...healthy, availableReplicas: 0 }), 0, { ready: true }],
    [
      'no available count at 100%',
      withStatus({ observedGeneration: 3, replicas: 4, updatedReplicas: 4 }),
      100,
      { ready: false, reason: '0 of 4 replicas available', fatal: false },
    ],
    [
      'no replicas field defaults to one',
      withStatus({ observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, 'unset'),
      100,
      { ready: true },
    ],
    [
      'no replicas field and none updated',
      withStatus({ observedGeneration: 3 }, 'unset'),
      100,
      { ready: false, reason: '0 of 1 replicas updated', fatal: false },
    ],
  ])('given %s, then %j', (_title, d, pct, readiness) => {
    expect(deploymentReadiness(d, pct)).toEqual(readiness);
  });

  it('given an exceeded deadline on a deployment with a newer generation not yet observed, then it waits rather than failing', () => {
    const d = withStatus({ ...healthy, observedGeneration: 2, conditions: [deadline] });
    expect(deploymentReadiness(d, 100)).toEqual({ ready: false, reason: 'rollout not yet observed', fatal: false });
  });

  it('given an exceeded deadline on a deployment scaled to zero, then the deadline is still fatal', () => {
    expect(deploymentReadiness(withStatus({ observedGeneration: 3, conditions: [deadline] }, 0), 100)).toMatchObject({
      ready: false,
      fatal: true,
    });
  });
});

describe('discoveredPorts', () => {
  const withContainers = (containers: Deployment['spec']['template']['spec']['containers']): Deployment =>
    aDeployment({ template: { metadata: { labels: { app: 'podinfo' } }, spec: { containers } } });

  it('given an app with a main port, a metrics port and a sidecar, then only the metrics port is discovered', () => {
    const d = withContainers([
      {
        name: 'app',
        ports: [
          { name: 'http', containerPort: 9898 },
          { name: 'http-metrics', containerPort: 9797 },
        ],
      },
      { name: 'istio-proxy', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] },
    ]);
    expect(discoveredPorts(d, { port: 9898 })).toEqual([{ name: 'http-metrics', port: 9797, targetPort: 9797, protocol: 'TCP' }]);
  });

  it.each<[string, CanaryService, number[]]>([
    ['the main port given by port', { port: 9898 }, [9797, 8080]],
    ['the main port given by a numeric targetPort', { port: 80, targetPort: 8080 }, [9898, 9797]],
    ['the main port given by a named targetPort', { port: 80, targetPort: 'http-metrics' }, [9898, 8080]],
  ])('given %s, then it is left out', (_title, svc, ports) => {
    const d = withContainers([
      {
        name: 'app',
        ports: [
          { name: 'http', containerPort: 9898 },
          { name: 'http-metrics', containerPort: 9797 },
          { name: 'admin', containerPort: 8080 },
        ],
      },
    ]);
    expect(discoveredPorts(d, svc).map((p) => p.port)).toEqual(ports);
  });

  it.each([['istio-proxy'], ['envoy'], ['linkerd-proxy']])('given a %s sidecar, then its ports are not discovered', (name) => {
    expect(discoveredPorts(withContainers([{ name: 'app' }, { name, ports: [{ containerPort: 15000 }] }]), { port: 80 })).toEqual([]);
  });

  it('given unnamed ports and a UDP port in two containers with a numeric targetPort, then names are generated per container and index and the protocol is kept', () => {
    const d = withContainers([
      { name: 'app', ports: [{ containerPort: 9898 }, { containerPort: 9999 }] },
      { name: 'dns', ports: [{ containerPort: 53, protocol: 'UDP' }] },
    ]);
    expect(discoveredPorts(d, { port: 80, targetPort: 9898 })).toEqual([
      { name: 'tcp-app-1', port: 9999, targetPort: 9999, protocol: 'TCP' },
      { name: 'tcp-dns-0', port: 53, targetPort: 53, protocol: 'UDP' },
    ]);
  });

  // Bug (deployment-spec.ts:97): `p.name === svc.targetPort` is true when both are undefined, so without
  // service.targetPort (the usual case) every unnamed container port is treated as the main port and skipped.
  it('given unnamed ports and no targetPort, then the ports other than service.port are discovered', () => {
    const d = withContainers([
      { name: 'app', ports: [{ containerPort: 9898 }, { containerPort: 9999 }] },
      { name: 'dns', ports: [{ containerPort: 53, protocol: 'UDP' }] },
    ]);
    expect(discoveredPorts(d, { port: 9898 })).toEqual([
      { name: 'tcp-app-1', port: 9999, targetPort: 9999, protocol: 'TCP' },
      { name: 'tcp-dns-0', port: 53, targetPort: 53, protocol: 'UDP' },
    ]);
  });

  it('given containers without ports, then nothing is discovered', () => {
    expect(discoveredPorts(withContainers([{ name: 'app' }, { name: 'worker' }]), { port: 80 })).toEqual([]);
  });

  it('given a container port named like the main port, then it is renamed so the Service stays valid', () => {
    const d = withContainers([
      {
        name: 'app',
        ports: [
          { name: 'http', containerPort: 9898 },
          { name: 'metrics', containerPort: 9797 },
        ],
      },
    ]);
    expect(discoveredPorts(d, { port: 80, targetPort: 80 })).toEqual([
      { name: 'tcp-app-0', port: 9898, targetPort: 9898, protocol: 'TCP' },
      { name: 'metrics', port: 9797, targetPort: 9797, protocol: 'TCP' },
    ]);
  });

  it('given a container port equal to the Service port number, then it is not added twice', () => {
    const d = withContainers([{ name: 'app', ports: [{ name: 'web', containerPort: 80 }] }]);
    expect(discoveredPorts(d, { port: 80, targetPort: 8080 })).toEqual([]);
  });
});
