import { PromQLScopeError, regexQuote, scopeQuery, type ScopeMatcher } from '../src/slo/promql-scope.js';

const canary: ScopeMatcher[] = [
  { label: 'destination_workload', op: '=', value: 'podinfo' },
  { label: 'destination_workload_namespace', op: '=', value: 'test' },
];
const W = 'destination_workload="podinfo", destination_workload_namespace="test"';

describe('scopeQuery', () => {
  it.each<[string, string, string]>([
    [
      "Sloth's error query",
      'sum(rate(istio_requests_total{reporter="destination",response_code=~"5.."}[5m]))',
      `sum(rate(istio_requests_total{reporter="destination", response_code=~"5..", ${W}}[5m]))`,
    ],
    ['a bare metric name', 'sum(rate(http_requests_total[1m]))', `sum(rate(http_requests_total{${W}}[1m]))`],
    ['empty braces', 'up{}', `up{${W}}`],
    ['a selector by __name__ only', '{__name__="up"}', `{__name__="up", ${W}}`],
    [
      'both sides of a ratio, by() and on() lists left alone',
      'sum by (code) (rate(a{job="x"}[5m])) / on(code) group_left sum by (code) (rate(b[5m]))',
      `sum by (code) (rate(a{job="x", ${W}}[5m])) / on(code) group_left sum by (code) (rate(b{${W}}[5m]))`,
    ],
    ['a matcher on a scoped label is replaced', 'rate(x{destination_workload="other",code="500"}[1m])', `rate(x{code="500", ${W}}[1m])`],
    ['offset and subquery', 'max_over_time(rate(x[1m] offset 5m)[10m:1m])', `max_over_time(rate(x{${W}}[1m] offset 5m)[10m:1m])`],
    [
      'strings and comments are not selectors',
      'label_replace(up, "dst", "$1", "src", "(.*)") # up{a="b"}',
      `label_replace(up{${W}}, "dst", "$1", "src", "(.*)") # up{a="b"}`,
    ],
    [
      'a number alone has nothing to scope... alongside a selector',
      '1 - (sum(rate(ok[5m])) / sum(rate(all[5m])))',
      `1 - (sum(rate(ok{${W}}[5m])) / sum(rate(all{${W}}[5m])))`,
    ],
  ])('%s', (_t, query, expected) => {
    expect(scopeQuery(query, canary)).toBe(expected);
  });

  it('escapes the values it writes', () => {
    expect(scopeQuery('up', [{ label: 'pod', op: '=', value: 'a"b\\c' }])).toBe('up{pod="a\\"b\\\\c"}');
    expect(scopeQuery('up', [{ label: 'pod', op: '=~', value: `${regexQuote('web.v1')}-[a-z0-9]+` }])).toBe(
      'up{pod=~"web\\\\.v1-[a-z0-9]+"}',
    );
  });

  it.each<[string, string]>([
    ['a query that does not parse', 'sum(rate(x[5m])) +'],
    ['an unclosed brace', 'rate(x{a="b"[5m])'],
    ['a template placeholder left in', 'rate(x[{{.window}}])'],
    ['a scalar alone', '42'],
  ])('refuses %s', (_t, query) => {
    expect(() => scopeQuery(query, canary)).toThrow(PromQLScopeError);
  });

  it('refuses a label name that is not one', () => {
    expect(() => scopeQuery('up', [{ label: 'a-b', op: '=', value: 'x' }])).toThrow(PromQLScopeError);
  });

  // Fuzz-ish: random queries built from a small grammar; every selector is scoped exactly once, and the output
  // parses again (scoping it a second time changes nothing).
  it('scopes every selector of 300 generated queries, idempotently', () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const selectors = ['a', 'b_total', 'c{x="1"}', '{__name__="d"}', 'e{y=~"a|b",destination_workload="z"}'];
    const expr = (depth: number, count: { n: number }): string => {
      const k = depth > 3 ? 0 : rnd(6);
      if (k <= 1) {
        count.n++;
        return `rate(${selectors[rnd(selectors.length)]}[${1 + rnd(9)}m])`;
      }
      if (k === 2) return `sum by (code) (${expr(depth + 1, count)})`;
      if (k === 3) return `(${expr(depth + 1, count)} / ${expr(depth + 1, count)})`;
      if (k === 4) return `${expr(depth + 1, count)} and on(job) ${expr(depth + 1, count)}`;
      return `clamp_min(${expr(depth + 1, count)}, 0)`;
    };
    for (let i = 0; i < 300; i++) {
      const count = { n: 0 };
      const q = expr(0, count);
      const scoped = scopeQuery(q, canary);
      expect(scoped.split('destination_workload="podinfo"').length - 1).toBe(count.n);
      expect(scopeQuery(scoped, canary)).toBe(scoped);
    }
  });
});
