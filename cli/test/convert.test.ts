import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { convertManifests } from '../src/convert/convert.js';
import { joinDocuments, splitSources } from '../src/convert/stream.js';
import { lintText, type LintOptions } from '../src/lint/lint.js';
import { offline } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FLAGGER_CORPUS = path.join(ROOT, 'e2e', 'flagger-corpus');
const ARGO_CORPUS = path.join(ROOT, 'e2e', 'argo-corpus');

const OPTIONS: LintOptions = {
  defaultProvider: 'istio',
  caps: {
    providers: new Set(['istio', 'kubernetes', 'linkerd', 'gatewayapi:v1', 'nginx', 'smi:v1alpha1', 'traefik', 'appmesh:v1beta2']),
    targetKinds: new Set(['Deployment', 'DaemonSet']),
    builtinMetricProviders: new Set(['istio', 'kubernetes', 'linkerd']),
  },
};

const yamlFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

const convertFile = (dir: string, file: string) => convertManifests([{ file, text: fs.readFileSync(path.join(dir, file), 'utf8') }]);

/** What the API server would refuse in a converted stream: schema and CEL errors (the operator's findings are not refusals). */
const refusals = (text: string): string[] =>
  lintText('out.yaml', text, OPTIONS)
    .findings.filter((f) => f.stage !== 'operator' && f.severity === 'error')
    .map((f) => `${f.object}: ${f.message}`);

const decoded = (text: string): Record<string, unknown>[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown>)
    .filter(Boolean);

describe('the document stream', () => {
  it.each([...yamlFiles(FLAGGER_CORPUS).map((f) => [FLAGGER_CORPUS, f]), ...yamlFiles(ARGO_CORPUS).map((f) => [ARGO_CORPUS, f])])(
    'splits %s/%s into documents that join back byte for byte',
    (dir, file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const parts = splitSources(text);
      expect(parts.join('')).toBe(text);
      expect(parts.length).toBe(parseAllDocuments(text).length);
    },
  );

  it('joins documents with a --- line where one is missing', () => {
    expect(joinDocuments(['a: 1\n', 'b: 2', '---\nc: 3\n', '# x\n---\nd: 4\n'])).toBe('a: 1\n---\nb: 2\n---\nc: 3\n# x\n---\nd: 4\n');
  });
});

describe('tollgate convert on the Flagger corpus', () => {
  it.each(yamlFiles(FLAGGER_CORPUS))('%s: only the apiVersion changes, nothing dropped, nothing refused', (file) => {
    const source = fs.readFileSync(path.join(FLAGGER_CORPUS, file), 'utf8');
    const r = convertFile(FLAGGER_CORPUS, file);
    expect(r.dropped).toEqual([]);
    expect(r.text).toBe(source.replace(/^(\s*)apiVersion:(\s*)flagger\.app\/v1beta1/gm, '$1apiVersion:$2tollgate.dev/v1beta1'));
    const before = decoded(source);
    const after = decoded(r.text);
    expect(after).toEqual(before.map((d) => (d.apiVersion === 'flagger.app/v1beta1' ? { ...d, apiVersion: 'tollgate.dev/v1beta1' } : d)));
    expect(refusals(r.text)).toEqual([]);
    expect(Object.values(r.written).reduce((a, b) => a + b, 0)).toBe(before.filter((d) => d.apiVersion === 'flagger.app/v1beta1').length);
  });
});

/**
 * Every field the Argo corpus loses, by file: the expected drops (a Job metric, an equality condition, indefinite
 * pauses, the routes Tollgate writes itself...). Anything else dropped fails the test.
 */
