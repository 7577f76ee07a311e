import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../src/api/types.js';
import { fromOpenSLO, fromPyrra, fromSloth, MAX_OPENSLO_BYTES, parsePromDuration, SloSourceError } from '../src/slo/sources.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OPENSLO_EXAMPLES = path.join(HERE, 'fixtures', 'openslo');

const sloth = (slos: unknown[]): KubeObject =>
  ({ metadata: { name: 'podinfo', namespace: 'test' }, spec: { service: 'podinfo', slos } }) as KubeObject;
const EVENTS = {
  errorQuery: 'sum(rate(http_requests_total{job="podinfo",code=~"5.."}[{{.window}}]))',
  totalQuery: 'sum(rate(http_requests_total{job="podinfo"}[{{ .window }}]))',
};

describe('fromSloth', () => {
  it('reads the objective and fills {{.window}} in both queries; page threshold 14.4 (30 days)', () => {
    const d = fromSloth(sloth([{ name: 'availability', objective: 99.9, sli: { events: EVENTS } }]));
    expect(d).toMatchObject({ source: 'PrometheusServiceLevel/podinfo/availability', pageBurnRate: 14.4, thresholdFrom: 'sloth' });
    expect(d.objective).toBeCloseTo(0.999, 12);
    expect(d.errorQuery('5m')).toBe('sum(rate(http_requests_total{job="podinfo",code=~"5.."}[5m]))');
    expect(d.totalQuery('90s')).toBe('sum(rate(http_requests_total{job="podinfo"}[90s]))');
  });

  it('picks the SLO by name among several', () => {
    const obj = sloth([
      { name: 'latency', objective: 99, sli: { events: EVENTS } },
      { name: 'availability', objective: 99.5, sli: { events: EVENTS } },
    ]);
    expect(fromSloth(obj, 'availability').objective).toBeCloseTo(0.995, 12);
    expect(() => fromSloth(obj)).toThrow(/has 2 SLOs: name one with slo.ref.sloName/);
    expect(() => fromSloth(obj, 'errors')).toThrow(/no SLO named "errors" \(it has: latency, availability\)/);
  });

  it.each<[string, unknown, string]>([
    ['a raw SLI', { name: 'a', objective: 99.9, sli: { raw: { errorRatioQuery: 'x' } } }, 'UnsupportedSLI'],
    ['a plugin SLI', { name: 'a', objective: 99.9, sli: { plugin: { id: 'x' } } }, 'UnsupportedSLI'],
    ['a query without {{.window}}', { name: 'a', objective: 99.9, sli: { events: { ...EVENTS, totalQuery: 'sum(x)' } } }, 'InvalidSLO'],
    ['an objective of 100', { name: 'a', objective: 100, sli: { events: EVENTS } }, 'InvalidSLO'],
  ])('refuses %s with a clear reason', (_t, slo, reason) => {
    expect(() => fromSloth(sloth([slo]))).toThrow(SloSourceError);
    try {
      fromSloth(sloth([slo]));
    } catch (err) {
      expect((err as SloSourceError).reason).toBe(reason);
    }
  });
});

describe('fromPyrra', () => {
  const pyrra = (spec: unknown): KubeObject => ({ metadata: { name: 'podinfo' }, spec }) as KubeObject;
  it('wraps the ratio metrics in sum(rate(...[window])); target is a percent string; page threshold 14', () => {
    const d = fromPyrra(
      pyrra({
        target: '99.5',
        window: '4w',
        indicator: {
          ratio: { errors: { metric: 'http_requests_total{job="a",code=~"5.."}' }, total: { metric: 'http_requests_total{job="a"}' } },
        },
      }),
    );
    expect(d).toMatchObject({
      source: 'ServiceLevelObjective/podinfo',
      pageBurnRate: 14,
      thresholdFrom: 'pyrra',
      periodMs: 28 * 86_400_000,
    });
    expect(d.objective).toBeCloseTo(0.995, 12);
    expect(d.errorQuery('1m')).toBe('sum(rate(http_requests_total{job="a",code=~"5.."}[1m]))');
  });

  it('a latency indicator: bad is total minus success', () => {
    const d = fromPyrra(
      pyrra({
        target: '99',
        window: '30d',
        indicator: { latency: { success: { metric: 'h_bucket{le="0.5"}' }, total: { metric: 'h_count' } } },
      }),
    );
    expect(d.errorQuery('5m')).toBe('(sum(rate(h_count[5m])) - sum(rate(h_bucket{le="0.5"}[5m])))');
  });

  it('refuses a bool gauge indicator and a target that is no percentage', () => {
    expect(() => fromPyrra(pyrra({ target: '99', indicator: { bool_gauge: { metric: 'up' } } }))).toThrow(
      /only a ratio or latency indicator/,
    );
    expect(() => fromPyrra(pyrra({ target: 'high', indicator: { ratio: { errors: { metric: 'a' }, total: { metric: 'b' } } } }))).toThrow(
      /objective high is not a percentage/,
    );
  });
});

