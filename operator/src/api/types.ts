import type { PROVIDER_NAMES, WEBHOOK_TYPES } from './crd/canary.js';

import type { Phase } from '@tollgate/contract/phases';

export type { Phase };

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  finalizers?: string[];
  generateName?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

type ProviderName = (typeof PROVIDER_NAMES)[number];
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export interface StringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
}
export interface MetadataOverlay {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CanaryService {
  name?: string;
  port: number;
  portName?: string;
  targetPort?: number | string;
  appProtocol?: string;
  trafficDistribution?: string;
  portDiscovery?: boolean;
  headless?: boolean;
  timeout?: string;
  backendTimeout?: string;
  meshName?: string;
  backends?: string[];
  hosts?: string[];
  gateways?: string[];
  gatewayRefs?: Record<string, unknown>[];
  /** Emissary: the user's Mappings to clone as `<mapping>-canary` (default: the one named like the apex Service). */
  mappings?: string[];
  delegation?: boolean;
  match?: Record<string, unknown>[];
  rewrite?: { uri?: string; authority?: string; type?: string };
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string };
  headers?: Record<string, unknown>;
  mirror?: Record<string, unknown>[];
  corsPolicy?: Record<string, unknown>;
  trafficPolicy?: Record<string, unknown>;
  apex?: MetadataOverlay;
  primary?: MetadataOverlay;
  canary?: MetadataOverlay;
  unmanagedMetadata?: { labels?: string[]; annotations?: string[] };
}

export interface CanaryMetric {
  name: string;
  interval?: string;
  threshold?: number;
  thresholdRange?: { min?: number; max?: number };
  query?: string;
  templateRef?: { name: string; namespace?: string };
  templateVariables?: Record<string, string>;
  onNoData?: 'fail' | 'halt' | 'ignore';
  /** Measured and reported, never counted as a failed check nor holding a step. */
  dryRun?: boolean;
}

export type JudgeDirection = 'increase' | 'decrease' | 'either';

/** One metric of the statistical judge: the same query run for the canary and the primary over the same window. */
export interface JudgeMetric {
  name: string;
  /** Prometheus query; {{ target }} is the workload measured (the target for the canary, <target>-primary for the primary). */
  query?: string;
  templateRef?: { name: string; namespace?: string };
  templateVariables?: Record<string, string>;
  /** Window of the range query (1m by default). */
  interval?: string;
  /** Resolution of the range query: one sample per step and series (10s by default). */
  step?: string;
  /** Which change is bad: increase (default), decrease or either. */
  direction?: JudgeDirection;
  /** Tolerated ratio of the canary's median to the primary's, at least 1 (1.2 by default). */
  effectSize?: number;
  /** Confidence of the Mann-Whitney U test (0.95 by default). */
  confidence?: number;
  /** Fewer samples on either side: NoData (10 by default). */
  minSamples?: number;
}

/** analysis.judge: canary against primary, Kayenta style. */
export interface CanaryJudge {
  /** Least score that passes (95 by default). */
  pass?: number;
  /** Least score that holds the step instead of failing it (75 by default). */
  marginal?: number;
  onNoData?: 'fail' | 'halt' | 'ignore';
  metrics: JudgeMetric[];
}

type JudgeClassification = 'High' | 'Low' | 'Pass' | 'NoData';
export type JudgeVerdict = 'Pass' | 'Marginal' | 'Fail' | 'NoData';

export interface MetricJudgement {
  name: string;
  classification: JudgeClassification;
  canaryMedian?: number;
  primaryMedian?: number;
  /** canaryMedian / primaryMedian; absent when infinite. */
  ratio?: number;
  pValue?: number;
  canarySamples: number;
  primarySamples: number;
  message: string;
}

export interface Judgement {
  /** Share of the classified metrics that pass, 0 to 100; absent when none has data. */
  score?: number;
  verdict: JudgeVerdict;
  pass: number;
  marginal: number;
  metrics: MetricJudgement[];
}

/** Which SLO definition analysis.slo reads. */
export type SloKind = 'PrometheusServiceLevel' | 'ServiceLevelObjective' | 'OpenSLO';

/** One label matcher that scopes the SLO's queries to a workload; {{ target }} and {{ namespace }} are filled in. */
interface SloScopeMatcher {
  label: string;
  value: string;
  /** = (default) or =~ (the filled-in values are regex-quoted). */
  op?: '=' | '=~';
}

/** analysis.slo: the team's SLO as a multiwindow burn-rate gate (docs/slo.md). */
export interface CanarySlo {
  ref: {
    kind: SloKind;
    /** The Sloth PrometheusServiceLevel, Pyrra ServiceLevelObjective or ConfigMap (OpenSLO), in the Canary's namespace. */
    name: string;
    /** Sloth: which of spec.slos (needed when there are several); OpenSLO: metadata.name of the SLO document. */
    sloName?: string;
    /** OpenSLO: the ConfigMap key holding the YAML. */
    configMapKey?: string;
  };
  /** Label matchers added to every series selector of the SLI, for the canary ({{ target }}) and the primary. */
  scope: SloScopeMatcher[];
  /** Page burn rate; by default the SLO's own (Sloth 14.4 for 30 days, Pyrra 14, OpenSLO the SRE Workbook's for its window). */
  pageBurnRate?: number;
  /** Intervals of traffic the long window must span before the gate can fail a check (2 by default). */
  minChecks?: number;
  /** Most of the remaining error budget (percent) the canary's traffic may consume. */
  maxBudgetConsumedPercent?: number;
  onNoData?: 'fail' | 'halt' | 'ignore';
}