const ARGO_DROPS: Record<string, string[]> = {
  'argo-rollouts--analysis-templates.yaml': [
    'AnalysisTemplate pass spec.metrics[0].provider.job',
    'AnalysisTemplate random-fail spec.metrics[0].provider.job',
  ],
  'argo-rollouts--apisix-rollout.yaml': [
    'Rollout rollout-apisix-canary spec.strategy.canary.trafficRouting.apisix.route.rules',
    'Rollout rollout-apisix-canary spec.strategy.canary.canaryService',
    'Rollout rollout-apisix-canary spec.strategy.canary.steps[1].pause',
  ],
  'argo-rollouts--docs-args-example.yaml': [
    'AnalysisTemplate args-example spec.args[4].valueFrom',
    'AnalysisTemplate args-example spec.metrics[0].successCondition',
  ],
  'argo-rollouts--docs-datadog.yaml': ['AnalysisTemplate loq-error-rate spec.metrics[0].count'],
  'argo-rollouts--docs-multiple-templates.yaml': [],
  // Upstream's example puts query beside newRelic instead of in it: there is no query to convert.
  'argo-rollouts--docs-newrelic.yaml': ['AnalysisTemplate success-rate spec.metrics[0].provider.newRelic.query'],
  'argo-rollouts--docs-prometheus.yaml': ['AnalysisTemplate success-rate spec.metrics[0].provider.prometheus.timeout'],
  'argo-rollouts--istio-subset-split.yaml': [
    'Rollout istio-subset-split spec.strategy.canary.trafficRouting.istio.virtualService',
    'Rollout istio-subset-split spec.strategy.canary.trafficRouting.istio.destinationRule',
    'Rollout istio-subset-split spec.strategy.canary.steps[1].pause',
  ],
  'argo-rollouts--rollout-background-analysis.yaml': [
    'Rollout rollout-background-analysis spec.strategy.canary.steps[1].pause',
    'Rollout rollout-background-analysis spec.strategy.canary.analysis.templates[0]',
    'Rollout rollout-background-analysis spec.strategy.canary.steps',
  ],
  'argo-rollouts--rollout-bluegreen.yaml': [
    'Rollout rollout-bluegreen spec.strategy.blueGreen.previewService',
    'Rollout rollout-bluegreen spec.strategy.blueGreen.autoPromotionEnabled',
  ],
  'argo-rollouts--rollout-canary.yaml': [
    'Rollout rollout-canary spec.strategy.canary.steps[1].pause',
    'Rollout rollout-canary spec.strategy.canary.steps',
  ],
  'argo-rollouts--test-web-background.yaml': ['AnalysisTemplate web-background spec.metrics[0].successCondition'],
  'argo-rollouts--workload-ref.yaml': ['Rollout rollout-ref-deployment spec.strategy.canary.steps'],
};

describe('tollgate convert on the Argo Rollouts corpus', () => {
  it('has an expectation for every file', () => {
    expect(Object.keys(ARGO_DROPS).sort()).toEqual(yamlFiles(ARGO_CORPUS));
  });

  it.each(yamlFiles(ARGO_CORPUS))('%s: drops only what is expected; the output is valid', (file) => {
    const r = convertFile(ARGO_CORPUS, file);
    expect(r.dropped.map((d) => `${d.object} ${d.path}`)).toEqual(ARGO_DROPS[file]);
    expect(refusals(r.text)).toEqual([]);
    const out = decoded(r.text);
    expect(out.filter((d) => String(d.apiVersion).startsWith('argoproj.io/'))).toEqual([]);
    const rollouts = decoded(fs.readFileSync(path.join(ARGO_CORPUS, file), 'utf8')).filter((d) => d.kind === 'Rollout');
    expect(out.filter((d) => d.kind === 'Canary').map((d) => (d.metadata as { name: string }).name)).toEqual(
      rollouts.map((d) => (d.metadata as { name: string }).name),
    );
  });

  it('writes a Rollout with its own template as a Deployment and a Canary with the weights, pauses and router', () => {
    const r = convertFile(ARGO_CORPUS, 'argo-rollouts--apisix-rollout.yaml');
    const [deployment, canary] = decoded(r.text);
    const rollout = decoded(fs.readFileSync(path.join(ARGO_CORPUS, 'argo-rollouts--apisix-rollout.yaml'), 'utf8'))[0]!;
    const { strategy: _s, ...workload } = rollout.spec as Record<string, unknown>;
    expect(deployment).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: rollout.metadata, spec: workload });
    expect(canary).toEqual({
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: { name: 'rollout-apisix-canary' },
      spec: {
        provider: 'apisix',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rollout-apisix-canary' },
        routeRef: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name: 'rollouts-apisix-route' },
        service: { name: 'rollout-apisix-canary-stable', port: 8080 },
        analysis: {
          steps: [{ weight: 20 }, { weight: 40, pause: '15s' }, { weight: 60, pause: '15s' }, { weight: 80, pause: '15s' }],
        },
      },
    });
  });

  it("keeps the Rollout's comments on the Deployment and passes the other documents through unchanged", () => {
    const source = fs.readFileSync(path.join(ARGO_CORPUS, 'argo-rollouts--istio-subset-split.yaml'), 'utf8');
    const r = convertFile(ARGO_CORPUS, 'argo-rollouts--istio-subset-split.yaml');
    const parts = splitSources(source);
    expect(r.text.startsWith(parts.slice(0, 3).join(''))).toBe(true);
    expect(r.passed).toBe(3);
    expect(decoded(r.text).find((d) => d.kind === 'Canary')!.spec).toMatchObject({
      provider: 'istio',
      service: { name: 'istio-subset-split', port: 80, targetPort: 'http', hosts: ['istio-subset-split'] },
      analysis: { stepWeights: [10] },
    });
    const withComment = convertFile(ARGO_CORPUS, 'argo-rollouts--rollout-canary.yaml').text;
    expect(withComment.startsWith('# This example demonstrates a Rollout using the canary update strategy')).toBe(true);
  });

  it('gives a Deployment scaled to 0 for workloadRef the Rollout’s replicas', () => {
    const r = convertFile(ARGO_CORPUS, 'argo-rollouts--workload-ref.yaml');
    const [deployment, canary] = decoded(r.text);
    expect(deployment).toMatchObject({ kind: 'Deployment', spec: { replicas: 5 } });
    expect(canary).toMatchObject({ kind: 'Canary', spec: { targetRef: { kind: 'Deployment', name: 'rollout-ref-deployment' } } });
  });
});

