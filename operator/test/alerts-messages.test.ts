import { alertProviderCrd } from '../src/api/crd/alert-provider.js';
import type { Canary, CanaryStatus } from '../src/api/types.js';
import {
  ALERT_EVENTS,
  ALERT_KINDS,
  alertOf,
  alertText,
  failingMetricOf,
  metricText,
  renderText,
  TEMPLATE_PLACEHOLDERS,
  templateProblems,
  thresholdText,
} from '../src/alerts/messages.js';
import { severityAccepts, type Notification, type Severity } from '../src/alerts/notifier.js';
import { alertProviderProblems, validateAlertProvider } from '../src/alerts/validate.js';

const canary: Canary = {
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 9898 } },
};
const status: CanaryStatus = { phase: 'Failed', canaryWeight: 20, lastAppliedSpec: '7c9d5f6b8', failedChecks: 5 };

const n: Omit<Notification, 'fields'> = {
  canary: { name: 'podinfo', namespace: 'test' },
  severity: 'error',
  reason: 'RolledBack',
  message: 'Canary analysis failed, rolled back',
  phase: 'Failed',
  weight: 20,
  revision: '7c9d5f6b8',
  failingMetric: { name: 'request-duration', value: 612.4567, max: 500, reason: 'AboveMax' },
  cluster: 'prod-eu',
};

describe('default texts', () => {
  it('given every event kind, then it has a severity and a non-empty text without a context', () => {
    for (const kind of ALERT_KINDS) {
      const t = alertText(kind);
      expect(['info', 'warn', 'error']).toContain(t.severity);
      expect(t.reason).toBe(kind);
      expect(t.message.length).toBeGreaterThan(5);
      expect(t.message).not.toMatch(/undefined|  /);
    }
  });

  it.each<[keyof typeof ALERT_EVENTS, Severity, string]>([
    ['NewRevision', 'info', 'New revision detected, progressing canary analysis.'],
    ['Succeeded', 'info', 'Canary analysis completed successfully, promotion finished.'],
    ['AnalysisSkipped', 'info', 'Canary analysis was skipped, promotion finished.'],
    ['WaitingApproval', 'warn', 'Canary is waiting for approval (gate approve).'],
    ['WaitingPromotion', 'warn', 'Canary promotion is waiting for approval (gate approve).'],
    ['WaitingTrafficIncrease', 'warn', 'Canary traffic increase is waiting for approval (gate approve).'],
    ['ManualRollback', 'warn', 'Rolling back: manual rollback webhook approve invoked.'],
    ['HookFailed', 'warn', 'Webhook approve failed: connection refused'],
    ['TargetNotReady', 'warn', 'Deployment/podinfo is not ready: connection refused'],
    ['ProgressDeadlineExceeded', 'error', 'Progress deadline exceeded, rolling back: connection refused'],
    ['PromotionFailed', 'error', 'Promotion failed, primary not ready: connection refused'],
    ['TargetNotFound', 'error', 'Deployment/podinfo not found: connection refused'],
    ['RouterError', 'error', 'Traffic routing failed: connection refused'],
    ['InvalidSpec', 'error', 'Canary cannot be acted on: connection refused'],
  ])('given %s, then severity %s and the text %p', (kind, severity, message) => {
    expect(alertText(kind, { webhook: 'approve', target: 'Deployment/podinfo', detail: 'connection refused' })).toEqual({
      severity,
      reason: kind,
      message,
    });
  });

  it('given a rollback with the failing metric, then the text carries the count, the value and the bound', () => {
    expect(
      alertText('RolledBack', { failedChecks: 5, threshold: 5, metric: { name: 'request-success-rate', value: 97.51234, min: 99 } })
        .message,
    ).toBe('Canary analysis failed, rolled back (failed checks threshold reached 5/5): request-success-rate 97.512 < min 99');
    expect(alertText('RolledBack', { detail: 'rollback requested by webhook manual' }).message).toBe(
      'Canary analysis failed, rolled back: rollback requested by webhook manual',
    );
  });

  it('given a metric provider error, then the metric is named', () => {
    expect(alertText('MetricProviderError', { metric: { name: 'error-rate' }, detail: 'datadog answered 403' })).toEqual({
      severity: 'warn',
      reason: 'MetricProviderError',
      message: 'Metric provider error for error-rate: datadog answered 403',
    });
  });
});

