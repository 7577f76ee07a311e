import { renderQuery, TemplateError, type QueryVars } from '../src/metrics/render.js';
import type { QueryLanguage } from '../src/metrics/query-language.js';
import { createMetricProvider } from '../src/metrics/factory.js';
import { providerCtx } from './fakes/outbound.js';

/** Security finding 9: a Canary's templateVariables are values in the query, never query syntax. */
const vars = (v: Record<string, string>): QueryVars => ({
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'podinfo',
  ingress: 'podinfo',
  route: 'podinfo',
  interval: '1m',
  variables: v,
});
const render = (template: string, v: string, language: QueryLanguage): string => renderQuery(template, vars({ v }), language);
const refusal = (template: string, v: string, language: QueryLanguage): string => {
  try {
    render(template, v, language);
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return (err as Error).message;
  }
  throw new Error('expected a TemplateError');
};

const INJECTION = '"} or vector(1) or {a="';

describe('PromQL: values are string-literal content', () => {
  it('given the injection "} or vector(1) or {a=" in a label value, then it stays inside the label value', () => {
    const q = render('sum(rate(http_requests_total{app="{{ variables.v }}"}[1m]))', INJECTION, 'promql');
    expect(q).toBe('sum(rate(http_requests_total{app="\\"} or vector(1) or {a=\\""}[1m]))');
    // Read back as PromQL would: one string literal from app=" to the closing quote, and the same structure after it.
    const literal = /app="((?:[^"\\]|\\.)*)"(.*)$/.exec(q)!;
    expect(JSON.parse(`"${literal[1]}"`)).toBe(INJECTION);
    expect(literal[2]).toBe('}[1m]))');
  });

  it.each<[string, string, string]>([
    ['backslash', 'a\\', 'up{a="a\\\\"}'],
    ['newline', 'a\nb', 'up{a="a\\nb"}'],
    ['CR and tab', '\r\t', 'up{a="\\r\\t"}'],
    ['single quote in a double-quoted string', "it's", 'up{a="it\'s"}'],
  ])('given a %s, then it is escaped', (_what, v, out) => {
    expect(render('up{a="{{ variables.v }}"}', v, 'promql')).toBe(out);
  });

  it('given a single-quoted string, then its quote is escaped', () => {
    expect(render("up{a='{{ variables.v }}'}", "'} or vector(1) or {a='", 'promql')).toBe("up{a='\\'} or vector(1) or {a=\\''}");
  });

  it('given a backtick (raw) string, then a value with a backtick is refused and a backslash is left as it is', () => {
    expect(refusal('up{a=`{{ variables.v }}`}', '`} or vector(1) or {a=`', 'promql')).toContain('cannot be written into a `-quoted string');
    expect(render('up{a=`{{ variables.v }}`}', 'a\\d', 'promql')).toBe('up{a=`a\\d`}');
  });

  it('given a value outside any string, then only a plain token is written; an expression is refused', () => {
    expect(render('rate(x[{{ variables.v }}])', '5m', 'promql')).toBe('rate(x[5m])');
    expect(render('x > {{ variables.v }}', '0.99', 'promql')).toBe('x > 0.99');
    expect(refusal('rate(x[{{ variables.v }}])', '5m]) or vector(1) or rate(x[5m', 'promql')).toBe(
      '{{ variables.v }}: the value "5m]) or vector(1) or rate(x[5m" may hold only letters, digits and _ . : - outside a quoted string of the query; put the placeholder inside quotes',
    );
  });

  it('given an escaped quote or a comment with a quote before the placeholder, then the string state is still right', () => {
    expect(render('up{a="x\\"{{ variables.v }}"}', INJECTION, 'promql')).toBe('up{a="x\\"\\"} or vector(1) or {a=\\""}');
    expect(render('# don\'t\nup{a="{{ variables.v }}"}', INJECTION, 'promql')).toBe('# don\'t\nup{a="\\"} or vector(1) or {a=\\""}');
  });

  it('given a control character other than newline, CR or tab, then it is refused', () => {
    expect(refusal('up{a="{{ variables.v }}"}', 'a\u0000b', 'promql')).toContain('cannot be written');
  });
});