const ROLLOUT_WITH_ANALYSIS = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  paused: true
  progressDeadlineSeconds: 300
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]
  strategy:
    canary:
      canaryService: web-canary
      stableService: web
      trafficRouting:
        nginx: {stableIngress: web}
      analysis:
        templates: [{templateName: success-rate}]
        args: [{name: service-name, value: web-canary}]
      steps:
      - setWeight: 10
      - pause: {duration: 1m}
      - setWeight: 50
      - analysis:
          templates: [{templateName: latency}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: success-rate, namespace: shop}
spec:
  args: [{name: service-name}]
  metrics:
  - name: success-rate
    interval: 30s
    failureLimit: 2
    successCondition: len(result) == 0 || result[0] >= 0.99
    provider:
      prometheus:
        address: http://prometheus.monitoring:9090
        query: sum(rate(ok{svc="{{args.service-name}}"}[1m])) / sum(rate(all{svc="{{args.service-name}}"}[1m]))
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: latency, namespace: shop}
spec:
  metrics:
  - name: p99
    interval: 1m
    failureCondition: result[0] > 500
    provider:
      prometheus:
        query: histogram_quantile(0.99, sum(rate(d_bucket[1m])) by (le))
`;

describe('a Rollout with AnalysisTemplates in the same input', () => {
  it('becomes a Canary whose metrics refer to the MetricTemplates, with the ranges, variables, interval and threshold', () => {
    const r = convertManifests([{ file: 'app.yaml', text: ROLLOUT_WITH_ANALYSIS }]);
    expect(r.dropped.map((d) => d.path)).toEqual(['spec.strategy.canary.canaryService']);
    expect(refusals(r.text)).toEqual([]);
    const out = decoded(r.text);
    expect(out.map((d) => d.kind)).toEqual(['Deployment', 'Canary', 'Service', 'MetricTemplate', 'MetricTemplate']);
    expect(out[1]).toEqual({
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: { name: 'web', namespace: 'shop', annotations: { 'tollgate.dev/paused': 'true' } },
      spec: {
        provider: 'nginx',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' },
        service: { name: 'web', port: 80, targetPort: 8080 },
        progressDeadlineSeconds: 300,
        analysis: {
          interval: '30s',
          threshold: 1,
          steps: [{ weight: 10, pause: '1m' }, { weight: 50 }],
          metrics: [
            {
              name: 'success-rate',
              templateRef: { name: 'success-rate' },
              thresholdRange: { min: 0.99 },
              onNoData: 'ignore',
              templateVariables: { 'service-name': 'web-canary' },
            },
            { name: 'p99', templateRef: { name: 'latency' }, thresholdRange: { max: 500 } },
          ],
        },
      },
    });
    expect(out[3]!.spec).toEqual({
      provider: { type: 'prometheus', address: 'http://prometheus.monitoring:9090' },
      query: 'sum(rate(ok{svc="{{ variables.service-name }}"}[1m])) / sum(rate(all{svc="{{ variables.service-name }}"}[1m]))',
    });
    expect(r.notes.map((n) => n.message)).toEqual(
      expect.arrayContaining([
        'spec.strategy.canary.steps[3].analysis: its metrics are checked at every step of the run, not once at this step',
        'the metrics are measured every 30s, 1m in Argo; Tollgate checks them all every 30s',
      ]),
    );
  });
});

const BLUE_GREEN = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api:1}]}
  strategy:
    blueGreen:
      activeService: api-active
      previewService: api-preview
      prePromotionAnalysis:
        templates: [{templateName: errors, clusterScope: true}]
      postPromotionAnalysis:
        templates: [{templateName: errors, clusterScope: true}]
---
apiVersion: v1
kind: Service
metadata: {name: api-active}
spec: {ports: [{port: 8080}]}
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata: {name: errors}
spec:
  metrics:
  - name: errors
    failureLimit: 1
    failureCondition: result[0] > 0.05
    provider: {prometheus: {query: 'sum(rate(errors[1m]))'}}
`;