describe('alertOf', () => {
  it('given a Canary and the status being written, then the notification carries its name, phase, weight, revision and metric', () => {
    const metric = { name: 'request-success-rate', value: 90, min: 99, reason: 'BelowMin' };
    expect(alertOf(canary, status, 'RolledBack', { failedChecks: 5, threshold: 5, metric })).toEqual({
      canary: { name: 'podinfo', namespace: 'test' },
      severity: 'error',
      reason: 'RolledBack',
      message: 'Canary analysis failed, rolled back (failed checks threshold reached 5/5): request-success-rate 90 < min 99',
      phase: 'Failed',
      weight: 20,
      revision: '7c9d5f6b8',
      failingMetric: metric,
    });
  });

  it('given no status yet, then phase and revision are empty and the weight 0', () => {
    expect(alertOf(canary, undefined, 'TargetNotFound', { target: 'Deployment/podinfo' })).toMatchObject({
      phase: '',
      weight: 0,
      revision: '',
    });
  });
});

describe('metrics in texts', () => {
  it('given the checks of a step, then the first counted failure is the failing metric', () => {
    expect(
      failingMetricOf([
        { name: 'a', ok: true, value: 1 },
        { name: 'b', ok: false, halt: true, reason: 'NoData' },
        { name: 'c', ok: false, value: 7, max: 5, reason: 'AboveMax', message: 'c 7 > 5' },
      ]),
    ).toEqual({ name: 'c', value: 7, max: 5, reason: 'AboveMax' });
    expect(failingMetricOf([{ name: 'a', ok: true }])).toBeUndefined();
    expect(failingMetricOf(undefined)).toBeUndefined();
  });

  it.each([
    [{ name: 'm', value: 97.5, min: 99 }, 'm 97.5 < min 99'],
    [{ name: 'm', value: 612, max: 500 }, 'm 612 > max 500'],
    [{ name: 'm', value: 100, min: 99, max: 101 }, 'm 100 (min 99, max 101)'],
    [{ name: 'm', reason: 'NoData', min: 99 }, 'm: no data (min 99)'],
    [{ name: 'smoke', reason: 'WebhookFailed' }, 'smoke: webhook failed'],
    [{ name: 'm', reason: 'ProviderError', max: 5 }, 'm: metric provider error (max 5)'],
    [{ name: 'm' }, 'm: not measured'],
  ])('given %p, then %p', (m, text) => {
    expect(metricText(m)).toBe(text);
  });

  it('given bounds, then the threshold reads min and max', () => {
    expect(thresholdText({ min: 99 })).toBe('min 99');
    expect(thresholdText({ max: 0.5 })).toBe('max 0.5');
    expect(thresholdText({})).toBe('');
  });
});

