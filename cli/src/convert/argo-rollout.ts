/**
 * An Argo Rollouts Rollout as a Tollgate Canary (and the Deployment it releases, when the Rollout carries its own
 * pod template). Pure: the decoded Rollout and an index of the other objects of the input in, plain objects out.
 */
import { API_VERSION, REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { ConvertedTemplate, TemplateMetric } from './argo-analysis.js';
import { planSteps } from './argo-steps.js';
import { routingOf, type Routing, type RoutingInputs } from './argo-routing.js';
import { isObject, type Findings } from './report.js';

export interface RolloutInputs extends RoutingInputs {
  service(name: string): Record<string, unknown> | undefined;
  deployment(name: string): Record<string, unknown> | undefined;
  /** A converted AnalysisTemplate (or ClusterAnalysisTemplate) of the input. */
  template(name: string, cluster: boolean): ConvertedTemplate | undefined;
}

export interface ConvertedRollout {
  canary: Record<string, unknown>;
  /** The spec fields of the Rollout the Deployment keeps (when the Rollout has a template). */
  deploymentSpecKeys?: string[];
  /** A Deployment of the input the Rollout borrows its template from, and the replicas it needs. */
  workload?: { name: string; replicas: number };
}

/** Rollout spec fields that describe the workload: they stay on the Deployment. */
export const WORKLOAD_KEYS = ['replicas', 'selector', 'template', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds'];

const SPEC_DROPS: Record<string, string> = {
  restartAt: 'restart the Deployment with kubectl rollout restart',
  rollbackWindow: 'Tollgate analyses every new revision, a rollback too',
  analysis: 'Tollgate keeps no AnalysisRuns (their history limits mean nothing)',
};

const CANARY_DROPS: Record<string, string> = {
  maxSurge: "Tollgate scales the canary to the target's replicas (the Deployment's own strategy applies to its rolling update)",
  maxUnavailable: "Tollgate scales the canary to the target's replicas (the Deployment's own strategy applies to its rolling update)",
  antiAffinity: 'Tollgate adds no anti-affinity between primary and canary pods',
  canaryMetadata: 'Tollgate puts no ephemeral labels on the canary pods (service.canary labels its Service)',
  stableMetadata: 'Tollgate puts no ephemeral labels on the primary pods (service.primary labels its Service)',
  scaleDownDelaySeconds: 'Tollgate scales the canary down as soon as the primary is promoted',
  scaleDownDelayRevisionLimit: 'Tollgate keeps one canary',
  abortScaleDownDelaySeconds: 'Tollgate scales the canary down as soon as a run fails',
  dynamicStableScale: 'Tollgate keeps the primary at full size during the run',
  pingPong: 'Tollgate swaps primary and canary with its own Services',
  minPodsPerReplicaSet: "Tollgate scales the canary to the target's replicas",
  replicaProgressThreshold: 'Tollgate waits for every canary pod to be ready (analysis.canaryReadyThreshold sets how many)',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export function convertRollout(obj: Record<string, unknown>, inputs: RolloutInputs, f: Findings): ConvertedRollout {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const spec = isObject(obj.spec) ? obj.spec : {};
  const name = str(meta.name) ?? 'rollout';
  for (const [k, reason] of Object.entries(SPEC_DROPS)) if (spec[k] !== undefined) f.drop(`spec.${k}`, reason);
  if (spec.progressDeadlineAbort === false)
    f.drop('spec.progressDeadlineAbort', 'a Tollgate run always fails when progressDeadlineSeconds passes');
  const target = targetOf(spec, name, inputs, f);
  const strategy = isObject(spec.strategy) ? spec.strategy : {};
  const body = isObject(strategy.canary)
    ? canarySpec(strategy.canary, inputs, f)
    : isObject(strategy.blueGreen)
      ? blueGreenSpec(strategy.blueGreen, inputs, f)
      : canarySpec({}, inputs, f);
  const service = serviceOf(body.apex ?? name, target.template, inputs, f);
  const canarySpecValue: Record<string, unknown> = {
    provider: body.routing.provider,
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
    ...refs(body.routing),
    ...(service ? { service: { ...service, ...routeFields(body.routing) } } : {}),
    ...(typeof spec.progressDeadlineSeconds === 'number' ? { progressDeadlineSeconds: spec.progressDeadlineSeconds } : {}),
    analysis: body.analysis,
  };
  return {
    canary: { apiVersion: API_VERSION, kind: 'Canary', metadata: canaryMeta(meta, spec), spec: canarySpecValue },
    ...(target.fromTemplate ? { deploymentSpecKeys: WORKLOAD_KEYS.filter((k) => spec[k] !== undefined) } : {}),
    ...(target.workload ? { workload: target.workload } : {}),
  };
}

/** What the router contributes to spec.service: Gateway API parentRefs, Istio hosts and gateways, Emissary Mappings. */
function routeFields(r: Routing): Record<string, unknown> {
  return {
    ...(r.hosts ? { hosts: r.hosts } : {}),
    ...(r.gateways ? { gateways: r.gateways } : {}),
    ...(r.gatewayRefs ? { gatewayRefs: r.gatewayRefs } : {}),
    ...(r.mappings ? { mappings: r.mappings } : {}),
  };
}

function refs(r: Routing): Record<string, unknown> {
  return { ...(r.ingressRef ? { ingressRef: r.ingressRef } : {}), ...(r.routeRef ? { routeRef: r.routeRef } : {}) };
}

function canaryMeta(meta: Record<string, unknown>, spec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: meta.name };
  if (typeof meta.namespace === 'string') out.namespace = meta.namespace;
  if (isObject(meta.labels)) out.labels = meta.labels;
  if (spec.paused === true) out.annotations = { [REQUEST_ANNOTATIONS.paused]: 'true' };
  return out;
}

interface Target {
  name: string;
  fromTemplate: boolean;
  template?: Record<string, unknown>;
  workload?: { name: string; replicas: number };
}

/** The Deployment released: the Rollout's own template (written out as a Deployment), or the one workloadRef names. */
function targetOf(spec: Record<string, unknown>, name: string, inputs: RolloutInputs, f: Findings): Target {
  const ref = isObject(spec.workloadRef) ? spec.workloadRef : undefined;
  if (!ref) return { name, fromTemplate: true, ...(isObject(spec.template) ? { template: spec.template } : {}) };
  if (ref.kind !== 'Deployment')
    f.drop(
      'spec.workloadRef',
      `a Canary releases a Deployment, not a ${String(ref.kind)}: the Canary names a Deployment ${String(ref.name)}`,
    );
  if (ref.scaleDown !== undefined) f.drop('spec.workloadRef.scaleDown', 'Tollgate scales the target down itself once the primary runs it');
  const refName = str(ref.name) ?? name;
  const deployment = inputs.deployment(refName);
  const depSpec = isObject(deployment?.spec) ? deployment.spec : undefined;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const template = isObject(depSpec?.template) ? depSpec.template : undefined;
  if (!deployment)
    f.note(
      `spec.workloadRef: the Deployment ${refName} is released as it is; if it was scaled to 0 for Argo, give it ${replicas} replicas`,
    );
  const workload = deployment && depSpec?.replicas === 0 ? { name: refName, replicas } : undefined;
  return { name: refName, fromTemplate: false, ...(template ? { template } : {}), ...(workload ? { workload } : {}) };
}

/** The apex Service's port: the Service of the input with that name, else the first container port. */
function serviceOf(
  apex: string,
  template: Record<string, unknown> | undefined,
  inputs: RolloutInputs,
  f: Findings,
): Record<string, unknown> | undefined {
  const svc = inputs.service(apex);
  const ports = isObject(svc?.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : [];
  const first = ports.find(isObject);
  if (first && typeof first.port === 'number')
    return { name: apex, port: first.port, ...(first.targetPort !== undefined ? { targetPort: first.targetPort } : {}) };
  const containerPort = firstContainerPort(template);
  if (containerPort !== undefined) return { name: apex, port: containerPort };
  f.drop('spec.template', `no Service ${apex} in the input and no container port: set spec.service.port of the Canary`);
  return undefined;
}

function firstContainerPort(template: Record<string, unknown> | undefined): number | undefined {
  const podSpec = isObject(template?.spec) ? template.spec : {};
  for (const c of Array.isArray(podSpec.containers) ? podSpec.containers : []) {
    for (const p of isObject(c) && Array.isArray(c.ports) ? c.ports : [])
      if (isObject(p) && typeof p.containerPort === 'number') return p.containerPort;
  }
  return undefined;
}

interface StrategyBody {
  routing: Routing;
  apex?: string;
  analysis: Record<string, unknown>;
}

function canarySpec(c: Record<string, unknown>, inputs: RolloutInputs, f: Findings): StrategyBody {
  for (const [k, reason] of Object.entries(CANARY_DROPS)) if (c[k] !== undefined) f.drop(`spec.strategy.canary.${k}`, reason);
  const routing = routingOf(c.trafficRouting, f, inputs);
  const apex = routing.apex ?? str(c.stableService);
  if (str(c.canaryService))
    f.drop('spec.strategy.canary.canaryService', `Tollgate writes its own canary Service (${apex ?? '<target>'}-canary)`);
  const plan = planSteps(Array.isArray(c.steps) ? c.steps : [], f);
  const refsList = [...(isObject(c.analysis) ? [{ path: 'spec.strategy.canary.analysis', ref: c.analysis }] : []), ...plan.analyses];
  if (isObject(c.analysis) && c.analysis.startingStep !== undefined)
    f.drop('spec.strategy.canary.analysis.startingStep', 'Tollgate checks the metrics from the first step');
  const metrics = analysisMetrics(refsList, inputs, f);
  const analysis: Record<string, unknown> = { ...metrics.settings };
  if (routing.provider === 'kubernetes') {
    analysis.iterations = Math.max(plan.steps.length, 1);
    if (plan.steps.length) f.drop('spec.strategy.canary.steps', 'a blue/green Canary has no weights: each setWeight step is one iteration');
  } else if (!plan.steps.length) analysis.stepWeights = [100];
  else if (plan.steps.some((s) => s.pause)) analysis.steps = plan.steps;
  else analysis.stepWeights = plan.steps.map((s) => s.weight);
  if (metrics.list.length) analysis.metrics = metrics.list;
  return { routing, ...(apex ? { apex } : {}), analysis };
}

const BLUE_GREEN_DROPS: Record<string, string> = {
  previewService: 'Tollgate writes its own canary Service (<apex>-canary) for the new version',
  autoPromotionEnabled: 'a Canary has no manual gate before promotion (gate it with a confirm-promotion webhook)',
  autoPromotionSeconds: 'a Canary promotes once its iterations pass',
  postPromotionAnalysis: 'Tollgate analyses before promotion only',
  previewReplicaCount: "Tollgate runs the new version at the target's replicas",
  scaleDownDelaySeconds: 'Tollgate scales the old version down as soon as the primary is promoted',
  scaleDownDelayRevisionLimit: 'Tollgate keeps one canary',
  abortScaleDownDelaySeconds: 'Tollgate scales the new version down as soon as a run fails',
  antiAffinity: 'Tollgate adds no anti-affinity between primary and canary pods',
  previewMetadata: 'Tollgate puts no ephemeral labels on pods',
  activeMetadata: 'Tollgate puts no ephemeral labels on pods',
  maxUnavailable: "the Deployment's own strategy applies to its rolling update",
};

function blueGreenSpec(bg: Record<string, unknown>, inputs: RolloutInputs, f: Findings): StrategyBody {
  for (const [k, reason] of Object.entries(BLUE_GREEN_DROPS)) {
    if (bg[k] === undefined || (k === 'autoPromotionEnabled' && bg[k] === true)) continue;
    f.drop(`spec.strategy.blueGreen.${k}`, reason);
  }
  const pre = bg.prePromotionAnalysis;
  const metrics = analysisMetrics(isObject(pre) ? [{ path: 'spec.strategy.blueGreen.prePromotionAnalysis', ref: pre }] : [], inputs, f);
  const analysis: Record<string, unknown> = { ...metrics.settings, iterations: 1 };
  if (metrics.list.length) analysis.metrics = metrics.list;
  return { routing: { provider: 'kubernetes' }, ...(str(bg.activeService) ? { apex: str(bg.activeService) } : {}), analysis };
}

interface Metrics {
  list: Record<string, unknown>[];
  settings: Record<string, unknown>;
}

/** The metrics of every AnalysisTemplate the Rollout refers to, with the Rollout's args as template variables. */
function analysisMetrics(refsList: { path: string; ref: Record<string, unknown> }[], inputs: RolloutInputs, f: Findings): Metrics {
  const found: TemplateMetric[] = [];
  const seen = new Set<string>();
  for (const { path, ref } of refsList) {
    const args = argsOf(ref.args, `${path}.args`, f);
    const templates = Array.isArray(ref.templates) ? ref.templates : [];
    for (const [i, t] of templates.entries()) {
      if (!isObject(t) || typeof t.templateName !== 'string') continue;
      const cluster = t.clusterScope === true;
      const key = `${cluster}/${t.templateName}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const converted = inputs.template(t.templateName, cluster);
      if (!converted) {
        f.drop(
          `${path}.templates[${i}]`,
          `the ${cluster ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} ${t.templateName} is not in the input (convert it with the Rollout), or none of its metrics converts`,
        );
        continue;
      }
      for (const m of converted.metrics) found.push(withArgs(m, args, `${path}.args`, f));
    }
  }
  return { list: found.map((m) => m.canaryMetric), settings: settingsOf(found, f) };
}

function argsOf(args: unknown, path: string, f: Findings): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(args)) return out;
  for (const [i, a] of args.entries()) {
    if (!isObject(a) || typeof a.name !== 'string') continue;
    if (typeof a.value === 'string') out[a.name] = a.value;
    else if (a.valueFrom !== undefined)
      f.drop(
        `${path}[${i}].valueFrom`,
        "Tollgate template variables are plain strings (use {{ namespace }} or {{ target }} in the query for the Canary's own)",
      );
  }
  return out;
}

function withArgs(m: TemplateMetric, args: Record<string, string>, argsPath: string, f: Findings): TemplateMetric {
  const vars: Record<string, string> = {};
  for (const [k, dflt] of Object.entries(m.variables)) {
    const v = args[k] ?? dflt;
    if (v === undefined)
      f.drop(
        argsPath,
        `the metric ${String(m.canaryMetric.name)} uses the arg ${k}, which has no value here: set its templateVariables.${k} in the Canary`,
      );
    else vars[k] = v;
  }
  return Object.keys(vars).length ? { ...m, canaryMetric: { ...m.canaryMetric, templateVariables: vars } } : m;
}

/** analysis.interval and threshold from the metrics' Argo intervals and failure limits (the strictest). */
function settingsOf(metrics: TemplateMetric[], f: Findings): Record<string, unknown> {
  const intervals = [...new Set(metrics.map((m) => m.interval).filter((i): i is string => !!i))];
  const limits = metrics.map((m) => m.failureLimit ?? 0);
  const out: Record<string, unknown> = {};
  if (intervals.length) out.interval = intervals[0];
  if (intervals.length > 1)
    f.note(`the metrics are measured every ${intervals.join(', ')} in Argo; Tollgate checks them all every ${intervals[0]}`);
  if (limits.length) out.threshold = Math.min(...limits) + 1;
  if (new Set(limits).size > 1)
    f.note(
      `the metrics tolerate ${limits.join(', ')} failures in Argo; Tollgate counts failed checks of all metrics together (threshold ${Math.min(...limits) + 1})`,
    );
  return out;
}
