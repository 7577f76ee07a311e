import type { CanarySlo } from '../src/api/types.js';
import { evaluateSlo, scopeFor, sloCheck, type GateInput } from '../src/slo/gate.js';
import { fromSloth } from '../src/slo/sources.js';

const DEF = fromSloth({
  metadata: { name: 'podinfo' },
  spec: {
    slos: [
      {
        name: 'availability',
        objective: 99.9,
        sli: {
          events: {
            errorQuery: 'sum(rate(req_total{ns="test",code=~"5.."}[{{.window}}]))',
            totalQuery: 'sum(rate(req_total{ns="test"}[{{.window}}]))',
          },
        },
      },
    ],
  },
} as never);
const SLO: CanarySlo = { ref: { kind: 'PrometheusServiceLevel', name: 'podinfo' }, scope: [{ label: 'workload', value: '{{ target }}' }] };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const input = (o: Partial<GateInput> = {}): GateInput => ({
  def: DEF,
  slo: SLO,
  namespace: 'test',
  canary: 'podinfo',
  primary: 'podinfo-primary',
  intervalMs: 10_000,
  trafficStartMs: T0,
  nowMs: T0 + 25_000,
  ...o,
});

/**
 * A Prometheus stand-in: requests per second and error ratio per workload and window, read from the scoped query
 * (workload="…" and the range); the unscoped 30-day queries answer the service's whole period.
 */
function prometheus(rates: Record<string, { total: number; ratio: number }>, period = { total: 100, bad: 0.05 }) {
  const asked: string[] = [];
  const query = async (q: string): Promise<number | undefined> => {
    asked.push(q);
    const bad = q.includes('code=~"5.."');
    const workload = /workload="([^"]+)"/.exec(q)?.[1];
    const window = /\[([0-9a-z]+)\]/.exec(q)![1]!;
    if (!workload) return bad ? period.bad : period.total;
    const r = rates[`${workload} ${window}`];
    if (!r) return undefined;
    return bad ? (r.ratio === 0 ? undefined : r.total * r.ratio) : r.total;
  };
  return { query, asked };
}

describe('evaluateSlo', () => {
  it('scopes both queries of each window to the workload, short = the interval, long = since traffic', async () => {
    const p = prometheus({
      'podinfo 10s': { total: 50, ratio: 0.001 },
      'podinfo 25s': { total: 50, ratio: 0.001 },
      'podinfo-primary 25s': { total: 50, ratio: 0 },
    });
    const e = await evaluateSlo(input(), p.query);
    expect(p.asked).toContain('sum(rate(req_total{ns="test", code=~"5..", workload="podinfo"}[10s]))');
    expect(p.asked).toContain('sum(rate(req_total{ns="test", workload="podinfo-primary"}[25s]))');
    expect(p.asked).toContain('sum(rate(req_total{ns="test"}[720h]))');
    expect(e).toMatchObject({
      source: 'PrometheusServiceLevel/podinfo/availability',
      objective: 99.9,
      pageBurnRate: 14.4,
      thresholdFrom: 'sloth',
      verdict: 'Pass',
      short: { window: '10s', errorRatio: 0.001, burnRate: 1 },
      long: { window: '25s', errorRatio: 0.001, burnRate: 1 },
      primaryBurnRate: 0,
    });
  });

  it('2% errors over both windows: Burning, the message names both burn rates, the threshold and the SLO', async () => {
    const p = prometheus({ 'podinfo 10s': { total: 50, ratio: 0.02 }, 'podinfo 25s': { total: 50, ratio: 0.02 } });
    const e = await evaluateSlo(input(), p.query);
    expect(e.verdict).toBe('Burning');
    expect(e.message).toBe(
      'SLO PrometheusServiceLevel/podinfo/availability (99.9%): burn rate 20 over 10s and 20 over 25s, page threshold 14.4 (sloth); ' +
        'budget consumed 0.019% of what was left: Burning: above the threshold over both windows',
    );
    expect(sloCheck(e)).toMatchObject({ name: 'slo', ok: false, reason: 'SLOBurning', value: 20, max: 14.4 });
  });

  it("the budget: the canary's bad events against what the 30 days had left, capped by maxBudgetConsumedPercent", async () => {
    // 30 days at 100/s: 259.2M events, 259,200 bad allowed; 0.05/s bad spent 129,600; the canary 1/s for 25s: 25 bad.
    const p = prometheus({ 'podinfo 10s': { total: 50, ratio: 0.02 }, 'podinfo 25s': { total: 50, ratio: 0.02 } });
    const e = await evaluateSlo(input({ slo: { ...SLO, maxBudgetConsumedPercent: 0.01 } }), p.query);
    expect(e.budgetConsumedPercent).toBeCloseTo((25 / (259_200 - 129_600 + 25)) * 100, 5);
    expect(e.verdict).toBe('BudgetExceeded');
    expect(sloCheck(e)).toMatchObject({ ok: false, reason: 'SLOBudgetExceeded' });
  });

  it('one interval after traffic (minChecks 2): TooEarly, which holds the step', async () => {
    const p = prometheus({ 'podinfo 10s': { total: 50, ratio: 0.5 } });
    const e = await evaluateSlo(input({ nowMs: T0 + 10_500 }), p.query);
    expect(e).toMatchObject({ verdict: 'TooEarly', long: { window: '10s' } });
    expect(sloCheck(e)).toMatchObject({ ok: false, halt: true, reason: 'SLOTooEarly' });
  });

  it('no canary traffic: NoData, a failed check by default, held or ignored by onNoData', async () => {
    const e = await evaluateSlo(input(), prometheus({}).query);
    expect(e.verdict).toBe('NoData');
    expect(sloCheck(e)).toMatchObject({ ok: false, reason: 'NoData' });
    expect(sloCheck(e, 'halt')).toMatchObject({ ok: false, halt: true });
    expect(sloCheck(e, 'ignore')).toMatchObject({ ok: true, reason: 'NoDataIgnored' });
  });

  it("pageBurnRate in the spec wins over the SLO's own", async () => {
    const p = prometheus({ 'podinfo 10s': { total: 50, ratio: 0.02 }, 'podinfo 25s': { total: 50, ratio: 0.02 } });
    const e = await evaluateSlo(input({ slo: { ...SLO, pageBurnRate: 25 } }), p.query);
    expect(e).toMatchObject({ pageBurnRate: 25, thresholdFrom: 'spec', verdict: 'Pass' });
  });
});

describe('scopeFor', () => {
  it('fills {{ target }} and {{ namespace }}; a regex matcher gets the values quoted', () => {
    const slo: CanarySlo = {
      ...SLO,
      scope: [
        { label: 'pod', op: '=~', value: '{{ target }}-[a-z0-9]+-[a-z0-9]+' },
        { label: 'namespace', value: '{{namespace}}' },
      ],
    };
    expect(scopeFor(slo, 'te.st', 'web.v1')).toEqual([
      { label: 'pod', op: '=~', value: 'web\\.v1-[a-z0-9]+-[a-z0-9]+' },
      { label: 'namespace', op: '=', value: 'te.st' },
    ]);
  });
  it('refuses an unknown placeholder', () => {
    expect(() => scopeFor({ ...SLO, scope: [{ label: 'pod', value: '{{ service }}' }] }, 'test', 'x')).toThrow(/unknown placeholder/);
  });
});