/** One window of the gate: its length and the canary's error ratio and burn rate over it. */
interface SloWindowResult {
  window: string;
  errorRatio?: number;
  burnRate?: number;
}

/** The SLO gate's latest evaluation (status.lastSLO). */
export interface SloEvaluation {
  /** Kind/name[/slo] of the SLO definition. */
  source: string;
  /** Objective in percent (99.9). */
  objective: number;
  pageBurnRate: number;
  /** Where pageBurnRate came from: sloth, pyrra, sre-workbook or spec. */
  thresholdFrom: string;
  verdict: 'Pass' | 'Burning' | 'BudgetExceeded' | 'TooEarly' | 'NoData';
  short: SloWindowResult;
  long: SloWindowResult;
  /** The primary's burn rate over the long window, for comparison. */
  primaryBurnRate?: number;
  budgetConsumedPercent?: number;
  maxBudgetConsumedPercent?: number;
  message: string;
}

export interface CanaryWebhook {
  name: string;
  type?: WebhookType;
  url: string;
  timeout?: string;
  retries?: number;
  disableTLS?: boolean;
  muteAlert?: boolean;
  metadata?: Record<string, string>;
  secretRef?: { name: string };
}

export interface CanaryAlert {
  name: string;
  severity?: '' | 'info' | 'warn' | 'error';
  providerRef: { name: string; namespace?: string };
}

export interface SessionAffinity {
  cookieName: string;
  primaryCookieName?: string;
  domain?: string;
  httpOnly?: boolean;
  maxAge?: number;
  partitioned?: boolean;
  path?: string;
  sameSite?: 'Strict' | 'Lax' | 'None';
  secure?: boolean;
}

export interface CanaryAnalysis {
  interval?: string;
  threshold?: number;
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  steps?: { weight: number; pause?: string }[];
  stepWeightPromotion?: number;
  iterations?: number;
  mirror?: boolean;
  mirrorWeight?: number;
  primaryReadyThreshold?: number;
  canaryReadyThreshold?: number;
  match?: Record<string, unknown>[];
  sessionAffinity?: SessionAffinity;
  metrics?: CanaryMetric[];
  judge?: CanaryJudge;
  slo?: CanarySlo;
  webhooks?: CanaryWebhook[];
  alerts?: CanaryAlert[];
}

interface TargetRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface CanarySpec {
  provider?: ProviderName;
  metricsServer?: string;
  targetRef: TargetRef;
  autoscalerRef?: Record<string, unknown>;
  ingressRef?: Record<string, unknown>;
  routeRef?: Record<string, unknown>;
  upstreamRef?: Record<string, unknown>;
  service?: CanaryService;
  analysis?: CanaryAnalysis;
  canaryAnalysis?: CanaryAnalysis;
  progressDeadlineSeconds?: number;
  skipAnalysis?: boolean;
  revertOnDeletion?: boolean;
  suspend?: boolean;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  reason?: string;
  message?: string;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** A failure that holds the step instead of counting (onNoData: halt). */
  halt?: boolean;
  /** The metric is a dry run (CanaryMetric.dryRun): reported, never counted nor held on. */
  dryRun?: boolean;
  value?: number;
  min?: number;
  max?: number;
  reason?: string;
  message?: string;
}

export interface CanaryStatus {
  phase?: Phase;
  canaryWeight?: number;
  /**
   * Replica-ratio releases (provider kubernetes): the canary's share of the ready pods behind the apex Service,
   * which approximates canaryWeight.
   */
  effectiveWeight?: number;
  failedChecks?: number;
  iterations?: number;
  mirrored?: boolean;
  lastAppliedSpec?: string;
  lastPromotedSpec?: string;
  trackedConfigs?: Record<string, string>;
  lastTransitionTime?: string;
  lastAnalysisTime?: string;
  sessionAffinityCookie?: string;
  previousSessionAffinityCookie?: string;
  primarySessionAffinityCookie?: string;
  /** When the canary weight last changed: a step with a pause holds until pause has passed. */
  stepStartTime?: string;
  /** The value of each one-shot request annotation (retry, promote, abort) last acted upon. */
  handledRequests?: Record<string, string>;
  runStartTime?: string;
  /** When the operator first saw the revision that waits in the release queue: the queue's order (phase Waiting). */
  queuedSince?: string;
  observedGeneration?: number;
  lastChecks?: CheckResult[];
  /** The statistical judge's latest judgement (analysis.judge). */
  lastJudgement?: Judgement;
  /** In-place targets (StatefulSet): the ControllerRevision of the revision last promoted, which a rollback restores. */
  promotedControllerRevision?: string;
  /** In-place targets: a rollback is putting the promoted revision back (its template, then its pods). */
  restoring?: boolean;
  /** The SLO gate's latest evaluation (analysis.slo). */
  lastSLO?: SloEvaluation;
  /** When the canary was first exposed in this run (its first analysis step): the start of the SLO gate's long window. */
  trafficStartTime?: string;
  conditions?: Condition[];
}

export interface Canary extends KubeObject {
  spec: CanarySpec;
  status?: CanaryStatus;
}

export interface MetricTemplate extends KubeObject {
  spec: {
    provider: {
      type: string;
      address?: string;
      headers?: Record<string, string[]>;
      secretRef?: { name: string };
      region?: string;
      insecureSkipVerify?: boolean;
    };
    query: string;
  };
}

export interface AlertProvider extends KubeObject {
  spec: {
    type: string;
    channel?: string;
    username?: string;
    address?: string;
    proxy?: string;
    secretRef?: { name: string };
    /** Text of every alert sent through this provider; placeholders such as {{ canary }} and {{ message }} are filled in. */
    template?: string;
  };
}
