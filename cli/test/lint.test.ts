import { exampleSpec, RULE_EXAMPLES } from '@tollgate/operator/api/crd/rule-examples';
import { ALL_RULES } from '@tollgate/operator/api/crd/rules';
import type { CanaryAnalysis, CanarySpec } from '@tollgate/operator/api/types';
import { stringify } from 'yaml';
import { lintText, type Finding, type LintOptions } from '../src/lint/lint.js';
import { parseDocuments } from '../src/lint/source.js';

/** As the operator runs by default: its routers, its target kinds, its built-in metric providers. */
const OPTIONS: LintOptions = {
  defaultProvider: 'istio',
  caps: {
    providers: new Set(['istio', 'kubernetes', 'linkerd', 'gatewayapi:v1', 'knative']),
    targetKinds: new Set(['Deployment', 'DaemonSet', 'Service.serving.knative.dev']),
    builtinMetricProviders: new Set(['istio', 'kubernetes', 'linkerd', 'knative']),
  },
};

/** The Canary of the e2e tests (RULE_EXAMPLE_BASE), with changes; undefined removes a field. */
function canary(name: string, analysis: Partial<CanaryAnalysis> = {}, spec: Partial<CanarySpec> = {}): Record<string, unknown> {
  return {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: 'test' },
    spec: exampleSpec({ analysis, spec }),
  };
}

const lint = (text: string, o: LintOptions = OPTIONS): Finding[] => lintText('c.yaml', text, o).findings;
const errors = (text: string, o?: LintOptions): string[] =>
  lint(text, o)
    .filter((f) => f.severity === 'error')
    .map((f) => f.message);
const NOT_CHECKED =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/**
 * What kube-apiserver v1.36.2 answers when each RULE_EXAMPLES Canary is created (e2e/test/validation.e2e.test.ts
 * checks it contains the rule's message), after `The Canary "rule-N" is invalid: `. Recorded from the server.
 */
const SERVER_RULE_MESSAGES = [
  'spec.analysis: Invalid value: stepWeight must not exceed maxWeight',
  'spec.analysis: Invalid value: stepWeights must be strictly ascending',
  'spec.analysis: Invalid value: stepWeights must be strictly ascending',
  'spec.analysis: Invalid value: steps must have strictly ascending weights',
  'spec.analysis: Invalid value: stepWeight, stepWeights and steps are mutually exclusive: set one',
  'spec.analysis: Invalid value: stepWeight, stepWeights and steps are mutually exclusive: set one',
  'spec.analysis: Invalid value: iterations (blue/green or A/B testing) cannot be combined with stepWeight, stepWeights or steps',
  'spec.analysis: Invalid value: match (A/B testing) needs iterations',
  'spec.analysis: Invalid value: mirror cannot be combined with match (A/B testing)',
  'spec.analysis.sessionAffinity: Invalid value: primaryCookieName must differ from cookieName',
  'spec.analysis.metrics[0]: Invalid value: a metric other than request-success-rate and request-duration needs templateRef or query',
  'spec.analysis.metrics[0].thresholdRange: Invalid value: thresholdRange min must not exceed max',
  'spec.analysis.judge: Invalid value: judge marginal must not exceed pass (defaults: marginal 75, pass 95)',
  'spec.analysis.judge: Invalid value: judge metric names must be unique',
  'spec.analysis.judge.metrics[0]: Invalid value: a judge metric needs query or templateRef',
  'spec.analysis.judge.metrics[0]: Invalid value: judge metric confidence must be at least 0.5',
  'spec.analysis.slo: Invalid value: slo.ref.configMapKey is needed for kind OpenSLO and only for it',
  'spec.analysis.slo: Invalid value: slo.ref.configMapKey is needed for kind OpenSLO and only for it',
  'spec.analysis.webhooks[0]: Invalid value: url must start with http:// or https://',
  'spec.analysis.webhooks[0]: Invalid value: url must start with http:// or https://',
  'spec: Invalid value: analysis and its deprecated alias canaryAnalysis are mutually exclusive',
  'spec: Invalid value: analysis.match is not possible with this provider: use istio, linkerd, gatewayapi:v1, gatewayapi:v1beta1, appmesh, appmesh:v1beta2, nginx, contour, gloo, kuma, alb, emissary or ambassador',
  'spec: Invalid value: analysis.mirror is not possible with this provider: use istio, gatewayapi:v1, gatewayapi:v1beta1, kuma, emissary or ambassador',
  'spec: Invalid value: analysis.sessionAffinity is not possible with this provider: use istio, gatewayapi:v1 or gatewayapi:v1beta1',
  'spec: Invalid value: autoscalerRef cannot apply to a DaemonSet target',
  'spec: Invalid value: autoscalerRef.apiVersion must be keda.sh/v1alpha1 for a ScaledObject and autoscaling/<version> for a HorizontalPodAutoscaler',
  'spec: Invalid value: targetRef.apiVersion must be apps/v1 for a Deployment, DaemonSet or StatefulSet',
  'spec: Invalid value: provider knative releases a Knative Service: targetRef must be apiVersion serving.knative.dev/v1, kind Service',
  'spec: Invalid value: a Knative Service target (serving.knative.dev) needs provider: knative',
  'spec: Invalid value: service is required (at least service.port), except with provider knative',
];

