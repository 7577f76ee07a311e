import { PHASES } from '@tollgate/contract/phases';
import {
  arrayOf,
  bool,
  conditions,
  crd,
  duration,
  int,
  mapOf,
  metadataOverlay,
  num,
  obj,
  objectRef,
  rootSchema,
  type Schema,
  str,
  stringMap,
  stringMatch,
  weight,
} from './schema.js';
import {
  ANALYSIS_RULES,
  CANARY_RULES,
  JUDGE_METRIC_RULES,
  JUDGE_RULES,
  SLO_RULES,
  METRIC_RULES,
  SESSION_AFFINITY_RULES,
  SPEC_RULES,
  THRESHOLD_RANGE_RULES,
  WEBHOOK_RULES,
  withRules,
} from './rules.js';

/**
 * Bound on the lists the CEL rules iterate (stepWeights, steps): without it the API server estimates their cost from
 * the largest request it takes and refuses the CRD ("estimated rule cost exceeds budget").
 */
export const MAX_STEPS = 100;

/** Every provider Flagger's Canary accepts, plus SMI v1alpha4; the operator reports those it cannot drive yet. */
export const PROVIDER_NAMES = [
  'alb',
  'ambassador',
  'apisix',
  'appmesh',
  'appmesh:v1beta2',
  'contour',
  'emissary',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'gloo',
  'istio',
  'knative',
  'kubernetes',
  'kuma',
  'linkerd',
  'nginx',
  'osm',
  'skipper',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'smi:v1alpha4',
  'traefik',
] as const;

export const WEBHOOK_TYPES = [
  '',
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-promotion',
  'post-rollout',
  'event',
  'rollback',
  'confirm-traffic-increase',
] as const;

const httpMatch = (): Schema =>
  obj(
    {
      name: str(),
      uri: stringMatch(),
      scheme: stringMatch(),
      method: stringMatch(),
      authority: stringMatch(),
      headers: mapOf(stringMatch()),
      queryParams: mapOf(stringMatch()),
      withoutHeaders: mapOf(stringMatch()),
      ignoreUriCase: bool(),
      port: int(undefined, { minimum: 1, maximum: 65535 }),
      sourceLabels: stringMap(),
      sourceNamespace: str(),
      gateways: arrayOf(str()),
    },
    { description: 'Istio HTTPMatchRequest', open: true },
  );

const headerOps = (): Schema => obj({ add: stringMap(), set: stringMap(), remove: arrayOf(str()) });

const gatewayRef = (): Schema =>
  obj(
    {
      group: str(),
      kind: str(),
      name: str(undefined, { minLength: 1 }),
      namespace: str(),
      sectionName: str(),
      port: int(undefined, { minimum: 1, maximum: 65535 }),
    },
    { required: ['name'] },
  );