describe('the other languages', () => {
  it('Flux: quotes and ${ interpolation are escaped', () => {
    expect(render('filter(fn: (r) => r.app == "{{ variables.v }}")', '" or true or "${x}', 'flux')).toBe(
      'filter(fn: (r) => r.app == "\\" or true or \\"\\${x}")',
    );
  });

  it('NRQL: a single quote is escaped', () => {
    expect(render("SELECT count(*) FROM Tx WHERE app = '{{ variables.v }}'", "x' OR 1=1 OR app='", 'nrql')).toBe(
      "SELECT count(*) FROM Tx WHERE app = 'x\\' OR 1=1 OR app=\\''",
    );
  });

  it('Datadog: tags are outside strings, so only plain tokens', () => {
    expect(render('sum:errors{service:{{ variables.v }}}', 'podinfo-v2', 'datadog')).toBe('sum:errors{service:podinfo-v2}');
    expect(refusal('sum:errors{service:{{ variables.v }}}', 'x},sum:other{*', 'datadog')).toContain('outside a quoted string');
  });

  it('JSON (CloudWatch): a value is JSON-escaped and the document keeps its shape', () => {
    const q = render('[{"Id":"e","Expression":"m1","Label":"{{ variables.v }}"}]', '"},{"Id":"x', 'json');
    expect(JSON.parse(q)).toEqual([{ Id: 'e', Expression: 'm1', Label: '"},{"Id":"x' }]);
  });

  it("CloudWatch: a value cannot end SEARCH's quoted search string and add metric math", () => {
    const template = '[{"Id":"e","Expression":"SEARCH(\'{AWS/ELB} MetricName=\\"{{ variables.v }}\\"\', \'Sum\', 60)"}]';
    expect(refusal(template, "x', 'Sum', 60) * 0 + 100 + SEARCH('y", 'json')).toContain('would end its string in the "Expression"');
    expect(refusal(template, 'x" OR MetricName="y', 'json')).toContain('would end its string');
    expect(refusal(template, 'x\\', 'json')).toContain('would end its string');
    expect(JSON.parse(render(template, 'Request Count', 'json'))).toEqual([
      { Id: 'e', Expression: "SEARCH('{AWS/ELB} MetricName=\"Request Count\"', 'Sum', 60)" },
    ]);
  });

  it('CloudWatch: among the search terms of SEARCH, only a plain token', () => {
    const template = '[{"Id":"e","Expression":"SEARCH(\'{{ variables.v }}\',\'Sum\',60)"}]';
    expect(refusal(template, "x', 'Sum', 60) * 0 + 100 + SEARCH('y", 'json')).toContain('among the search terms of SEARCH');
    expect(refusal(template, 'x OR MetricName=y', 'json')).toContain('among the search terms of SEARCH');
    expect(JSON.parse(render(template, 'podinfo-canary', 'json'))).toEqual([{ Id: 'e', Expression: "SEARCH('podinfo-canary','Sum',60)" }]);
  });

  it('CloudWatch: outside the strings of an "Expression" only a plain token; metric math is refused', () => {
    expect(refusal('[{"Id":"e","Expression":"m1 / {{ variables.v }}"}]', 'm1 * 0 + m2', 'json')).toContain(
      'outside a quoted string of an "Expression"',
    );
    expect(JSON.parse(render('[{"Id":"e","Expression":"m1 / {{ variables.v }}"}]', '100', 'json'))).toEqual([
      { Id: 'e', Expression: 'm1 / 100' },
    ]);
    expect(refusal('[{"Id":"e","Expression":"SEARCH(\'a\', \'Sum\', 60) / {{ variables.v }}"}]', 'm1 * 0 + m2', 'json')).toContain(
      'outside a quoted string',
    );
  });

  it('CloudWatch: in a Metrics Insights string a value may hold spaces but no quote', () => {
    const template =
      '[{"Id":"e","Expression":"SELECT SUM(RequestCount) FROM SCHEMA(\\"AWS/ApplicationELB\\", LoadBalancer) WHERE LoadBalancer = \'{{ variables.v }}\'"}]';
    expect(JSON.parse(render(template, 'app/my lb', 'json'))[0].Expression).toMatch(/= 'app\/my lb'$/);
    expect(refusal(template, "x' OR LoadBalancer = 'y", 'json')).toContain('would end its string');
  });

  it('CloudWatch: a value after a backslash in an "Expression" is refused (its meaning there is unknown)', () => {
    expect(refusal('[{"Id":"e","Expression":"SEARCH(\'a\\\\\' {{ variables.v }}\', \'Sum\', 60)"}]', 'x', 'json')).toContain(
      'cannot follow a backslash',
    );
  });

  it('web: a value in "path" is URL-encoded (no extra query parameter), elsewhere JSON-escaped', () => {
    const q = render(
      '{"path": "/api/slo?service={{ variables.v }}", "jsonPath": "$.v", "body": {"s": "{{ variables.v }}"}}',
      'a&admin=true"',
      'web',
    );
    const parsed = JSON.parse(q) as { path: string; body: { s: string } };
    expect(parsed.path).toBe('/api/slo?service=a%26admin%3Dtrue%22');
    expect([...new URL(parsed.path, 'http://x').searchParams.keys()]).toEqual(['service']);
    expect(parsed.body.s).toBe('a&admin=true"');
  });

  it('Graphite "target=...&from=..." form: a value cannot add a URL parameter', () => {
    const q = render("target=sumSeries(stats.'{{ variables.v }}'.*)&from=-5m", 'x&until=now', 'graphite');
    expect([...new URLSearchParams(q).keys()]).toEqual(['target', 'from']);
  });

  it('every provider declares its query language', () => {
    const expected: Record<string, QueryLanguage> = {
      prometheus: 'promql',
      datadog: 'datadog',
      newrelic: 'nrql',
      cloudwatch: 'json',
      stackdriver: 'mql',
      graphite: 'graphite',
      influxdb: 'flux',
      web: 'web',
    };
    for (const [type, language] of Object.entries(expected)) {
      expect(
        createMetricProvider({ type, address: 'http://127.0.0.1:1', region: 'us-east-1', secret: { project: 'p' } }, providerCtx)
          .queryLanguage,
      ).toBe(language);
    }
  });
});