describe("tollgate lint: the CRD e2e tests' invalid examples", () => {
  it('has one recorded server message per example', () => {
    expect(SERVER_RULE_MESSAGES).toHaveLength(RULE_EXAMPLES.length);
  });

  it.each(RULE_EXAMPLES.map((ex, i) => [ex.title, ex, i] as const))(
    "given %s, then the API server's message, with the rule's message",
    (_t, ex, i) => {
      const text = stringify(canary(`rule-${i}`, ex.analysis, ex.spec));
      const found = errors(text);
      expect(found).toEqual([SERVER_RULE_MESSAGES[i]]);
      expect(found[0]).toContain(ALL_RULES.find((r) => r.id === ex.id)!.message);
    },
  );

  // e2e/test/validation.e2e.test.ts 'invalid Canaries', with kube-apiserver v1.36.2's messages.
  const DURATION_1S = "'^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))*[0-9]*[1-9][0-9]*(\\.[0-9]+)?(h|m|s)([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))*$'";
  it.each([
    [
      'a weight of 150',
      { maxWeight: 150 },
      'spec.analysis.maxWeight: Invalid value: 150: spec.analysis.maxWeight in body should be less than or equal to 100',
    ],
    [
      'a step weight below 0',
      { stepWeight: -5 },
      'spec.analysis.stepWeight: Invalid value: -5: spec.analysis.stepWeight in body should be greater than or equal to 0',
    ],
    [
      'a threshold of 0',
      { threshold: 0 },
      'spec.analysis.threshold: Invalid value: 0: spec.analysis.threshold in body should be greater than or equal to 1',
    ],
    [
      'an interval under one second',
      { interval: '500ms' },
      `spec.analysis.interval: Invalid value: "500ms": spec.analysis.interval in body should match ${DURATION_1S}`,
    ],
    [
      'an interval that is not a duration',
      { interval: 'often' },
      `spec.analysis.interval: Invalid value: "often": spec.analysis.interval in body should match ${DURATION_1S}`,
    ],
  ])("given %s, then the API server's message", (_t, analysis, message) => {
    expect(errors(stringify(canary('bad', analysis)))).toEqual([message]);
  });

  it("given a provider that does not exist, then the API server's message, and the rules unchecked as it says", () => {
    expect(errors(stringify(canary('bad', {}, { provider: 'haproxy' as CanarySpec['provider'] })))).toEqual([
      'spec.provider: Unsupported value: "haproxy": supported values: "alb", "ambassador", "apisix", "appmesh", "appmesh:v1beta2", "contour", "emissary", "gatewayapi:v1", "gatewayapi:v1beta1", "gloo", "istio", "knative", "kubernetes", "kuma", "linkerd", "nginx", "osm", "skipper", "smi:v1alpha1", "smi:v1alpha2", "smi:v1alpha3", "smi:v1alpha4", "traefik"',
      NOT_CHECKED,
    ]);
  });
});