describe('objects a Rollout refers to', () => {
  it('are looked up in its namespace: a template of the same name elsewhere is not it', () => {
    const docs = ROLLOUT_WITH_ANALYSIS.split('\n---\n');
    const other = docs.filter((d) => d.includes('kind: AnalysisTemplate')).map((d) => d.replace('namespace: shop', 'namespace: other'));
    const r = convertManifests([{ file: 'a.yaml', text: [docs[0]!, ...other].join('\n---\n') }]);
    expect(r.dropped.map((d) => d.path)).toEqual([
      'spec.strategy.canary.canaryService',
      'spec.strategy.canary.analysis.templates[0]',
      'spec.strategy.canary.steps[3].analysis.templates[0]',
    ]);
  });

  it('a provider that is not an object is refused, not a crash', () => {
    const t =
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics:\n  - {name: m, successCondition: result > 1, provider: {prometheus: null}}\n';
    expect(convertManifests([{ file: 't.yaml', text: t }]).dropped.map((d) => `${d.path}: ${d.reason}`)).toEqual([
      'spec.metrics[0].provider.prometheus.query: no query',
    ]);
  });
});

describe('a blueGreen Rollout', () => {
  it('becomes a blue/green Canary (one iteration) with its pre-promotion analysis (a ClusterAnalysisTemplate) as metrics', () => {
    const r = convertManifests([{ file: 'bg.yaml', text: BLUE_GREEN }]);
    expect(r.dropped.map((d) => d.path)).toEqual([
      'spec.strategy.blueGreen.previewService',
      'spec.strategy.blueGreen.postPromotionAnalysis',
    ]);
    expect(refusals(r.text)).toEqual([]);
    const canary = decoded(r.text).find((d) => d.kind === 'Canary')!;
    expect(canary.spec).toEqual({
      provider: 'kubernetes',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      service: { name: 'api-active', port: 8080 },
      analysis: {
        threshold: 2,
        iterations: 1,
        metrics: [{ name: 'errors', templateRef: { name: 'errors' }, thresholdRange: { max: 0.05 } }],
      },
    });
    const template = decoded(r.text).find((d) => d.kind === 'MetricTemplate')!;
    expect(template.metadata).toEqual({ name: 'errors' });
  });
});

const FLAGGER_WITH_EXTRAS = `# the podinfo release
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service:
    port: 9898
    # not a Tollgate field
    futureField: true
  analysis:
    interval: 1m   # every minute
    threshold: 5
    stepWeight: 10
    maxWeight: 50
    someNewThing: {a: 1}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      interval: 1m
      extra: x
status:
  phase: Succeeded
`;

