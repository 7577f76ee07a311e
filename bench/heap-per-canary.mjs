#!/usr/bin/env node
// What the operator's informer caches hold per Canary, by kind, and what a release burst does to peak RSS under
// different V8 heap settings. A benchmark, not a test; no API server: a stand-in client hands the operator's own
// Informer (operator/dist/kube/informer.js, built as the InformerRegistry builds it) lists of synthetic objects shaped as kube-apiserver
// 1.36 returns them (server defaults, managedFields, kubectl's last-applied-configuration on what the user applied).
//
//   npx tsc -b && node bench/heap-per-canary.mjs [--n 2000] [--burst | --burst-only] [--burst-seconds 20] [--profile applied|scale]
//
// --profile applied (default): what a user applies with kubectl (last-applied-configuration on the Canary, the
// Deployment and the HPA), a podinfo-sized pod template, an HPA. --profile scale: the scale benchmark's objects.
// Part 1 (always): per kind, the JS heap retained by the cache of N Canaries' objects (after a forced GC, minus the
// heap before), in three ways: the objects whole as received, the cache before the trims (managedFields dropped,
// Pods trimmed), and now (kube/trims.ts CACHE_TRIMS). Part 2 (--burst): fresh `node` processes, each with one set
// of V8 flags, fill every cache for N Canaries, then for --burst-seconds replace every object of a release's kinds
// at the rate the scale benchmark's release window saw at N = 2,000 (watch events: 10 per Canary in 344 s, each a
// newly parsed object); prints the JS heap limit, RSS idle, peak RSS (VmHWM) and the heap in use at the end.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dist = (f) => pathToFileURL(path.join(repo, 'operator/dist', f)).href;
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    burst: { type: 'boolean', default: false },
    'burst-only': { type: 'boolean', default: false },
    'burst-seconds': { type: 'string', default: '20' },
    'burst-child': { type: 'string' },
    profile: { type: 'string', default: 'applied' },
  },
});
const N = Number(values.n);
if (!Number.isInteger(N) || N <= 0) throw new Error('--n must be a positive integer');
if (!existsSync(fileURLToPath(dist('kube/trims.js')))) throw new Error('operator/dist not found: run npx tsc -b first');
if (typeof globalThis.gc !== 'function') {
  // Re-run with --expose-gc (and the caller's V8 flags for a burst child).
  execFileSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}

const { Informer } = await import(dist('kube/informer.js'));
const { Resources, resourceKey } = await import(dist('kube/resources.js'));
const { CACHE_TRIMS, LAST_APPLIED } = await import(dist('kube/trims.js'));
const { PODS_INFORMER } = await import(dist('kube/pods.js'));
const { silentLogger } = await import(dist('util/log.js'));

// ---- synthetic objects, one set per Canary i -------------------------------------------------------------------

const ts = (i, s = 0) => new Date(Date.UTC(2026, 11, 1, 10, 0, s) + i * 1000).toISOString().replace('.000', '');
const uid = (i, k) => `${(i * 7919 + k * 104729).toString(16).padStart(8, '0')}-5f3c-4e1a-9b7d-${(i * 31 + k).toString(16).padStart(12, '0')}`;
const ns = (i) => `team-${Math.floor(i / 250)}`;
const app = (i) => `app-${String(i).padStart(4, '0')}`;
const canaryRef = (i) => [{ apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name: app(i), uid: uid(i, 0), controller: true, blockOwnerDeletion: true }];
const fieldsV1 = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [`f:${k}`, fieldsV1(x)])) : {});
const managed = (i, manager, obj, sub) => ({ manager, operation: 'Update', apiVersion: obj.apiVersion, time: ts(i), fieldsType: 'FieldsV1', fieldsV1: fieldsV1(sub), ...(manager.includes('controller') ? { subresource: 'status' } : {}) });

/** metadata as the API server returns it; applied: the user kubectl-applied it (a copy of the manifest in an annotation). */
function meta(i, k, name, extra = {}, applied) {
  const m = { name, namespace: ns(i), uid: uid(i, k), resourceVersion: String(100000 + i * 20 + k), generation: 2, creationTimestamp: ts(i), ...extra };
  if (applied) m.annotations = { ...m.annotations, [LAST_APPLIED]: JSON.stringify(applied) + '\n' };
  return m;
}