/** A Canary as YAML text, with lines to add under spec.analysis or spec. */
const manifest = (o: { analysis?: string; spec?: string; metadata?: string } = {}): string => `apiVersion: tollgate.dev/v1beta1
kind: Canary
metadata:
${o.metadata ?? '  name: podinfo\n  namespace: test'}
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  service: {port: 9898}
${o.spec ?? ''}  analysis:
    interval: 3s
    threshold: 2
    stepWeight: 20
    maxWeight: 60
${o.analysis ?? ''}`;

describe('tollgate lint: the schema, as kube-apiserver v1.36.2 words it', () => {
  it('given a valid Canary, then nothing', () => {
    expect(lint(manifest())).toEqual([]);
  });

  it.each([
    [
      'a string for an integer',
      '  progressDeadlineSeconds: "x"\n',
      [
        'spec.progressDeadlineSeconds: Invalid value: "string": spec.progressDeadlineSeconds in body must be of type integer: "string"',
        NOT_CHECKED,
      ],
    ],
    [
      'a port name too long',
      `  service: {port: 9898, portName: ${'a'.repeat(70)}}\n`,
      ['spec.service.portName: Too long: may not be more than 63 bytes', NOT_CHECKED],
    ],
    [
      'a boolean for an int-or-string',
      '  service: {port: 9898, targetPort: true}\n',
      [
        'spec.service.targetPort: Invalid value: "boolean": spec.service.targetPort in body must be of type integer,string: "boolean"',
        NOT_CHECKED,
      ],
    ],
    [
      'an empty target name',
      '  targetRef: {kind: Deployment, name: ""}\n',
      ['spec.targetRef.name: Invalid value: "": spec.targetRef.name in body should be at least 1 chars long'],
    ],
  ])('given %s, then its message', (_t, spec, expected) => {
    // The later key wins in the API server; here the spec lines replace the manifest's own.
    const text = manifest().replace(/^ {2}(targetRef|service):.*\n/gm, (line) =>
      spec.startsWith(line.slice(0, line.indexOf(':') + 1)) ? '' : line,
    );
    expect(errors(text.replace('  analysis:\n', `${spec}  analysis:\n`))).toEqual(expected);
  });

  it('given more than 100 stepWeights, then Too many, and the rules unchecked', () => {
    const weights = `[${Array.from({ length: 101 }, () => 1).join(', ')}]`;
    expect(errors(manifest().replace('    stepWeight: 20\n', `    stepWeights: ${weights}\n`))).toEqual([
      'spec.analysis.stepWeights: Too many: 101: must have at most 100 items',
      NOT_CHECKED,
    ]);
  });

  it('given a string match with two kinds, then Too many ... 1 item (map keys as fields)', () => {
    expect(
      errors(
        manifest({ analysis: '    iterations: 5\n    match: [{headers: {x: {exact: a, prefix: b}}}]\n' }).replace(
          '    stepWeight: 20\n',
          '',
        ),
      ),
    ).toEqual(['spec.analysis.match[0].headers.x: Too many: 2: must have at most 1 item', NOT_CHECKED]);
  });

  it('given a string match with two kinds and a bad value inside, then Too many alone, as the API server reports it', () => {
    expect(
      errors(
        manifest({ analysis: '    iterations: 5\n    match: [{headers: {x: {exact: 1, prefix: b}}}]\n' }).replace(
          '    stepWeight: 20\n',
          '',
        ),
      ),
    ).toEqual(['spec.analysis.match[0].headers.x: Too many: 2: must have at most 1 item', NOT_CHECKED]);
  });

  it('given a string match with one kind and an unknown field, then the unknown field only (pruned before maxProperties)', () => {
    expect(
      errors(
        manifest({ analysis: '    iterations: 5\n    match: [{headers: {x: {exact: a, bogus: b}}}]\n' }).replace(
          '    stepWeight: 20\n',
          '',
        ),
      ),
    ).toEqual(['unknown field "spec.analysis.match[0].headers.x.bogus"']);
  });

  it('given a null list item, then refused as the API server refuses it (the items are not nullable)', () => {
    expect(errors(manifest().replace('    stepWeight: 20\n', '    stepWeights: [10, ~]\n'))).toEqual([
      'spec.analysis.stepWeights[1]: Invalid value: "null": spec.analysis.stepWeights[1] in body must be of type integer: "null"',
      NOT_CHECKED,
    ]);
  });

  it('given a whole number past the int64 range, then a number, not an integer', () => {
    expect(errors(manifest({ spec: '  progressDeadlineSeconds: 1e20\n' }))).toEqual([
      'spec.progressDeadlineSeconds: Invalid value: "number": spec.progressDeadlineSeconds in body must be of type integer: "number"',
      NOT_CHECKED,
    ]);
    expect(errors(manifest({ spec: '  progressDeadlineSeconds: 1e18\n' }))).toEqual([]);
  });

  it('given fields the schema does not declare, then each reported as kubectl --validate=strict does', () => {
    expect(errors(manifest({ analysis: '    foo: 1\n    bar: {x: 1}\n' }))).toEqual([
      'unknown field "spec.analysis.foo"',
      'unknown field "spec.analysis.bar"',
    ]);
  });

  it('given unknown fields under x-kubernetes-preserve-unknown-fields, then nothing', () => {
    expect(
      lint(
        manifest({ spec: '  service: {port: 9898, trafficPolicy: {tls: {mode: ISTIO_MUTUAL, anything: 1}}}\n' }).replace(
          '  service: {port: 9898}\n',
          '',
        ),
      ),
    ).toEqual([]);
  });

  it('given a missing required field, then Required value, and the rules unchecked', () => {
    expect(errors(manifest().replace('  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n', ''))).toEqual([
      'spec.targetRef: Required value',
      NOT_CHECKED,
    ]);
  });

  it('given null values, then they are pruned as the API server prunes them', () => {
    expect(errors(manifest({ analysis: '    mirror: null\n' }))).toEqual([]);
    expect(errors(manifest().replace('  service: {port: 9898}', '  service: null'))).toEqual([
      'spec: Invalid value: service is required (at least service.port), except with provider knative',
    ]);
  });

  it('given YAML 1.1 scalars, then read as kubectl reads them (y is a boolean)', () => {
    expect(errors(manifest({ analysis: '    webhooks: [{name: y, url: "http://x"}]\n' }))).toEqual([
      'spec.analysis.webhooks[0].name: Invalid value: "boolean": spec.analysis.webhooks[0].name in body must be of type string: "boolean"',
      NOT_CHECKED,
    ]);
  });

  it("given a bad or missing name, then the API server's metadata messages", () => {
    expect(errors(manifest({ metadata: '  name: Bad_Name' }))).toEqual([
      "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(errors(manifest({ metadata: '  labels: {a: b}' }))).toEqual([
      'metadata.name: Required value: name or generateName is required',
      NOT_CHECKED,
    ]);
    expect(errors(manifest({ metadata: '  generateName: podinfo-' }))).toEqual([]);
  });

  it('given a MetricTemplate and an AlertProvider, then their schemas (no CEL rules: no note about them)', () => {
    const text = `apiVersion: tollgate.dev/v1beta1
kind: MetricTemplate
metadata: {name: mt}
spec: {provider: {type: foo}, query: ""}
---
apiVersion: tollgate.dev/v1beta1
kind: AlertProvider
metadata: {name: ap}
spec: {type: slack, template: ${'x'.repeat(4001)}, secretRef: {}}
`;
    expect(errors(text)).toEqual([
      'spec.provider.type: Unsupported value: "foo": supported values: "prometheus", "influxdb", "datadog", "externalmetrics", "stackdriver", "cloudwatch", "newrelic", "graphite", "dynatrace", "keptn", "splunk", "web"',
      'spec.query: Invalid value: "": spec.query in body should be at least 1 chars long',
      'spec.template: Too long: may not be more than 4000 bytes',
      'spec.secretRef.name: Required value',
    ]);
  });

  it("given another version of the group, then kubectl's no-match message", () => {
    expect(errors(manifest().replace('tollgate.dev/v1beta1', 'tollgate.dev/v1'))).toEqual([
      'no matches for kind "Canary" in version "tollgate.dev/v1": use tollgate.dev/v1beta1',
    ]);
  });

  it('given status, then it is not checked (the API server drops it on create)', () => {
    expect(errors(`${manifest()}status: {phase: Nonsense}\n`)).toEqual([]);
  });
});