const OPENSLO = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: podinfo
  indicator:
    metadata: { name: errors }
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource: { type: Prometheus, spec: { query: 'http_requests_total{code=~"5.."}' } }
        total:
          metricSource: { type: Prometheus, spec: { query: 'http_requests_total' } }
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good
      target: 0.999
`;

describe('fromOpenSLO', () => {
  it("reads an inline ratioMetric; bare selectors become sum(rate(...[window])); page threshold the Workbook's for its window", () => {
    const d = fromOpenSLO(OPENSLO, 'ConfigMap slos');
    expect(d).toMatchObject({ source: 'OpenSLO/slos/availability', pageBurnRate: 14.4, thresholdFrom: 'sre-workbook' });
    expect(d.objective).toBeCloseTo(0.999, 12);
    expect(d.errorQuery('10s')).toBe('sum(rate(http_requests_total{code=~"5.."}[10s]))');
  });

  it('good instead of bad, targetPercent, a 28-day window, a query with its own $window, among other documents', () => {
    const text = `kind: Service\napiVersion: openslo/v1\nmetadata: {name: x}\n---\n${OPENSLO.replace('bad:', 'good:')
      .replace('target: 0.999', 'targetPercent: 99.5')
      .replace('duration: 30d', 'duration: 4w')
      .replace("query: 'http_requests_total'", "query: 'sum(increase(http_requests_total[$window]))'")}`;
    const d = fromOpenSLO(text, 'ConfigMap slos', 'availability');
    expect(d.objective).toBeCloseTo(0.995, 12);
    expect(d.pageBurnRate).toBeCloseTo(13.44, 9);
    expect(d.totalQuery('1m')).toBe('sum(increase(http_requests_total[1m]))');
    expect(d.errorQuery('1m')).toBe('(sum(increase(http_requests_total[1m])) - sum(rate(http_requests_total{code=~"5.."}[1m])))');
  });

  it('refuses the upstream examples (threshold metrics of type Any): a clear UnsupportedSLI', () => {
    const example = fs.readFileSync(path.join(OPENSLO_EXAMPLES, 'occurences-slo.yaml'), 'utf8');
    expect(() => fromOpenSLO(example, 'ConfigMap slos')).toThrow(/search-slo: only an inline ratioMetric/);
  });

  it.each<[string, string, RegExp]>([
    ['not YAML', 'a: [', /not YAML/],
    ['no SLO document', 'kind: Service\napiVersion: openslo/v1', /0 openslo\/v1 SLOs/],
    ['more than the size cap', `# ${'x'.repeat(MAX_OPENSLO_BYTES)}\n${OPENSLO}`, /more than 262144 bytes/],
  ])('refuses %s', (_t, text, message) => {
    expect(() => fromOpenSLO(text, 'ConfigMap slos')).toThrow(message);
  });
});

describe('parsePromDuration', () => {
  it.each<[string, number]>([
    ['28d', 28 * 86_400_000],
    ['4w', 28 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['90s', 90_000],
  ])('%s', (text, ms) => expect(parsePromDuration(text)).toBe(ms));
  it('refuses 1.5d and 30 days', () => {
    expect(() => parsePromDuration('1.5d')).toThrow(SloSourceError);
    expect(() => parsePromDuration('30 days')).toThrow(SloSourceError);
  });
});