const service = (): Schema =>
  obj(
    {
      name: str('Name of the apex Service; defaults to the target name'),
      port: int('Port of the generated Services', { minimum: 1, maximum: 65535 }),
      portName: str('Port name of the generated Services (a DNS label), http by default', {
        maxLength: 63,
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      }),
      targetPort: { 'x-kubernetes-int-or-string': true, description: 'Container port number or name; defaults to port' },
      appProtocol: str(
        'Application protocol of the main port, as Service ports take it (a qualified name such as http or kubernetes.io/h2c)',
        {
          maxLength: 316,
          pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
        },
      ),
      trafficDistribution: str(undefined, { enum: ['PreferClose', 'PreferSameZone', 'PreferSameNode'] }),
      portDiscovery: bool('Also expose every other container port'),
      headless: bool(),
      timeout: str('Request timeout, e.g. 30s'),
      backendTimeout: str('Backend request timeout (Gateway API)'),
      meshName: str('App Mesh mesh name'),
      backends: arrayOf(str(), 'App Mesh backends'),
      hosts: arrayOf(str(), 'Hosts of the generated route'),
      gateways: arrayOf(str(), 'Istio gateways; mesh by default'),
      gatewayRefs: arrayOf(gatewayRef(), 'Gateway API parentRefs', { maxItems: 32 }),
      mappings: arrayOf(
        str(undefined, { minLength: 1, maxLength: 246, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' }),
        'Emissary Mappings (getambassador.io/v3alpha1) in the Canary namespace to clone as <mapping>-canary; the one named like the apex Service by default',
        { minItems: 1, maxItems: 16, 'x-kubernetes-list-type': 'set' },
      ),
      delegation: bool('Generate an Istio delegate VirtualService'),
      match: arrayOf(httpMatch(), 'Match conditions copied into every route'),
      rewrite: obj({ uri: str(), authority: str(), type: str() }),
      retries: obj({ attempts: int(), perTryTimeout: str(), retryOn: str() }, { open: true }),
      headers: obj({ request: headerOps(), response: headerOps() }),
      mirror: arrayOf(
        obj(
          { backendRef: obj({ group: str(), kind: str(), name: str(), namespace: str(), port: int() }, { required: ['name'] }) },
          { required: ['backendRef'] },
        ),
      ),
      corsPolicy: obj(
        {
          allowOrigin: arrayOf(str()),
          allowOrigins: arrayOf(stringMatch()),
          allowMethods: arrayOf(str()),
          allowHeaders: arrayOf(str()),
          exposeHeaders: arrayOf(str()),
          maxAge: str(),
          allowCredentials: bool(),
        },
        { open: true },
      ),
      trafficPolicy: obj(
        {
          tls: obj({}, { open: true }),
          loadBalancer: obj({}, { open: true }),
          connectionPool: obj({}, { open: true }),
          outlierDetection: obj({}, { open: true }),
        },
        { description: 'Istio DestinationRule trafficPolicy, applied to the primary and canary', open: true },
      ),
      apex: metadataOverlay('Labels and annotations of the apex Service'),
      primary: metadataOverlay('Labels and annotations of the primary Service'),
      canary: metadataOverlay('Labels and annotations of the canary Service'),
      unmanagedMetadata: obj({ labels: arrayOf(str()), annotations: arrayOf(str()) }),
    },
    { description: 'The Services and routes generated for the target', required: ['port'] },
  );

const metric = (): Schema =>
  withRules(
    obj(
      {
        name: str('Name; request-success-rate and request-duration are built in', { minLength: 1 }),
        interval: duration('Query window, 1m by default'),
        threshold: num('Deprecated: minimum for request-success-rate, maximum otherwise'),
        thresholdRange: withRules(obj({ min: num(), max: num() }), THRESHOLD_RANGE_RULES),
        onNoData: str(
          'What a query without data means: fail (a failed check, default), halt (hold the step, count nothing) or ignore (skip the metric)',
          { enum: ['fail', 'halt', 'ignore'] },
        ),
        dryRun: bool('Measure and report the metric (status, metrics, Events) without ever counting it as a failed check'),
        query: str('Deprecated inline Prometheus query'),
        templateRef: obj({ name: str(undefined, { minLength: 1 }), namespace: str() }, { required: ['name'] }),
        templateVariables: stringMap('Values for {{ variables.<key> }} in the template query'),
      },
      { required: ['name'] },
    ),
    METRIC_RULES,
  );

/** Bound on analysis.judge.metrics, for the cost of the CEL rule that keeps their names unique. */
const MAX_JUDGE_METRICS = 20;

const judgeMetric = (): Schema =>
  withRules(
    obj(
      {
        name: str('Name of the metric in the judgement', { minLength: 1, maxLength: 63 }),
        query: str('Prometheus query; {{ target }} is the workload measured: the target for the canary, <target>-primary for the primary'),
        templateRef: obj(
          { name: str(undefined, { minLength: 1 }), namespace: str() },
          { required: ['name'], description: 'A prometheus MetricTemplate' },
        ),
        templateVariables: stringMap('Values for {{ variables.<key> }} in the template query'),
        interval: duration('Window of the range query, 2m by default', true),
        step: duration('Resolution of the range query: one sample per step and series, 10s by default', true),
        direction: str('Which change is bad: increase (default), decrease or either', { enum: ['increase', 'decrease', 'either'] }),
        effectSize: num("Tolerated ratio of the canary's median to the primary's, at least 1 (1.2 by default: 20% worse passes)", {
          minimum: 1,
        }),
        confidence: num('Confidence of the Mann-Whitney U test: a difference counts when p < 1 - confidence (0.95 by default)', {
          minimum: 0.5,
          maximum: 0.9999,
        }),
        minSamples: int('Fewer samples than this on either side is NoData (10 by default)', { minimum: 3, maximum: 10000 }),
      },
      { required: ['name'] },
    ),
    JUDGE_METRIC_RULES,
  );

const judge = (): Schema =>
  withRules(
    obj(
      {
        pass: num('Least score (percent of classified metrics that pass) that passes the step (95 by default)', {
          minimum: 0,
          maximum: 100,
        }),
        marginal: num('Least score that holds the step instead of failing it (75 by default)', { minimum: 0, maximum: 100 }),
        onNoData: str('What no metric with enough data means: fail (a failed check, default), halt (hold the step) or ignore', {
          enum: ['fail', 'halt', 'ignore'],
        }),
        metrics: arrayOf(judgeMetric(), 'Metrics compared between the canary and the primary', {
          minItems: 1,
          maxItems: MAX_JUDGE_METRICS,
        }),
      },
      {
        required: ['metrics'],
        description: "Statistical judge: each metric's canary samples against the primary's (Mann-Whitney U), scored as Kayenta does",
      },
    ),
    JUDGE_RULES,
  );

const sloScopeMatcher = (): Schema =>
  obj(
    {
      label: str('Label name', { pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', maxLength: 128 }),
      value: str(
        "Value; {{ target }} is the workload measured (the target for the canary, <target>-primary for the primary), {{ namespace }} the Canary's",
        {
          maxLength: 253,
        },
      ),
      op: str('= (default) or =~ (the filled-in values are regex-quoted)', { enum: ['=', '=~'] }),
    },
    { required: ['label', 'value'] },
  );

const slo = (): Schema =>
  withRules(
    obj(
      {
        ref: obj(
          {
            kind: str('PrometheusServiceLevel (Sloth), ServiceLevelObjective (Pyrra) or OpenSLO (a ConfigMap key)', {
              enum: ['PrometheusServiceLevel', 'ServiceLevelObjective', 'OpenSLO'],
            }),
            name: str("Name of the object (OpenSLO: the ConfigMap), in the Canary's namespace", { minLength: 1, maxLength: 253 }),
            sloName: str('Sloth: which of spec.slos; OpenSLO: metadata.name of the SLO document', { maxLength: 253 }),
            configMapKey: str('OpenSLO: the ConfigMap key holding the YAML', { maxLength: 253 }),
          },
          { required: ['kind', 'name'], description: 'The SLO definition' },
        ),
        scope: arrayOf(sloScopeMatcher(), 'Label matchers added to every series selector of the SLI queries', { minItems: 1, maxItems: 8 }),
        pageBurnRate: num("Page burn rate; by default the SLO's own (Sloth: 14.4 for 30 days; Pyrra: 14)", { minimum: 1 }),
        minChecks: int('Analysis intervals of traffic the long window must span before the gate can fail (2 by default)', {
          minimum: 1,
          maximum: 100,
        }),
        maxBudgetConsumedPercent: num('Most of the remaining error budget, in percent, the canary may consume', {
          minimum: 0,
          maximum: 100,
        }),
        onNoData: str('What a window without events means: fail (default), halt (hold the step) or ignore', {
          enum: ['fail', 'halt', 'ignore'],
        }),
      },
      {
        required: ['ref', 'scope'],
        description:
          "SLO burn-rate gate: the canary's burn rate of the team's SLO over two windows against the page threshold (docs/slo.md)",
      },
    ),
    SLO_RULES,
  );

const webhook = (): Schema =>
  withRules(
    obj(
      {
        name: str(undefined, { minLength: 1 }),
        type: str(undefined, { enum: [...WEBHOOK_TYPES] }),
        url: str(undefined, { minLength: 1 }),
        timeout: duration('Request timeout, 10s by default'),
        retries: int(undefined, { minimum: 0 }),
        disableTLS: bool(),
        muteAlert: bool(),
        metadata: stringMap(),
        secretRef: obj(
          { name: str(undefined, { minLength: 1 }) },
          {
            required: ['name'],
            description:
              'Secret in the Canary namespace: each key is sent as an HTTP header, except hmac-key, which signs the body (X-Tollgate-Signature)',
          },
        ),
      },
      { required: ['name', 'url'] },
    ),
    WEBHOOK_RULES,
  );

const sessionAffinity = (): Schema =>
  withRules(
    obj(
      {
        cookieName: str(undefined, { minLength: 1 }),
        primaryCookieName: str(),
        domain: str(),
        httpOnly: bool(),
        maxAge: int(undefined, { minimum: 0 }),
        partitioned: bool(),
        path: str(),
        secure: bool(),
        sameSite: str(undefined, { enum: ['Strict', 'Lax', 'None'] }),
      },
      { required: ['cookieName'] },
    ),
    SESSION_AFFINITY_RULES,
  );

const analysis = (): Schema =>
  withRules(
    obj(
      {
        interval: duration('Time between analysis steps, at least 1s (default 60s)', true),
        threshold: int('Failed checks before rollback (default 1)', { minimum: 1 }),
        maxWeight: weight('Highest canary weight before promotion (default 100)'),
        stepWeight: weight('Weight added at every step'),
        stepWeights: arrayOf(weight('step'), 'Ascending list of weights, used instead of stepWeight', { maxItems: MAX_STEPS }),
        steps: arrayOf(
          obj(
            {
              weight: weight('Canary weight of this step'),
              pause: duration('Least time at this weight, checks passing every interval (e.g. 5m)'),
            },
            { required: ['weight'] },
          ),
          'Ascending weights, each held at least its pause: used instead of stepWeight and stepWeights',
          { maxItems: MAX_STEPS },
        ),
        stepWeightPromotion: weight('Weight moved back to the primary per step during promotion (0: at once)'),
        iterations: int('Analysis steps of an A/B or blue/green run', { minimum: 0 }),
        mirror: bool(),
        mirrorWeight: weight('Share of traffic mirrored'),
        primaryReadyThreshold: weight('Percentage of primary pods that must be available'),
        canaryReadyThreshold: weight('Percentage of canary pods that must be available'),
        match: arrayOf(
          obj({ headers: mapOf(stringMatch()), queryParams: mapOf(stringMatch()), sourceLabels: stringMap() }, { open: true }),
          'A/B match conditions',
        ),
        sessionAffinity: sessionAffinity(),
        metrics: arrayOf(metric()),
        judge: judge(),
        slo: slo(),
        webhooks: arrayOf(webhook()),
        alerts: arrayOf(
          obj(
            {
              name: str(),
              severity: str(undefined, { enum: ['', 'info', 'warn', 'error'] }),
              providerRef: obj({ name: str(undefined, { minLength: 1 }), namespace: str() }, { required: ['name'] }),
            },
            { required: ['name', 'providerRef'] },
          ),
        ),
      },
      { description: 'How the release is analysed and how traffic moves' },
    ),
    ANALYSIS_RULES,
  );

/** The schema of a Canary's spec, CEL rules included; the operator evaluates the same rules (core/rules.ts). */
export const canarySpecSchema = (): Schema =>
  withRules(
    obj(
      {
        provider: str('Traffic provider; the operator default when empty', { enum: [...PROVIDER_NAMES] }),
        metricsServer: str('Prometheus address for built-in metrics'),
        targetRef: objectRef(['Deployment', 'DaemonSet', 'Service', 'StatefulSet'], 'The workload released'),
        autoscalerRef: obj(
          {
            apiVersion: str(),
            kind: str(undefined, { enum: ['HorizontalPodAutoscaler', 'ScaledObject'] }),
            name: str(undefined, { minLength: 1 }),
            primaryScalerQueries: stringMap(),
            primaryScalerReplicas: obj({ minReplicas: int(undefined, { minimum: 1 }), maxReplicas: int(undefined, { minimum: 1 }) }),
          },
          { required: ['kind', 'name'] },
        ),
        ingressRef: objectRef(['Ingress'], 'Ingress used by the nginx, skipper and alb providers'),
        routeRef: objectRef(['ApisixRoute'], 'APISIX route'),
        upstreamRef: objectRef(['Upstream'], 'Gloo upstream', true),
        service: service(),
        analysis: analysis(),
        canaryAnalysis: { ...analysis(), description: 'Deprecated alias of analysis' },
        progressDeadlineSeconds: int('Seconds a canary or primary may stay not ready before the run fails (default 600)', { minimum: 1 }),
        skipAnalysis: bool('Promote without analysis'),
        revertOnDeletion: bool('Restore the target and routes when the Canary is deleted'),
        suspend: bool('Pause every action on this Canary'),
      },
      { required: ['targetRef'] },
    ),
    SPEC_RULES,
  );

const metricJudgement = (): Schema =>
  obj({
    name: str(),
    classification: str(undefined, { enum: ['High', 'Low', 'Pass', 'NoData'] }),
    canaryMedian: num(),
    primaryMedian: num(),
    ratio: num("The canary's median over the primary's"),
    pValue: num(),
    canarySamples: int(),
    primarySamples: int(),
    message: str(),
  });

const judgement = (): Schema =>
  obj(
    {
      score: num(),
      verdict: str(undefined, { enum: ['Pass', 'Marginal', 'Fail', 'NoData'] }),
      pass: num(),
      marginal: num(),
      metrics: arrayOf(metricJudgement()),
    },
    { description: "The statistical judge's latest judgement" },
  );

const sloWindow = (): Schema => obj({ window: str(), errorRatio: num(), burnRate: num() });

const sloEvaluation = (): Schema =>
  obj(
    {
      source: str(),
      objective: num(),
      pageBurnRate: num(),
      thresholdFrom: str(),
      verdict: str(undefined, { enum: ['Pass', 'Burning', 'BudgetExceeded', 'TooEarly', 'NoData'] }),
      short: sloWindow(),
      long: sloWindow(),
      primaryBurnRate: num(),
      budgetConsumedPercent: num(),
      maxBudgetConsumedPercent: num(),
      message: str(),
    },
    { description: "The SLO gate's latest evaluation" },
  );

const checkResult = (): Schema =>
  obj({
    name: str(),
    ok: bool(),
    halt: bool(),
    dryRun: bool(),
    value: num(),
    min: num(),
    max: num(),
    reason: str(),
    message: str(),
  });

/**
 * Status; defaults to observedGeneration 0, so a Canary the operator has not acted on yet reads as in progress
 * (kstatus, kubectl wait, Flux health checks), never as Current.
 */
const status = (): Schema => ({
  default: { observedGeneration: 0 },
  ...obj({
    phase: str(undefined, { enum: [...PHASES] }),
    canaryWeight: weight('Weight routed to the canary'),
    effectiveWeight: weight(
      "Replica-ratio releases (provider kubernetes): the canary's share of the ready pods behind the apex Service, approximating canaryWeight",
    ),
    failedChecks: int(undefined, { minimum: 0 }),
    iterations: int(undefined, { minimum: 0 }),
    mirrored: bool(),
    lastAppliedSpec: str('Revision (pod template hash) of the target under analysis'),
    lastPromotedSpec: str('Revision last promoted to the primary'),
    trackedConfigs: stringMap(),
    lastTransitionTime: str(undefined, { format: 'date-time' }),
    lastAnalysisTime: str('When the last analysis step ran; the next is due one interval later', { format: 'date-time' }),
    runStartTime: str('When the current run started', { format: 'date-time' }),
    queuedSince: str('When the revision waiting in the release queue was first seen: the queue order', { format: 'date-time' }),
    stepStartTime: str('When the canary weight last changed', { format: 'date-time' }),
    handledRequests: stringMap('Value of each request annotation (tollgate.dev/retry, promote, abort) last acted upon'),
    observedGeneration: int(),
    lastChecks: arrayOf(checkResult(), 'Results of the latest analysis step'),
    lastJudgement: judgement(),
    promotedControllerRevision: str('StatefulSet targets: the ControllerRevision of the revision last promoted, which a rollback restores'),
    restoring: bool('StatefulSet targets: a rollback is putting the promoted revision back (its template, then its pods)'),
    lastSLO: sloEvaluation(),
    trafficStartTime: str("When the canary was first exposed in this run: the start of the SLO gate's long window", {
      format: 'date-time',
    }),
    sessionAffinityCookie: str(),
    previousSessionAffinityCookie: str(),
    primarySessionAffinityCookie: str(),
    conditions: conditions(),
  }),
});

const printerColumns: Schema[] = [
  { name: 'Status', type: 'string', jsonPath: '.status.phase' },
  { name: 'Weight', type: 'integer', jsonPath: '.status.canaryWeight' },
  { name: 'EffectiveWeight', type: 'integer', jsonPath: '.status.effectiveWeight', priority: 1 },
  { name: 'FailedChecks', type: 'integer', jsonPath: '.status.failedChecks' },
  { name: 'Revision', type: 'string', jsonPath: '.status.lastAppliedSpec' },
  { name: 'Provider', type: 'string', jsonPath: '.spec.provider', priority: 1 },
  { name: 'Interval', type: 'string', jsonPath: '.spec.analysis.interval', priority: 1 },
  { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
  { name: 'LastTransitionTime', type: 'date', jsonPath: '.status.lastTransitionTime', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

export const canaryCrd = (): Schema =>
  crd(
    { kind: 'Canary', plural: 'canaries', singular: 'canary', shortNames: ['cnry'] },
    withRules(rootSchema('A progressive release of one workload', canarySpecSchema(), status()), CANARY_RULES),
    printerColumns,
  );