describe("tollgate lint: the operator's validation (validateCanary)", () => {
  it('given a provider the operator cannot drive, then its unsupported message as an error', () => {
    expect(errors(manifest().replace('provider: istio', 'provider: contour'))).toEqual([
      'provider contour is not supported yet (supported: istio, kubernetes, linkerd, gatewayapi:v1, knative)',
    ]);
  });

  it("given no provider, then the CEL rules as the API server runs them, and the operator's with the mesh provider in effect", () => {
    const text = manifest({ analysis: '    iterations: 5\n    match: [{headers: {x: {exact: a}}}]\n' })
      .replace('    stepWeight: 20\n', '')
      .replace('  provider: istio\n', '');
    expect(errors(text)).toEqual([]);
    expect(errors(text, { ...OPTIONS, defaultProvider: 'kubernetes' })).toEqual([
      'spec: analysis.match is not possible with this provider: use istio, linkerd, gatewayapi:v1, gatewayapi:v1beta1, appmesh, appmesh:v1beta2, nginx, contour, gloo, kuma, alb, emissary or ambassador',
    ]);
  });

  it('given a notice, then a warning, not an error', () => {
    const found = lint(manifest({ analysis: '    mirrorWeight: 10\n' }));
    expect(found).toMatchObject([
      {
        severity: 'warning',
        stage: 'operator',
        line: 15,
        column: 5,
        message: 'spec.analysis.mirrorWeight has no effect without mirror: true',
      },
    ]);
  });

  it("given a metric without a built-in query for the provider, then the operator's message on that metric", () => {
    const text = manifest({ analysis: '    metrics:\n      - name: request-success-rate\n        thresholdRange: {min: 99}\n' }).replace(
      'provider: istio',
      'provider: gatewayapi:v1',
    );
    expect(lint(text)).toMatchObject([
      {
        line: 16,
        column: 9,
        stage: 'operator',
        message: 'metric request-success-rate has no built-in query for provider gatewayapi:v1: give it a templateRef to a MetricTemplate',
      },
    ]);
  });

  it("given the deprecated canaryAnalysis alias, then the operator's findings at its fields, not at spec.analysis", () => {
    const found = lint(manifest({ analysis: '    mirrorWeight: 10\n' }).replace('  analysis:', '  canaryAnalysis:'));
    expect(found).toMatchObject([
      {
        severity: 'warning',
        line: 15,
        column: 5,
        path: 'spec.canaryAnalysis.mirrorWeight',
        message: 'spec.canaryAnalysis.mirrorWeight has no effect without mirror: true',
      },
    ]);
  });

  it('given two metrics of one name without a built-in query, then each at its own index', () => {
    const text = manifest({
      analysis:
        '    metrics:\n      - name: request-duration\n        query: x\n      - name: request-duration\n        thresholdRange: {max: 9}\n',
    }).replace('provider: istio', 'provider: gatewayapi:v1');
    expect(lint(text).map((f) => `${f.line}:${f.column} ${f.path}`)).toEqual(['18:9 spec.analysis.metrics[1]']);
  });

  it('given a StatefulSet (released in place), then istio routes it by revision and linkerd is unsupported, named', () => {
    const inPlace: LintOptions = {
      ...OPTIONS,
      caps: { ...OPTIONS.caps, targetKinds: new Set(['Deployment', 'StatefulSet']), inPlaceKinds: new Set(['StatefulSet']) },
    };
    const text = manifest().replace('kind: Deployment', 'kind: StatefulSet');
    expect(errors(text, inPlace)).toEqual([]);
    expect(errors(text.replace('provider: istio', 'provider: linkerd'), inPlace)).toEqual([
      'targetRef.kind StatefulSet is released in place with provider kubernetes, or a provider that routes through the -primary and -canary Services (istio, gatewayapi:v1, gatewayapi:v1beta1), not provider linkerd',
    ]);
  });

  it('given a CEL rule broken, then it is reported once (the operator evaluates the same rule)', () => {
    expect(errors(manifest().replace('stepWeight: 20', 'stepWeight: 70'))).toEqual([
      'spec.analysis: Invalid value: stepWeight must not exceed maxWeight',
    ]);
  });
});