describe('templates', () => {
  it('given every placeholder, then each is filled in', () => {
    const t = TEMPLATE_PLACEHOLDERS.map((p) => `${p}={{ ${p} }}`).join(' ');
    expect(renderText(t, n)).toBe(
      'canary=podinfo namespace=test phase=Failed weight=20 revision=7c9d5f6b8 reason=RolledBack ' +
        'message=Canary analysis failed, rolled back metric=request-duration value=612.457 threshold=max 500 cluster=prod-eu',
    );
  });

  it('given Go template spellings, then {{.x}}, {{x}} and {{- x -}} are filled in too', () => {
    expect(renderText('{{.canary}}/{{namespace}}/{{- phase -}}', n)).toBe('podinfo/test/Failed');
  });

  it('given a notification without metric or cluster, then those placeholders are empty', () => {
    const { failingMetric: _m, cluster: _c, ...plain } = n;
    expect(renderText('[{{ cluster }}] {{ metric }}{{ value }}{{ threshold }}!', plain)).toBe('[] !');
  });

  it('given an escape function, then it applies to the values only', () => {
    const esc = (s: string): string => s.replace(/</g, '&lt;');
    expect(renderText('<!here> {{ message }}', { ...n, message: '<x>' }, esc)).toBe('<!here> &lt;x>');
  });

  it('given no template, then the message is the default text (escaped)', () => {
    expect(renderText(undefined, { ...n, message: 'a<b' }, (s) => s.replace('<', '&lt;'))).toBe('a&lt;b');
    expect(renderText('', n)).toBe(n.message);
  });

  it('given a template with problems, then sending never throws and uses the default text', () => {
    expect(renderText('{{ canary }} {{ nope }}', n)).toBe(n.message);
    expect(renderText('{{ canary', n)).toBe(n.message);
  });

  it('given a value holding a placeholder, then it is not expanded again', () => {
    expect(renderText('{{ message }}', { ...n, message: '{{ cluster }}' })).toBe('{{ cluster }}');
  });

  it.each([
    [
      '{{ canary }} {{ variables.x }}',
      [
        'unknown placeholder {{ variables.x }} (known: canary, namespace, phase, weight, revision, reason, message, metric, value, threshold, cluster)',
      ],
    ],
    [
      '{{ target }} {{ Canary }}',
      [
        'unknown placeholders {{ target }}, {{ Canary }} (known: canary, namespace, phase, weight, revision, reason, message, metric, value, threshold, cluster)',
      ],
    ],
    ['{{ canary', ['a "{{" or "}}" is not part of a {{ placeholder }}']],
    ['{{ canary | upper }}', ['a "{{" or "}}" is not part of a {{ placeholder }}']],
    ['{{ }}', ['a "{{" or "}}" is not part of a {{ placeholder }}']],
    ['plain text, no placeholder', []],
  ])('given the template %p, then the problems are %p', (t, problems) => {
    expect(templateProblems(t)).toEqual(problems);
  });

  it('given the CRD, then its template description lists exactly the known placeholders', () => {
    const crd = alertProviderCrd() as any;
    const description: string = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.template.description;
    const listed = [...description.matchAll(/\{\{ (\w+) \}\}/g)].map((m) => m[1]);
    expect(listed).toEqual([...TEMPLATE_PLACEHOLDERS]);
  });
});

describe('severityAccepts (Flagger)', () => {
  it.each<[string | undefined, Severity, boolean]>([
    ['info', 'info', true],
    ['info', 'warn', true],
    ['info', 'error', true],
    ['warn', 'info', false],
    ['warn', 'warn', true],
    ['warn', 'error', true],
    ['error', 'info', false],
    ['error', 'warn', false],
    ['error', 'error', true],
    ['', 'info', true],
    [undefined, 'info', true],
  ])('given an alert with severity %p and a %s notification, then accepted is %p', (alert, sev, ok) => {
    expect(severityAccepts(alert, sev)).toBe(ok);
  });
});

describe('validateAlertProvider', () => {
  it('given a complete provider, then there is nothing to report', () => {
    expect(
      validateAlertProvider({ type: 'slack', address: 'https://hooks.slack.com/services/T/B/X', template: '{{ canary }}: {{ message }}' }),
    ).toEqual([]);
    expect(validateAlertProvider({ type: 'discord', secretRef: { name: 'discord' } })).toEqual([]);
  });

  it('given an unknown type, no address and no secret, a bad proxy and a bad template, then each is reported, no value quoted', () => {
    const problems = validateAlertProvider({ type: 'pagerduty', proxy: 'socks5://user:pw@proxy:1080', template: '{{ oops }}' });
    expect(problems).toEqual([
      'spec.type "pagerduty" is not supported (supported: slack, msteams, discord, rocket, gchat, webhook)',
      'spec.address or spec.secretRef (a Secret with an address key) is required',
      'spec.proxy is not an http(s) URL',
      'spec.template: unknown placeholder {{ oops }} (known: canary, namespace, phase, weight, revision, reason, message, metric, value, threshold, cluster); alerts use the default text',
    ]);
    expect(problems.join(' ')).not.toContain('pw');
  });

  it('given an address that is no URL, then it is reported without being quoted', () => {
    expect(validateAlertProvider({ type: 'gchat', address: 'chat.googleapis.com/v1/spaces/S/messages?key=K' })).toEqual([
      'spec.address is not an http(s) URL',
    ]);
  });

  it('given only template problems, then they do not block delivery', () => {
    expect(alertProviderProblems({ type: 'webhook', address: 'http://x', template: '{{ nope }}' }).blocking).toEqual([]);
  });
});