describe('Flagger fields Tollgate does not declare', () => {
  it('are removed and listed; comments, key order and the status-less rest stay', () => {
    const r = convertManifests([{ file: 'c.yaml', text: FLAGGER_WITH_EXTRAS }]);
    expect(r.dropped.map((d) => `${d.object} ${d.path}: ${d.reason}`)).toEqual([
      'Canary test/podinfo spec.service.futureField: the tollgate.dev/v1beta1 Canary has no such field',
      'Canary test/podinfo spec.analysis.someNewThing: the tollgate.dev/v1beta1 Canary has no such field',
      'Canary test/podinfo spec.analysis.metrics[0].extra: the tollgate.dev/v1beta1 Canary has no such field',
    ]);
    expect(r.text).toContain('# the podinfo release\napiVersion: tollgate.dev/v1beta1\n');
    expect(r.text).toContain('interval: 1m # every minute');
    expect(r.text).not.toMatch(/futureField|someNewThing|extra|status|Succeeded/);
    expect(Object.keys(decoded(r.text)[0]!.spec as object)).toEqual(['targetRef', 'service', 'analysis']);
    expect(refusals(r.text)).toEqual([]);
  });

  it('in a List (kubectl get -o yaml) are converted item by item', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: flagger.app/v1beta1\n  kind: MetricTemplate\n  metadata: {name: a}\n  spec: {provider: {type: prometheus}, query: up}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n`;
    const r = convertManifests([{ file: 'l.yaml', text: list }]);
    expect(r.text).toBe(list.replace('flagger.app/v1beta1', 'tollgate.dev/v1beta1'));
    expect(r.written).toEqual({ MetricTemplate: 1 });
  });
});

describe('tollgate convert (the command)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-convert-'));
    fs.writeFileSync(path.join(dir, 'extra.yaml'), FLAGGER_WITH_EXTRAS);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the converted stream and exits 0 when nothing is dropped; other documents pass through', async () => {
    const input =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata: {name: s}\nspec: {type: slack, channel: c}\n';
    const h = await offline(['convert', '-'], input);
    expect(h.code).toBe(0);
    expect(h.out).toEqual([input.replace('flagger.app/v1beta1', 'tollgate.dev/v1beta1').trimEnd()]);
    expect(h.err).toEqual([
      'converted 1 AlertProvider (flagger.app) into 1 AlertProvider; 1 other document passed through; 0 fields dropped.',
    ]);
  });

  it('lists what was dropped and writes nothing (exit 1) unless --allow-dropped', async () => {
    const h = await offline(['convert', path.join(dir, 'extra.yaml')]);
    expect(h.code).toBe(1);
    expect(h.out).toEqual([]);
    expect(h.err).toContain('dropped: Canary test/podinfo: spec.service.futureField: the tollgate.dev/v1beta1 Canary has no such field');
    expect(h.err[h.err.length - 1]).toMatch(/3 fields dropped; nothing written \(--allow-dropped writes it anyway\)\.$/);
    const allowed = await offline(['convert', '--allow-dropped', dir]);
    expect(allowed.code).toBe(0);
    expect(allowed.out.join('\n')).toContain('apiVersion: tollgate.dev/v1beta1');
  });

  it('refuses (exit 1, nothing written) a conversion the API server would refuse', async () => {
    const bad = 'apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: m}\nspec: {provider: {type: kayenta}, query: x}\n';
    const h = await offline(['convert', '-'], bad);
    expect(h.code).toBe(1);
    expect(h.out).toEqual([]);
    expect(h.err.join('\n')).toMatch(/^invalid: MetricTemplate m: spec.provider.type: spec.provider.type: Unsupported value: "kayenta"/m);
  });

  it('exits 3 on a file it cannot read or YAML it cannot parse', async () => {
    expect((await offline(['convert', path.join(dir, 'nope.yaml')])).code).toBe(3);
    const h = await offline(['convert', '-'], 'a: [1\n');
    expect(h.code).toBe(3);
    expect(h.err[0]).toMatch(/^error: cannot parse <stdin>:\d+: /);
  });

  it('needs a file', async () => {
    const h = await offline(['convert']);
    expect(h.code).toBe(3);
    expect(h.err[0]).toBe('error: convert needs files to convert (or - for standard input)');
  });
});