function podTemplate(i, labels, annotations = {}) {
  const probe = (p) => ({ httpGet: { path: p, port: 9898, scheme: 'HTTP' }, initialDelaySeconds: 1, timeoutSeconds: 5, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  return {
    metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9797', ...annotations } },
    spec: {
      containers: [{
        name: 'podinfod', image: `ghcr.io/stefanprodan/podinfo:6.${i % 10}.0`, imagePullPolicy: 'IfNotPresent',
        command: ['./podinfo', '--port=9898', '--port-metrics=9797', '--grpc-port=9999', '--level=info'],
        ports: [{ name: 'http', containerPort: 9898, protocol: 'TCP' }, { name: 'http-metrics', containerPort: 9797, protocol: 'TCP' }, { name: 'grpc', containerPort: 9999, protocol: 'TCP' }],
        env: [{ name: 'PODINFO_UI_COLOR', value: '#34577c' }, { name: 'LOG_FORMAT', value: 'json' }],
        resources: { limits: { cpu: '2', memory: '512Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
        livenessProbe: probe('/healthz'), readinessProbe: probe('/readyz'),
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler',
    },
  };
}

function deployment(i, primary) {
  const name = primary ? `${app(i)}-primary` : app(i);
  const labels = { app: name };
  const spec = { replicas: 2, selector: { matchLabels: labels }, template: podTemplate(i, labels, primary ? { 'tollgate.dev/revision': 'a1b2c3d4e5' } : {}) };
  const applied = primary ? undefined : { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns(i), labels }, spec };
  const cond = (type, reason, message) => ({ type, status: 'True', lastUpdateTime: ts(i, 5), lastTransitionTime: ts(i, 1), reason, message });
  const obj = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: meta(i, primary ? 2 : 1, name, { labels, annotations: { 'deployment.kubernetes.io/revision': '2' }, ...(primary ? { ownerReferences: canaryRef(i) } : {}) }, applied),
    spec: { ...spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 },
    status: {
      observedGeneration: 2, replicas: primary ? 2 : 0, updatedReplicas: primary ? 2 : 0, readyReplicas: primary ? 2 : 0, availableReplicas: primary ? 2 : 0,
      conditions: [cond('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'), cond('Progressing', 'NewReplicaSetAvailable', `ReplicaSet "${name}-5d8f9c7b6d" has successfully progressed.`)],
    },
  };
  return withManaged(i, obj, primary ? 'tollgate' : 'kubectl-client-side-apply');
}

function withManaged(i, obj, writer) {
  const { status, ...rest } = obj;
  obj.metadata.managedFields = [managed(i, writer, obj, rest), ...(status ? [managed(i, 'kube-controller-manager', obj, { status })] : [])];
  return obj;
}

function service(i, suffix) {
  const name = suffix ? `${app(i)}-${suffix}` : app(i);
  const obj = {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta(i, 3 + (suffix === 'primary' ? 1 : suffix === 'canary' ? 2 : 0), name, { labels: { app: name, 'tollgate.dev/canary': app(i) }, annotations: { 'tollgate.dev/applied': 'c0ffee1234', 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled', 'helm.toolkit.fluxcd.io/driftDetection': 'disabled' }, ownerReferences: canaryRef(i) }),
    spec: {
      ports: [{ name: 'http', protocol: 'TCP', appProtocol: 'http', port: 9898, targetPort: 'http' }],
      selector: { app: suffix === 'canary' ? app(i) : `${app(i)}-primary` },
      clusterIP: `10.96.${i % 250}.${(i * 7) % 250}`, clusterIPs: [`10.96.${i % 250}.${(i * 7) % 250}`], type: 'ClusterIP', sessionAffinity: 'None',
      ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };
  return withManaged(i, obj, 'tollgate');
}

function generated(i, k, apiVersion, kind, name, spec) {
  const annotations = { 'tollgate.dev/applied': 'c0ffee1234', 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled', 'helm.toolkit.fluxcd.io/driftDetection': 'disabled' };
  return withManaged(i, { apiVersion, kind, metadata: meta(i, k, name, { labels: { 'tollgate.dev/canary': app(i) }, annotations, ownerReferences: canaryRef(i) }), spec }, 'tollgate');
}

const virtualService = (i) => generated(i, 6, 'networking.istio.io/v1', 'VirtualService', app(i), {
  hosts: [app(i)], gateways: ['mesh'],
  http: [{ route: [{ destination: { host: `${app(i)}-primary` }, weight: 100 }, { destination: { host: `${app(i)}-canary` }, weight: 0 }], retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error,connect-failure,refused-stream' } }],
});
const destinationRule = (i, side) => generated(i, side === 'primary' ? 7 : 8, 'networking.istio.io/v1', 'DestinationRule', `${app(i)}-${side}`, { host: `${app(i)}-${side}`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });

function hpa(i, primary) {
  const name = primary ? `${app(i)}-primary` : app(i);
  const spec = { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] };
  const applied = primary ? undefined : { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: ns(i) }, spec };
  const obj = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: meta(i, primary ? 10 : 9, name, primary ? { ownerReferences: canaryRef(i) } : {}, applied),
    spec: { ...spec, behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] }, scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } },
    status: {
      lastScaleTime: ts(i, 3), currentReplicas: 2, desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '1m', averageUtilization: 1 } } }],
      conditions: [
        { type: 'AbleToScale', status: 'True', lastTransitionTime: ts(i, 2), reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
        { type: 'ScalingActive', status: 'True', lastTransitionTime: ts(i, 2), reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' },
        { type: 'ScalingLimited', status: 'True', lastTransitionTime: ts(i, 2), reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' },
      ],
    },
  };
  return withManaged(i, obj, primary ? 'tollgate' : 'kubectl-client-side-apply');
}

function canary(i) {
  const spec = {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app(i) },
    autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: app(i) },
    progressDeadlineSeconds: 60,
    service: { port: 9898, targetPort: 9898, gateways: ['mesh'], hosts: [app(i)], retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error,connect-failure,refused-stream' } },
    analysis: {
      interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }, { name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' }],
      webhooks: [{ name: 'acceptance-test', type: 'pre-rollout', url: 'http://tollgate-hooks.test/', timeout: '30s', metadata: { type: 'bash', cmd: `curl -sd 'test' http://${app(i)}-canary:9898/token | grep token` } },
        { name: 'load-test', url: 'http://tollgate-hooks.test/', timeout: '5s', metadata: { cmd: `hey -z 1m -q 10 -c 2 http://${app(i)}-canary.${ns(i)}:9898/` } }],
    },
  };
  const applied = { apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', metadata: { name: app(i), namespace: ns(i) }, spec };
  const cond = (type, reason, message) => ({ type, status: 'True', lastUpdateTime: ts(i, 60), lastTransitionTime: ts(i, 60), reason, message, observedGeneration: 2 });
  return withManaged(i, {
    apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary',
    metadata: meta(i, 0, app(i), { finalizers: ['tollgate.dev/finalizer'] }, applied),
    spec,
    status: {
      phase: 'Succeeded', failedChecks: 0, canaryWeight: 0, iterations: 0, lastAppliedSpec: 'a1b2c3d4e5', lastPromotedSpec: 'a1b2c3d4e5', lastTransitionTime: ts(i, 60), observedGeneration: 2,
      conditions: [cond('Promoted', 'Succeeded', 'Canary analysis completed successfully, promotion finished.'), cond('Ready', 'Succeeded', 'Canary analysis completed successfully, promotion finished.')],
      trackedConfigs: {},
    },
  }, 'kubectl-client-side-apply');
}

function pod(i, r) {
  const name = `${app(i)}-primary-5d8f9c7b6d-${['x7k2p', 'q9m4z'][r]}`;
  const t = podTemplate(i, { app: `${app(i)}-primary`, 'pod-template-hash': '5d8f9c7b6d' });
  const st = (type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: ts(i, 4) });
  return withManaged(i, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: meta(i, 11 + r, name, { generateName: `${app(i)}-primary-5d8f9c7b6d-`, labels: t.metadata.labels, annotations: t.metadata.annotations, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app(i)}-primary-5d8f9c7b6d`, uid: uid(i, 13), controller: true, blockOwnerDeletion: true }] }),
    spec: { ...t.spec, nodeName: `node-${i % 20}`, serviceAccountName: 'default', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] },
    status: {
      phase: 'Running', hostIP: `192.168.0.${i % 20}`, podIP: `10.244.${i % 250}.${r + 2}`, podIPs: [{ ip: `10.244.${i % 250}.${r + 2}` }], startTime: ts(i, 3), qosClass: 'Burstable',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(st),
      containerStatuses: [{ name: 'podinfod', ready: true, started: true, restartCount: 0, image: t.spec.containers[0].image, imageID: `ghcr.io/stefanprodan/podinfo@sha256:${'ab12'.repeat(16)}`, containerID: `containerd://${'9f'.repeat(32)}`, state: { running: { startedAt: ts(i, 4) } }, lastState: {} }],
    },
  }, 'kubelet');
}

/**
 * --profile scale: the objects of the scale benchmark instead (e2e/src/harness/fixtures.ts): created through the API
 * (no last-applied-configuration), one small container, no HPA, no webhooks.
 */
function asScale(obj) {
  if (obj.metadata.annotations) delete obj.metadata.annotations[LAST_APPLIED];
  const small = (t) => ({ metadata: { labels: t.metadata.labels }, spec: { ...t.spec, containers: [{ name: 'app', image: 'tollgate.dev/sample-app:1', ports: [{ name: 'http', containerPort: 9898, protocol: 'TCP' }], env: [{ name: 'VERSION', value: 'v1' }], terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }] } });
  if (obj.kind === 'Deployment') obj.spec.template = small(obj.spec.template);
  if (obj.kind === 'Pod') obj.spec = small({ metadata: obj.metadata, spec: obj.spec }).spec;
  if (obj.kind === 'Canary') {
    delete obj.spec.autoscalerRef;
    delete obj.spec.analysis.webhooks;
  }
  return obj;
}
const PROFILES = { applied: (o) => o, scale: asScale };
if (!PROFILES[values.profile]) throw new Error('--profile must be applied or scale');
const adapt = (make) => (i) => make(i).map(PROFILES[values.profile]);

/** Each kind's objects of Canary i: the scale benchmark's Istio set, plus an HPA and its -primary copy, and two pods. */
const ALL_KINDS = [
  ['canaries', Resources.canaries, (i) => [canary(i)]],
  ['deployments', Resources.deployments, (i) => [deployment(i, false), deployment(i, true)]],
  ['services', Resources.services, (i) => [service(i), service(i, 'primary'), service(i, 'canary')]],
  ['virtualservices', Resources.virtualServices, (i) => [virtualService(i)]],
  ['destinationrules', Resources.destinationRules, (i) => [destinationRule(i, 'primary'), destinationRule(i, 'canary')]],
  ['horizontalpodautoscalers', Resources.horizontalPodAutoscalersV2, (i) => [hpa(i, false), hpa(i, true)]],
  ['pods', Resources.pods, (i) => [pod(i, 0), pod(i, 1)]],
];
const KINDS = ALL_KINDS.filter(([k]) => values.profile !== 'scale' || k !== 'horizontalpodautoscalers').map(([k, r, make]) => [k, r, adapt(make)]);

// ---- the stand-in client and the caches ------------------------------------------------------------------------

/**
 * Lists answer pages (the informer asks for 500 objects a page) of each kind's objects as JSON parsed afresh, as the
 * real client parses each response; the JSON of a page is made when it is asked for.
 */
function standInClient(kinds, n, watchers) {
  const makers = new Map(kinds.map(([, r, make]) => [resourceKey(r), make]));
  return {
    onWrite: () => undefined,
    list: async (resource, _ns, q) => {
      const make = makers.get(resourceKey(resource));
      const from = Number(q.continue ?? 0);
      const to = Math.min(n, from + (q.limit ?? n));
      const items = JSON.parse(JSON.stringify(Array.from({ length: to - from }, (_, k) => make(from + k)).flat()));
      return { items, metadata: { resourceVersion: '1', ...(to < n ? { continue: String(to) } : {}) } };
    },
    watch: (p, _q, onEvent, signal) => new Promise((resolve) => {
      watchers.set(p, onEvent);
      signal.addEventListener('abort', () => resolve());
    }),
  };
}

const OVERRIDES = { before: { [resourceKey(Resources.pods)]: PODS_INFORMER }, now: CACHE_TRIMS, whole: {} };

async function caches(kinds, mode, n) {
  const watchers = new Map();
  const client = standInClient(kinds, n, watchers);
  // As the InformerRegistry builds them; "whole" keeps managedFields (the informer drops them by default).
  const informers = kinds.map(([, resource]) => new Informer({
    client, resource, logger: silentLogger(), namespaces: [], keepManagedFields: mode === 'whole',
    ...(OVERRIDES[mode][resourceKey(resource)]?.transform ? { transform: OVERRIDES[mode][resourceKey(resource)].transform } : {}),
  }));
  await Promise.all(informers.map((i) => i.start()));
  return { informers, watchers, stop: () => informers.forEach((i) => i.stop()) };
}

const settle = async () => {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().heapUsed;
};

/** The heap one kind's cache retains; the caches are stopped and unreachable when it returns. */
async function retained(kind, mode) {
  const base = await settle();
  const c = await caches([kind], mode, N);
  const after = await settle();
  if (c.informers[0].list().length !== N * kind[2](0).length) throw new Error(`${kind[0]}: not every object was cached`);
  c.stop();
  c.watchers.clear();
  return after - base;
}

async function perKind() {
  await caches(KINDS, 'now', 50).then((c) => c.stop()); // warm the code up
  console.log(`JS heap retained by the informer caches, bytes per Canary (N = ${N}, --profile ${values.profile}; median of 3)`);
  console.log('kind                       objects  whole (as received)  before (managedFields dropped)  now (kube/trims.ts)');
  const totals = { whole: 0, before: 0, now: 0 };
  for (const kind of KINDS) {
    const row = {};
    for (const mode of ['whole', 'before', 'now']) {
      const runs = [];
      for (let r = 0; r < 3; r++) runs.push(await retained(kind, mode));
      row[mode] = runs.sort((a, b) => a - b)[1] / N;
      totals[mode] += row[mode];
    }
    const objects = kind[2](0).length;
    console.log(`${kind[0].padEnd(26)} ${String(objects).padStart(7)}  ${fmt(row.whole, 19)}  ${fmt(row.before, 30)}  ${fmt(row.now, 19)}`);
  }
  console.log(`${'total'.padEnd(26)} ${''.padStart(7)}  ${fmt(totals.whole, 19)}  ${fmt(totals.before, 30)}  ${fmt(totals.now, 19)}`);
  const sizes = KINDS.map(([k, , make]) => `${k} ${make(0).map((o) => JSON.stringify(o).length).join('+')}`).join(', ');
  console.log(`JSON bytes per object as received: ${sizes}`);
}
const fmt = (b, w) => String(Math.round(b)).padStart(w);

// ---- part 2: a release burst under V8 flags --------------------------------------------------------------------

const vmHWM = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;

/** In a child: fill every cache, then replace release kinds' objects (new parsed copies) at the scale bench's rate. */
async function burstChild(seconds) {
  const { watchers } = await caches(KINDS, 'now', N);
  await settle();
  const idle = process.memoryUsage().rss;
  const { heapUsed: idleHeap, heapTotal: idleCommitted } = process.memoryUsage();
  const release = KINDS.filter(([k]) => ['canaries', 'deployments', 'virtualservices', 'pods'].includes(k));
  // 10 watch events per Canary over a 344 s release at N = 2,000 (scale-latest.md): 58 events/s; x4 to fit seconds.
  const perSecond = Math.ceil(((N * 10) / 344) * 4);
  const end = Date.now() + seconds * 1000;
  let rv = 10_000_000;
  for (let i = 0; Date.now() < end; i++) {
    const t0 = Date.now();
    for (let e = 0; e < perSecond; e++) {
      const [, r, make] = release[e % release.length];
      const objs = JSON.parse(JSON.stringify(make((i * perSecond + e) % N)));
      const onEvent = watchers.get([...watchers.keys()].find((p) => p.endsWith(`/${r.plural}`)));
      for (const o of objs) onEvent({ type: 'MODIFIED', object: { ...o, metadata: { ...o.metadata, resourceVersion: String(rv++) } } });
    }
    await new Promise((res) => setTimeout(res, Math.max(0, 1000 - (Date.now() - t0))));
  }
  const h = v8.getHeapStatistics();
  process.stdout.write(JSON.stringify({ limit: h.heap_size_limit, idle, idleHeap, idleCommitted, peak: vmHWM(), heapUsed: process.memoryUsage().heapUsed }));
}

function burst() {
  const mb = (b) => (b / 1048576).toFixed(0);
  const sets = [
    ['V8 defaults (this machine: 24 GiB, no cgroup limit)', []],
    ['--max-old-space-size=256 (= 50% of a 512 MiB limit)', ['--max-old-space-size=256']],
    ['--max-old-space-size=384 (= 75% of a 512 MiB limit)', ['--max-old-space-size=384']],
  ];
  console.log(`\nRelease burst, N = ${N}, --profile ${values.profile}, ${values['burst-seconds']} s, every process with --max-semi-space-size=2 and MALLOC_ARENA_MAX=2 (as npm start)`);
  console.log('V8 flags                                               heap limit MB  heap idle MB (committed)  RSS idle MB  RSS peak MB  heap used at end MB');
  for (const [label, flags] of sets) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=2', ...flags, fileURLToPath(import.meta.url), '--n', String(N), '--profile', values.profile, '--burst-child', values['burst-seconds']], { env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
    const r = JSON.parse(out.toString());
    console.log(`${label.padEnd(54)} ${mb(r.limit).padStart(13)}  ${`${mb(r.idleHeap)} (${mb(r.idleCommitted)})`.padStart(24)}  ${mb(r.idle).padStart(11)}  ${mb(r.peak).padStart(11)}  ${mb(r.heapUsed).padStart(19)}`);
  }
}

if (values['burst-child']) {
  await burstChild(Number(values['burst-child']));
} else {
  if (!values['burst-only']) await perKind();
  if (values.burst || values['burst-only']) burst();
}