describe('tollgate lint: positions and documents', () => {
  it('given several documents, then each finding at the line and column of its field, other kinds skipped; a bound broken does not stop the rules', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo}
---
${manifest({ analysis: '    metrics:\n      - name: error-rate\n        thresholdRange: {max: 1}\n' }).replace('maxWeight: 60', 'maxWeight: 160')}`;
    const r = lintText('all.yaml', text, OPTIONS);
    expect(r).toMatchObject({ checked: 1, skipped: 1 });
    expect(r.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.document} ${f.stage} ${f.path}`)).toEqual([
      'all.yaml:18:5 1 schema spec.analysis.maxWeight',
      'all.yaml:20:9 1 cel spec.analysis.metrics[0]',
    ]);
    const cel = lintText('all.yaml', text.replace('maxWeight: 160', 'maxWeight: 60'), OPTIONS).findings;
    expect(cel.map((f) => `${f.line}:${f.column} ${f.stage} ${f.object} ${f.message}`)).toEqual([
      '20:9 cel Canary test/podinfo spec.analysis.metrics[0]: Invalid value: a metric other than request-success-rate and request-duration needs templateRef or query',
    ]);
  });

  it('given a List (kubectl get -o yaml), then each item, at its own lines', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n${manifest()
      .replace('maxWeight: 60', 'maxWeight: 160')
      .replace(/^/gm, '  ')
      .replace(/^ {2}apiVersion/, '- apiVersion')}`;
    const r = lintText('list.yaml', list, OPTIONS);
    expect(r).toMatchObject({ checked: 1, skipped: 0 });
    expect(r.findings.map((f) => `${f.line}:${f.column} ${f.path}`)).toEqual(['17:7 spec.analysis.maxWeight']);
  });

  it('given a missing field, then the position of its parent', () => {
    expect(lint(manifest().replace('  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n', ''))[0]).toMatchObject({
      line: 6,
      column: 1,
      path: 'spec.targetRef',
    });
  });

  it('given a YAML syntax error, then it, at its line, and the other documents still checked', () => {
    const r = lintText('bad.yaml', `a: [1, 2\n---\n${manifest().replace('maxWeight: 60', 'maxWeight: 160')}`, OPTIONS);
    expect(r.findings.map((f) => `${f.line} ${f.stage}`)).toEqual(['2 yaml', '16 schema']);
  });

  it('given a duplicate key, then a YAML error as kubectl gives one', () => {
    expect(lint('apiVersion: v1\napiVersion: v1\n')).toMatchObject([{ stage: 'yaml', line: 2 }]);
  });

  it('given an alias bomb, then an error, not a hang', () => {
    const bomb =
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    expect(parseDocuments(bomb)[0]!.errors.length).toBe(1);
  });
});
