import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { load, loadAll } from 'js-yaml';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { Secret } from '@tollgate/operator/api/k8s';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import { isAlreadyExists, isNotFound } from '@tollgate/operator/kube/errors';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { freePort, startProcess, waitFor, type ManagedProcess } from '../src/cluster/processes.js';
import { canaryFor, createNamespace, sampleDeployment, setEnv } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { HOOKS_MAIN, OPERATOR_MAIN, ROOT } from '../src/harness/paths.js';
import { serviceAccountKubeconfig as saKubeconfig } from '../src/harness/service-account.js';
import { runTool, tool } from '../src/harness/tools.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { isSubsequence, primaryTraffic } from './helpers.js';

/**
 * Installs Tollgate the way the README says (Helm chart, Kustomize base and overlays) and proves the chart:
 * the operator runs exactly as the chart's Deployment would (its rendered args and env, authenticated as the
 * chart's ServiceAccount) and promotes a real release, so the chart's RBAC is enough; the hooks service
 * likewise starts and serves a gate with the token the chart generated.
 */

type Obj = KubeObject & Record<string, unknown>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
interface ContainerSpec {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpecLike {
  serviceAccountName: string;
  securityContext?: Record<string, unknown>;
  containers: ContainerSpec[];
  volumes?: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const CHART = path.join(ROOT, 'charts', 'tollgate');
const KUSTOMIZE = path.join(ROOT, 'kustomize');
const OVERLAYS = ['istio', 'linkerd', 'appmesh', 'gatewayapi', 'kubernetes'];
const RELEASE_NS = 'tollgate-system';
const run = promisify(execFile);

const parse = (text: string): Obj[] => (loadAll(text) as (Obj | null)[]).filter((d): d is Obj => Boolean(d && d.kind));
const find = (objs: Obj[], kind: string, name: string, namespace?: string): Obj | undefined =>
  objs.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
const must = (objs: Obj[], kind: string, name: string, namespace?: string): Obj => {
  const o = find(objs, kind, name, namespace);
  if (!o)
    throw new Error(
      `no ${kind} ${namespace ? `${namespace}/` : ''}${name} in: ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`,
    );
  return o;
};
const podSpec = (d: Obj): PodSpecLike => (d.spec as { template: { spec: PodSpecLike } }).template.spec;
const container = (d: Obj): ContainerSpec => podSpec(d).containers[0]!;
const envOf = (d: Obj): Record<string, string | undefined> => Object.fromEntries((container(d).env ?? []).map((e) => [e.name, e.value]));
const rules = (o: Obj): Rule[] => o.rules as Rule[];
/** The verbs on a resource of every ClusterRole bound cluster-wide (ClusterRoleBinding) to the operator's ServiceAccount. */
const clusterWideVerbs = (objs: Obj[], resource: string): string[] => {
  const bound = objs
    .filter((o) => o.kind === 'ClusterRoleBinding' && (o.subjects as { name: string }[]).some((x) => x.name === 'tollgate-operator'))
    .map((b) => (b.roleRef as { name: string }).name);
  return [
    ...new Set(
      bound.flatMap((name) =>
        rules(must(objs, 'ClusterRole', name))
          .filter((r) => r.resources.includes(resource))
          .flatMap((r) => r.verbs),
      ),
    ),
  ].sort();
};
const SECRET_TRACKING_RULES: Rule[] = [{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch', 'create', 'update'] }];
const appVersion = (): string => (load(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;

const template = async (...args: string[]): Promise<Obj[]> =>
  parse(await tool('helm', ['template', 'tollgate', CHART, '--namespace', RELEASE_NS, ...args]));

describe('the Helm chart, rendered', () => {
  it('ships the CRDs of crds/ unchanged, as does the Kustomize base (make crds writes all three)', async () => {
    for (const file of fs.readdirSync(path.join(ROOT, 'crds'))) {
      const source = fs.readFileSync(path.join(ROOT, 'crds', file), 'utf8');
      expect(fs.readFileSync(path.join(CHART, 'crds', file), 'utf8')).toBe(source);
      expect(fs.readFileSync(path.join(KUSTOMIZE, 'base', 'crds', file), 'utf8')).toBe(source);
    }
    expect(fs.readdirSync(path.join(CHART, 'crds')).sort()).toEqual(fs.readdirSync(path.join(ROOT, 'crds')).sort());
    await run(process.execPath, [
      path.join(ROOT, 'operator', 'dist', 'cli', 'crds.js'),
      '--check',
      path.join(CHART, 'crds'),
      path.join(KUSTOMIZE, 'base', 'crds'),
    ]);
  });

  it('passes helm lint --strict', async () => {
    const out = await tool('helm', ['lint', CHART, '--strict']);
    expect(out).toContain('0 chart(s) failed');
  });

  it('by default: operator and hooks, a ClusterRole of exactly what the operator calls, hardened pods', async () => {
    const objs = await template();
    const op = must(objs, 'Deployment', 'tollgate-operator', RELEASE_NS);
    expect(container(op).image).toBe(`ghcr.io/tollgate-dev/tollgate-operator:${appVersion()}`);
    expect(container(must(objs, 'Deployment', 'tollgate-hooks', RELEASE_NS)).image).toBe(
      `ghcr.io/tollgate-dev/tollgate-hooks:${appVersion()}`,
    );
    expect(envOf(op)).toMatchObject({
      METRICS_SERVER: 'http://prometheus:9090',
      MESH_PROVIDER: 'istio',
      WATCH_NAMESPACES: '',
      LOG_LEVEL: 'info',
      PORT: '8080',
      WORKERS: '16',
      SELECTOR_LABELS: 'app,name,app.kubernetes.io/name',
      RESYNC_INTERVAL: '5m',
      CONFIG_TRACKING: 'true',
      CLUSTER_NAME: '',
      SECRET_TRACKING_NAMESPACES: 'none',
      CROSS_NAMESPACE_REFS: 'opt-in',
      MAX_RESPONSE_SIZE: '1Mi',
      WEBHOOK_MAX_TIMEOUT: '2m',
      WEBHOOK_MAX_RETRIES: '5',
      RECONCILE_DEADLINE: '3m',
      FORBID_INSECURE_TLS: 'false',
      AMBIENT_CREDENTIALS_NAMESPACES: '',
      KUBE_API_QPS: '100',
      KUBE_API_BURST: '250',
      FLAGGER_COMPAT_METRICS: 'false',
      EVENTS_PER_STEP: 'false',
      MAX_CONCURRENT_RELEASES: '0',
      MAX_CONCURRENT_RELEASES_PER_NAMESPACE: '0',
    });
    expect(envOf(op).LEADER_ELECT).toBeUndefined();
    expect((op.spec as { strategy: { type: string } }).strategy.type).toBe('Recreate');
    for (const d of objs.filter((o) => o.kind === 'Deployment')) {
      expect(podSpec(d).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container(d).securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    }
    const role = must(objs, 'ClusterRole', 'tollgate-operator');
    const verbsOf = (group: string, resource: string): string[] =>
      rules(role)
        .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r) => r.verbs)
        .sort();
    expect(verbsOf('tollgate.dev', 'canaries')).toEqual(['list', 'patch', 'watch']);
    expect(verbsOf('tollgate.dev', 'canaries/status')).toEqual(['update']);
    expect(verbsOf('tollgate.dev', 'alertproviders')).toEqual(['list', 'watch']);
    expect(verbsOf('apps', 'deployments')).toEqual(['create', 'list', 'patch', 'update', 'watch']);
    expect(verbsOf('apps', 'daemonsets')).toEqual(['create', 'list', 'patch', 'update', 'watch']);
    expect(verbsOf('', 'configmaps')).toEqual(['create', 'get', 'list', 'update', 'watch']);
    expect(verbsOf('apps', 'statefulsets')).toEqual(['list', 'patch', 'update', 'watch']);
    expect(verbsOf('apps', 'controllerrevisions')).toEqual(['get']);
    expect(verbsOf('', 'pods')).toEqual(['delete', 'list', 'watch']);
    expect(verbsOf('networking.istio.io', 'virtualservices')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('networking.k8s.io', 'ingresses')).toEqual(['create', 'delete', 'list', 'patch', 'update', 'watch']);
    expect(verbsOf('projectcontour.io', 'httpproxies')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('traefik.io', 'traefikservices')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('gloo.solo.io', 'upstreams')).toEqual(['create', 'delete', 'get', 'list', 'update', 'watch']);
    expect(verbsOf('gateway.solo.io', 'routetables')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('apisix.apache.org', 'apisixroutes')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('kuma.io', 'trafficroutes')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('getambassador.io', 'mappings')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('kuma.io', 'meshhttproutes')).toEqual(['create', 'delete', 'list', 'update', 'watch']);
    expect(verbsOf('serving.knative.dev', 'services')).toEqual(['list', 'update', 'watch']);
    expect(verbsOf('serving.knative.dev', 'revisions')).toEqual(['list', 'watch']);
    expect(verbsOf('keda.sh', 'scaledobjects')).toEqual(['create', 'list', 'patch', 'update', 'watch']);
    // Security finding 7: no Secret list, watch or write cluster-wide; get only (credentials that Canaries name).
    expect(rules(role).filter((r) => r.resources.includes('secrets'))).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    expect(clusterWideVerbs(objs, 'secrets')).toEqual(['get']);
    expect(rules(must(objs, 'ClusterRole', 'tollgate-operator-secrets'))).toEqual(SECRET_TRACKING_RULES);
    expect(objs.filter((o) => o.metadata.name === 'tollgate-operator-secrets' && o.kind !== 'ClusterRole')).toEqual([]);
    const untrackedObjs = await template('--set', 'operator.configTracking=false');
    const untracked = must(untrackedObjs, 'ClusterRole', 'tollgate-operator');
    // Without config tracking ConfigMaps are only read: an OpenSLO document named by analysis.slo.
    expect(rules(untracked).filter((r) => r.resources.includes('secrets') || r.resources.includes('configmaps'))).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    expect(find(untrackedObjs, 'ClusterRole', 'tollgate-operator-secrets')).toBeUndefined();
    expect(envOf(must(untrackedObjs, 'Deployment', 'tollgate-operator')).SECRET_TRACKING_NAMESPACES).toBe('none');
    expect(rules(role).flatMap((r) => r.verbs)).not.toContain('*');
    expect(must(objs, 'ClusterRoleBinding', 'tollgate-operator').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'tollgate-operator', namespace: RELEASE_NS },
    ]);
    // Hooks: a Role on ConfigMaps in the release namespace, and a generated token of 48 characters.
    expect(rules(must(objs, 'Role', 'tollgate-hooks', RELEASE_NS))).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    ]);
    const token = Buffer.from(
      (must(objs, 'Secret', 'tollgate-hooks-auth', RELEASE_NS) as unknown as Secret).data!.token!,
      'base64',
    ).toString();
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(
      objs
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['tollgate-hooks', 'tollgate-operator']);
    expect(objs.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
  });

  it('grants the operator every resource its code names (a new one without a rule fails here)', async () => {
    // Leases only serve leader election, granted by the Role rendered with it in the release namespace.
    const objs = await template('--set', 'operator.leaderElection.enabled=true');
    const role = {
      rules: [must(objs, 'ClusterRole', 'tollgate-operator'), must(objs, 'Role', 'tollgate-operator-leader-election', RELEASE_NS)].flatMap(
        rules,
      ),
    } as unknown as Obj;
    const files = fs
      .readdirSync(path.join(ROOT, 'operator', 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith(path.join('kube', 'resources.ts')));
    const used = new Set(
      files.flatMap((f) =>
        [...fs.readFileSync(path.join(ROOT, 'operator', 'src', f), 'utf8').matchAll(/\bResources\.(\w+)/g)].map((m) => m[1]!),
      ),
    );
    const missing = [...used].filter((key) => {
      const r = (Resources as Record<string, ResourceType>)[key];
      if (!r) return true;
      return !rules(role).some((rule) => rule.apiGroups.includes(r.group) && rule.resources.includes(r.plural));
    });
    expect(used.size).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it('with hooks.enabled=false, renders nothing of the hooks', async () => {
    const objs = await template('--set', 'hooks.enabled=false');
    expect(objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'hooks')).toEqual([]);
    expect(find(objs, 'Deployment', 'tollgate-operator')).toBeDefined();
    const noOperator = await template('--set', 'operator.enabled=false');
    expect(noOperator.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'operator')).toEqual([]);
  });

  it('with secretTrackingNamespaces, lets the operator list, watch and write Secrets there alone; with "*", everywhere', async () => {
    const objs = await template('--set', 'operator.secretTrackingNamespaces={team-a,team-b}');
    expect(envOf(must(objs, 'Deployment', 'tollgate-operator')).SECRET_TRACKING_NAMESPACES).toBe('team-a,team-b');
    expect(clusterWideVerbs(objs, 'secrets')).toEqual(['get']);
    const bindings = objs.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === 'tollgate-operator-secrets');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    for (const b of bindings) {
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'tollgate-operator-secrets' });
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'tollgate-operator', namespace: RELEASE_NS }]);
    }
    const all = await template('--set', 'operator.secretTrackingNamespaces={*}');
    expect(envOf(must(all, 'Deployment', 'tollgate-operator')).SECRET_TRACKING_NAMESPACES).toBe('*');
    expect(clusterWideVerbs(all, 'secrets')).toEqual(['create', 'get', 'list', 'update', 'watch']);
    expect(all.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === 'tollgate-operator-secrets')).toEqual([]);
  });

  it('with watchNamespaces, gives the operator a Role per namespace and nothing cluster-wide', async () => {
    const cluster = await template();
    const objs = await template('--set', 'operator.watchNamespaces={team-a,team-b}', '--set', 'operator.secretTrackingNamespaces={*}');
    expect(envOf(must(objs, 'Deployment', 'tollgate-operator')).WATCH_NAMESPACES).toBe('team-a,team-b');
    expect(envOf(must(objs, 'Deployment', 'tollgate-operator')).SECRET_TRACKING_NAMESPACES).toBe('*');
    expect(objs.filter((o) => o.kind === 'ClusterRole' && o.metadata.name?.startsWith('tollgate-operator'))).toEqual([]);
    expect(objs.filter((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name?.startsWith('tollgate-operator'))).toEqual([]);
    for (const ns of ['team-a', 'team-b']) {
      expect(rules(must(objs, 'Role', 'tollgate-operator', ns))).toEqual([
        ...rules(must(cluster, 'ClusterRole', 'tollgate-operator')),
        ...SECRET_TRACKING_RULES,
      ]);
      expect(must(objs, 'RoleBinding', 'tollgate-operator', ns).subjects).toEqual([
        { kind: 'ServiceAccount', name: 'tollgate-operator', namespace: RELEASE_NS },
      ]);
    }
    const meshes = await template('--set', 'operator.rbac.meshes={istio}');
    const groups = rules(must(meshes, 'ClusterRole', 'tollgate-operator')).flatMap((r) => r.apiGroups);
    expect(groups).toContain('networking.istio.io');
    expect(groups).not.toContain('appmesh.k8s.aws');
    expect(groups).not.toContain('networking.k8s.io');
    // alb patches the user's Ingress and creates none.
    const alb = await template('--set', 'operator.rbac.meshes={alb}');
    expect(rules(must(alb, 'ClusterRole', 'tollgate-operator')).filter((r) => r.resources.includes('ingresses'))).toEqual([
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list', 'watch', 'patch'] },
    ]);
  });

  it('with replicas 2, switches leader election on, with the Lease rights the shard rounds use', async () => {
    const objs = await template('--set', 'operator.replicas=2', '--set', 'operator.leaderElection.shards=4');
    const op = must(objs, 'Deployment', 'tollgate-operator');
    expect(envOf(op).LEADER_ELECT).toBe('true');
    expect(envOf(op).SHARDS).toBe('4');
    expect(container(op).env?.find((e) => e.name === 'POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect((op.spec as { strategy: { type: string } }).strategy.type).toBe('RollingUpdate');
    expect(rules(must(objs, 'Role', 'tollgate-operator-leader-election', RELEASE_NS))).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
    ]);
  });

  it('renders large load caps as whole numbers the hooks service accepts (not 1e+06)', async () => {
    // From a values file: YAML numbers reach the template as floats (--set would give integers).
    const values = path.join(RUN_DIR, 'install-load-caps.yaml');
    fs.mkdirSync(RUN_DIR, { recursive: true });
    fs.writeFileSync(values, 'hooks:\n  load:\n    maxRate: 1000000\n    maxConcurrency: 10000\n');
    const objs = await template('-f', values);
    const env = envOf(must(objs, 'Deployment', 'tollgate-hooks', RELEASE_NS));
    expect([env.MAX_LOAD_RATE, env.MAX_LOAD_CONCURRENCY]).toEqual(['1000000', '10000']);
  });

  it('takes the hooks credentials from an existing Secret, and monitors with ServiceMonitors', async () => {
    const objs = await template(
      '--set',
      'hooks.auth.existingSecret=ci-hooks',
      '--set',
      'operator.serviceMonitor.enabled=true',
      '--set',
      'hooks.serviceMonitor.enabled=true',
    );
    expect(find(objs, 'Secret', 'tollgate-hooks-auth')).toBeUndefined();
    expect(podSpec(must(objs, 'Deployment', 'tollgate-hooks')).volumes?.find((v) => v.name === 'auth')?.secret?.secretName).toBe(
      'ci-hooks',
    );
    const monitor = must(objs, 'ServiceMonitor', 'tollgate-hooks') as unknown as {
      spec: { endpoints: { authorization?: { credentials: { name: string } } }[] };
    };
    expect(monitor.spec.endpoints[0]!.authorization?.credentials.name).toBe('ci-hooks');
    expect(must(objs, 'ServiceMonitor', 'tollgate-operator').spec).toMatchObject({
      endpoints: [{ port: 'http-metrics', honorLabels: true }],
    });
  });

  it.each([
    [['--set', 'operator.meshProvider=haproxy'], "at '/operator/meshProvider': value must be one of 'istio'"],
    [['--set', 'operator.logLevel=verbose'], "at '/operator/logLevel': value must be one of 'fatal'"],
    [['--set', 'operator.workers=0'], "at '/operator/workers': minimum: got 0, want 1"],
    [['--set', 'operator.replicas=0'], "at '/operator/replicas': minimum: got 0, want 1"],
    [['--set-json', 'operator.watchNamespaces="team-a,team-b"'], "at '/operator/watchNamespaces': got string, want array"],
    [['--set', 'operator.resync=5minutes'], "at '/operator/resync': '5minutes' does not match pattern"],
    [['--set', 'operator.metricsServer=prometheus:9090'], "at '/operator/metricsServer'"],
    [['--set', 'operator.metricServer=http://x'], "at '/operator': additional properties 'metricServer' not allowed"],
    [['--set', 'hooks.auth.token=short'], "at '/hooks/auth/token'"],
  ])('rejects %j with a message naming the value', async (args, message) => {
    const r = await runTool('helm', ['template', 'tollgate', CHART, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(message);
  });
});

describe('the Kustomize base and overlays', () => {
  const build = async (dir: string): Promise<Obj[]> => parse(await tool('kubectl', ['kustomize', dir]));

  it('build with kubectl kustomize; each overlay sets its mesh provider and Prometheus', async () => {
    const base = await build(path.join(KUSTOMIZE, 'base'));
    expect(
      base
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['alertproviders.tollgate.dev', 'canaries.tollgate.dev', 'metrictemplates.tollgate.dev']);
    const namespaced = base.filter(
      (o) => !['CustomResourceDefinition', 'Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind ?? ''),
    );
    expect(namespaced.every((o) => o.metadata.namespace === RELEASE_NS)).toBe(true);
    for (const overlay of OVERLAYS) {
      const env = envOf(must(await build(path.join(KUSTOMIZE, 'overlays', overlay)), 'Deployment', 'tollgate-operator', RELEASE_NS));
      expect(env.MESH_PROVIDER).toBe(overlay === 'gatewayapi' ? 'gatewayapi:v1' : overlay);
      expect(env.METRICS_SERVER).toMatch(/^http:\/\/\S+:9090$/);
    }
  });

  it('grant what the chart grants, and run the operator with the same settings', async () => {
    const base = await build(path.join(KUSTOMIZE, 'base'));
    const chart = await template();
    for (const [kind, name, ns] of [
      ['ClusterRole', 'tollgate-operator'],
      ['ClusterRole', 'tollgate-operator-secrets'],
      ['Role', 'tollgate-hooks', RELEASE_NS],
      ['ClusterRole', 'tollgate-view'],
      ['ClusterRole', 'tollgate-edit'],
    ] as const) {
      expect(rules(must(base, kind, name, ns))).toEqual(rules(must(chart, kind, name, ns)));
    }
    for (const name of ['tollgate-operator', 'tollgate-hooks']) {
      const k = must(base, 'Deployment', name, RELEASE_NS);
      const h = must(chart, 'Deployment', name, RELEASE_NS);
      expect(container(k).env).toEqual(container(h).env);
      expect(container(k).securityContext).toEqual(container(h).securityContext);
      expect(podSpec(k).securityContext).toEqual(podSpec(h).securityContext);
      expect(container(k).image).toBe(container(h).image);
    }
  });

  it('apply server-side (dry run) on the API server, as Flux does', async () => {
    const { kubeconfig } = envInfo();
    const kube = await client();
    try {
      await createNamespace(kube, RELEASE_NS).catch((err) => (isAlreadyExists(err) ? undefined : Promise.reject(err)));
    } finally {
      kube.close();
    }
    for (const dir of ['base', ...OVERLAYS.map((o) => `overlays/${o}`)]) {
      const out = await tool(
        'kubectl',
        [
          'apply',
          '--server-side',
          '--force-conflicts',
          '--field-manager=kustomize-controller',
          '--dry-run=server',
          '-k',
          path.join(KUSTOMIZE, dir),
        ],
        { kubeconfig },
      );
      expect(out).toContain('deployment.apps/tollgate-operator serverside-applied (server dry run)');
      expect(out).toContain('customresourcedefinition.apiextensions.k8s.io/canaries.tollgate.dev serverside-applied (server dry run)');
    }
  });
});

describe('helm install on the local control plane', () => {
  const env = envInfo();
  const logDir = path.join(RUN_DIR, 'logs');
  const workDir = path.join(RUN_DIR, 'install');
  const ns = uniqueNs('install');
  let kube: KubeClient;
  let manifest: Obj[] = [];
  const procs: ManagedProcess[] = [];
  let timeline: Timeline | undefined;
  let installed = false;

  beforeAll(async () => {
    fs.mkdirSync(workDir, { recursive: true });
    kube = await client();
    await createNamespace(kube, ns);
  });

  const uninstall = (): Promise<string> =>
    tool('helm', ['uninstall', 'tollgate', '--namespace', RELEASE_NS, '--wait', '--timeout', '60s'], { kubeconfig: env.kubeconfig });

  afterAll(async () => {
    timeline?.stop();
    for (const p of procs) await p.stop();
    if (installed) await uninstall().catch(() => undefined);
    for (const n of [ns, RELEASE_NS]) await kube.delete(Resources.namespaces, undefined, n).catch(() => undefined);
    kube?.close();
  });

  /** A kubeconfig for a ServiceAccount of the release, with a token from the TokenRequest API. */
  const serviceAccountKubeconfig = (name: string): Promise<string> =>
    saKubeconfig(kube, env.kubeconfig, { namespace: RELEASE_NS, name, file: path.join(workDir, `${name}.kubeconfig`) });

  /** The container's environment as the kubelet would build it (values, the pod's namespace, Secret keys). */
  async function resolveEnv(c: ContainerSpec): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const e of c.env ?? []) {
      if (e.value !== undefined) out[e.name] = e.value;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') out[e.name] = RELEASE_NS;
      else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') out[e.name] = `${c.name}-0`;
      else if (e.valueFrom?.secretKeyRef) {
        const s = await kube.get<Secret>(Resources.secrets, RELEASE_NS, e.valueFrom.secretKeyRef.name);
        out[e.name] = Buffer.from(s.data?.[e.valueFrom.secretKeyRef.key] ?? '', 'base64').toString();
      } else throw new Error(`env ${e.name}: cannot resolve ${JSON.stringify(e.valueFrom)}`);
    }
    return out;
  }

  /** Secret volumes of a pod, written to local folders; returns mount path -> local folder. */
  async function secretVolumes(d: Obj): Promise<Map<string, string>> {
    const mounts = new Map<string, string>();
    for (const v of podSpec(d).volumes ?? []) {
      if (!v.secret) continue;
      const mount = container(d).volumeMounts?.find((m) => m.name === v.name);
      if (!mount) continue;
      const s = await kube.get<Secret>(Resources.secrets, RELEASE_NS, v.secret.secretName);
      const dir = path.join(workDir, `volume-${v.name}`);
      fs.mkdirSync(dir, { recursive: true });
      const items = v.secret.items ?? Object.keys(s.data ?? {}).map((k) => ({ key: k, path: k }));
      for (const it of items) fs.writeFileSync(path.join(dir, it.path), Buffer.from(s.data?.[it.key] ?? '', 'base64'), { mode: 0o600 });
      mounts.set(mount.mountPath, dir);
    }
    return mounts;
  }

  /**
   * Starts a workspace's main.js exactly as the Deployment's container would run it (its args, its env), with
   * three differences a pod gives for free: the ServiceAccount's credentials come from a kubeconfig instead of
   * the mounted token, secret volumes from local folders, and the port is a free one (many runs share the machine).
   */
  async function runAsDeployment(d: Obj, main: string, name: string): Promise<{ port: number; proc: ManagedProcess }> {
    const c = container(d);
    const kubeconfig = await serviceAccountKubeconfig(podSpec(d).serviceAccountName);
    const mounts = await secretVolumes(d);
    const vars = await resolveEnv(c);
    for (const [k, v] of Object.entries(vars))
      for (const [mount, dir] of mounts) if (v.startsWith(`${mount}/`)) vars[k] = dir + v.slice(mount.length);
    const port = await freePort();
    const proc = startProcess(name, process.execPath, [main, ...(c.args ?? [])], {
      logFile: path.join(logDir, `install-${name}.log`),
      env: { PATH: process.env.PATH, ...vars, PORT: String(port), KUBECONFIG: kubeconfig },
    });
    procs.push(proc);
    return { port, proc };
  }

  it('installs with the README command; the operator, run as the chart deploys it, promotes a release', async () => {
    const [operatorPort, hooksPort] = await Promise.all([freePort(), freePort()]);
    // The README's command, with this environment's Prometheus and namespace. The CRDs are already installed
    // (by the environment), hence --skip-crds. The pods' ports are free ones: the simulated kubelet runs a
    // stand-in app on each pod's port.
    const started = Date.now();
    await tool(
      'helm',
      [
        'install',
        'tollgate',
        CHART,
        '--namespace',
        RELEASE_NS,
        '--create-namespace',
        '--set',
        `operator.metricsServer=${env.prometheusUrl}`,
        '--skip-crds',
        '--set',
        `operator.watchNamespaces={${ns}}`,
        '--set',
        'operator.logLevel=debug',
        '--set',
        `operator.port=${operatorPort}`,
        '--set',
        `hooks.port=${hooksPort}`,
        '--wait',
        '--timeout',
        '120s',
      ],
      { kubeconfig: env.kubeconfig },
    );
    installed = true;
    const status = JSON.parse(
      await tool('helm', ['status', 'tollgate', '--namespace', RELEASE_NS, '--output', 'json'], { kubeconfig: env.kubeconfig }),
    ) as { info: { status: string } };
    expect(status.info.status).toBe('deployed');
    manifest = parse(await tool('helm', ['get', 'manifest', 'tollgate', '--namespace', RELEASE_NS], { kubeconfig: env.kubeconfig }));
    expect(find(manifest, 'ClusterRole', 'tollgate-operator')).toBeUndefined();
    must(manifest, 'Role', 'tollgate-operator', ns);
    // The 1.20 API server has no policy/v1: the chart falls back to policy/v1beta1 there.
    expect(must(manifest, 'PodDisruptionBudget', 'tollgate-operator', RELEASE_NS).apiVersion).toBe(
      env.minor >= 21 ? 'policy/v1' : 'policy/v1beta1',
    );
    const installSeconds = (Date.now() - started) / 1000;

    // A sample app using a Secret (config tracking copies it) and its Canary in the watched namespace, then the
    // operator as the chart's Deployment runs it.
    await kube.create(Resources.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'podinfo-env', namespace: ns },
      type: 'Opaque',
      data: { TOKEN: Buffer.from('t').toString('base64') },
    } as Secret);
    const app = sampleDeployment(ns, 'podinfo');
    app.spec.template.spec.containers[0]!.envFrom = [{ secretRef: { name: 'podinfo-env' } }];
    await kube.create(Resources.deployments, app);
    await kube.create(Resources.canaries, canaryFor('istio', ns, 'podinfo'));
    timeline = new Timeline(kube, ns, 'podinfo');
    await timeline.start();
    const deployment = must(manifest, 'Deployment', 'tollgate-operator', RELEASE_NS);
    const { port } = await runAsDeployment(deployment, OPERATOR_MAIN, 'operator');
    await waitFor('the operator /readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 30_000);
    await timeline.waitForPhase('Initialized', 60_000);
    expect((await kube.get<Secret>(Resources.secrets, ns, 'podinfo-env-primary')).data).toEqual({
      TOKEN: Buffer.from('t').toString('base64'),
    });
    await primaryTraffic(ns);
    const from = timeline.phases.length;
    await setEnv(kube, ns, 'podinfo', { VERSION: 'v2' });
    await timeline.waitForPhase('Succeeded', 120_000, from);
    expect(isSubsequence(['20', '40', '60', '0'], timeline.routeWeights.map(String))).toBe(true);
    const canary = await kube.get<Canary>(Resources.canaries, ns, 'podinfo');
    expect(canary.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    // Not one request the operator made was refused.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics.split('\n').filter((l) => l.startsWith('tollgate_kube_requests_total') && /code="40[13]"/.test(l))).toEqual([]);
    process.stdout.write(`helm install took ${installSeconds.toFixed(1)} s\n`);
  });

  it('gives the operator nothing beyond the watched namespace', async () => {
    const sa = await clientFromKubeConfig({
      kubeconfig: path.join(workDir, 'tollgate-operator.kubeconfig'),
      userAgent: 'tollgate-e2e-install',
    });
    try {
      const can = async (verb: string, resource: string, namespace: string, group = '', subresource?: string): Promise<boolean> => {
        const review = await sa.request<{ status?: { allowed?: boolean } }>(
          'POST',
          '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
          {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: { verb, group, resource, namespace, subresource } },
            },
          },
        );
        return review.status?.allowed === true;
      };
      expect(await can('list', 'canaries', ns, 'tollgate.dev')).toBe(true);
      expect(await can('update', 'canaries', ns, 'tollgate.dev', 'status')).toBe(true);
      expect(await can('list', 'canaries', 'default', 'tollgate.dev')).toBe(false);
      expect(await can('list', 'canaries', '', 'tollgate.dev')).toBe(false);
      expect(await can('delete', 'deployments', ns, 'apps')).toBe(false);
      expect(await can('delete', 'secrets', ns)).toBe(false);
      expect(await can('list', 'secrets', ns)).toBe(true);
      expect(await can('create', 'secrets', ns)).toBe(true);
      expect(await can('list', 'secrets', 'default')).toBe(false);
      expect(await can('list', 'secrets', '')).toBe(false);
      expect(await can('create', 'secrets', 'default')).toBe(false);
      expect(await can('list', 'pods', ns)).toBe(true);
      expect(await can('get', 'pods', ns)).toBe(false);
      expect(await can('list', 'pods', 'default')).toBe(false);
      expect(await can('get', 'secrets', RELEASE_NS)).toBe(false);
      expect(await can('list', 'configmaps', 'default')).toBe(false);
    } finally {
      sa.close();
    }
  });

  it('runs the hooks service as the chart deploys it, with the token the chart generated', async () => {
    const deployment = must(manifest, 'Deployment', 'tollgate-hooks', RELEASE_NS);
    const { port } = await runAsDeployment(deployment, HOOKS_MAIN, 'hooks');
    const url = `http://127.0.0.1:${port}`;
    // /readyz: the start-up check passed (it may get, list, watch, create and update ConfigMaps) and the gate cache synced.
    await waitFor('the hooks /readyz', async () => (await fetch(`${url}/readyz`)).ok, 30_000);
    const secret = await kube.get<Secret>(Resources.secrets, RELEASE_NS, 'tollgate-hooks-auth');
    const token = Buffer.from(secret.data!.token!, 'base64').toString();
    const body = JSON.stringify({ name: 'podinfo', namespace: ns });
    const open = await fetch(`${url}/gate/open`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });
    expect(open.status).toBe(202);
    const state = (await (
      await fetch(`${url}/gate/status?namespace=${ns}&name=podinfo`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { gate: string };
    expect(state.gate).toBe('open');
    expect((await fetch(`${url}/gate/open`, { method: 'POST', body })).status).toBe(401);
    const gates = await kube.list(Resources.configMaps, RELEASE_NS, { labelSelector: 'app.kubernetes.io/managed-by=tollgate-hooks' });
    expect(gates.items.length).toBe(1);
  });

  it('uninstalls, leaving the CRDs (and the Canaries) in place', async () => {
    timeline?.stop();
    for (const p of procs) await p.stop();
    expect(await uninstall()).toContain('release "tollgate" uninstalled');
    installed = false;
    const gone = async (r: ResourceType, namespace: string | undefined, name: string): Promise<boolean> =>
      kube.get(r, namespace, name).then(
        () => false,
        (err: unknown) => (isNotFound(err) ? true : Promise.reject(err)),
      );
    expect(await gone(Resources.deployments, RELEASE_NS, 'tollgate-operator')).toBe(true);
    expect(await gone(Resources.deployments, RELEASE_NS, 'tollgate-hooks')).toBe(true);
    expect(await gone(Resources.secrets, RELEASE_NS, 'tollgate-hooks-auth')).toBe(true);
    expect(await gone(Resources.crds, undefined, 'canaries.tollgate.dev')).toBe(false);
  });
});
