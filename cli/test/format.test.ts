import {
  age,
  boundsText,
  canaryTable,
  changeLines,
  checkResultText,
  checksLine,
  humanDuration,
  num,
  offset,
  statusLines,
  strategyText,
  summaryLine,
  table,
} from '../src/format.js';
import { canary, event, iso, T0 } from './helpers.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [-5 * S, '0s'],
    [999, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 20 * S, '3m20s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H + 20 * M, '3h20m'],
    [5 * H, '5h'],
    [8 * H + 5 * M, '8h'],
    [30 * H, '30h'],
    [3 * D + 4 * H, '3d4h'],
    [7 * D, '7d'],
    [45 * D, '45d'],
    [730 * D, '2y'],
    [800 * D, '2y70d'],
  ])('given %p ms, then %p', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('given times, then ages and signed offsets', () => {
    expect(age(iso(T0 - 90 * S), T0)).toBe('90s');
    expect(age(undefined, T0)).toBe('-');
    expect(age('not a time', T0)).toBe('-');
    expect(offset(65 * S)).toBe('+65s');
    expect(offset(-3 * M)).toBe('-3m');
  });
});

describe('table', () => {
  it('given rows, then columns padded to the widest cell, three spaces apart, no trailing blanks', () => {
    expect(
      table(
        ['NAME', 'PHASE', 'MESSAGE'],
        [
          ['podinfo', 'Succeeded', ''],
          ['a', 'Progressing', 'canary weight 20'],
        ],
      ),
    ).toEqual(['NAME      PHASE         MESSAGE', 'podinfo   Succeeded', 'a         Progressing   canary weight 20']);
  });

  it('given an indent, then every line starts with it', () => {
    expect(table(['A'], [['x']], '  ')).toEqual(['  A', '  x']);
  });
});

describe('check formatting', () => {
  it('given values, then integers as is and fractions to three decimals', () => {
    expect([num(99), num(99.87654), num(undefined), num(Number.NaN), num(0.5)]).toEqual(['99', '99.877', '-', 'NaN', '0.5']);
  });

  it('given bounds, then >=, <= or a range', () => {
    expect(boundsText({ name: 'a', ok: true, min: 99 })).toBe('>= 99');
    expect(boundsText({ name: 'a', ok: true, max: 500 })).toBe('<= 500');
    expect(boundsText({ name: 'a', ok: true, min: 1, max: 2.5 })).toBe('1..2.5');
    expect(boundsText({ name: 'a', ok: true })).toBe('-');
  });

  it('given results, then ok, FAIL with the reason, or held', () => {
    expect(checkResultText({ name: 'a', ok: true })).toBe('ok');
    expect(checkResultText({ name: 'a', ok: false, reason: 'OutOfRange', message: 'a 612 > 500' })).toBe('FAIL: a 612 > 500');
    expect(checkResultText({ name: 'a', ok: false, halt: true, reason: 'NoData' })).toBe('held: NoData');
    expect(
      checksLine([
        { name: 'rate', ok: true, value: 99.9, min: 99 },
        { name: 'latency', ok: false, value: 612, max: 500 },
      ]),
    ).toBe('rate 99.9 (>= 99) ok; latency 612 (<= 500) FAIL');
  });

  it('given dry-run results, then each is marked dry-run and never held', () => {
    expect(checkResultText({ name: 'a', ok: true, dryRun: true })).toBe('dry-run ok');
    expect(checkResultText({ name: 'a', ok: false, dryRun: true, message: 'a 612 > 500' })).toBe('dry-run FAIL: a 612 > 500');
    expect(checkResultText({ name: 'a', ok: false, dryRun: true, halt: true, reason: 'NoData' })).toBe('dry-run FAIL: NoData');
    expect(checksLine([{ name: 'latency', ok: false, value: 612, max: 500, dryRun: true }])).toBe('latency 612 (<= 500) dry-run FAIL');
  });
});

describe('canaryTable (tollgate get)', () => {
  const running = canary({
    name: 'api',
    phase: 'Progressing',
    status: { canaryWeight: 40, failedChecks: 1, lastAppliedSpec: 'abc1234567', lastPromotedSpec: 'def7654321' },
    created: T0 - 5 * M,
  });
  const done = canary({
    name: 'web',
    namespace: 'shop',
    phase: 'Succeeded',
    status: { lastAppliedSpec: 'aaa', lastPromotedSpec: 'aaa' },
    created: T0 - 3 * D,
  });

  it('given canaries, then NAME, PHASE, WEIGHT, FAILED/threshold, revisions, READY with its reason, AGE', () => {
    expect(canaryTable([running, done], { allNamespaces: false, wide: false, now: T0 })).toEqual([
      'NAME   PHASE         WEIGHT   FAILED   REVISION     PROMOTED     READY                 AGE',
      'api    Progressing   40       1/2      abc1234567   def7654321   False (Progressing)   5m',
      'web    Succeeded     0        0/2      aaa          aaa          True (Succeeded)      3d',
    ]);
  });

  it('given -A, then a NAMESPACE column first', () => {
    const lines = canaryTable([done], { allNamespaces: true, wide: false, now: T0 });
    expect(lines[0]).toMatch(/^NAMESPACE {3}NAME {3}PHASE/);
    expect(lines[1]).toMatch(/^shop {8}web {4}Succeeded/);
  });

  it('given -o wide, then provider, target, interval, paused and the Ready message', () => {
    const paused = canary({
      phase: 'Progressing',
      annotations: { 'tollgate.dev/paused': 'true' },
      readyMessage: 'paused at canary weight 20 (tollgate.dev/paused=true)',
    });
    const lines = canaryTable([paused], { allNamespaces: false, wide: true, now: T0 });
    expect(lines[0]).toMatch(/AGE {3}PROVIDER {3}TARGET +INTERVAL {3}PAUSED {3}MESSAGE$/);
    expect(lines[1]).toMatch(/istio {6}Deployment\/podinfo {3}3s {9}true {5}paused at canary weight 20 \(tollgate.dev\/paused=true\)$/);
  });

  it('given a canary the operator has not reported on, then dashes and the default threshold', () => {
    const fresh = canary();
    delete fresh.status;
    delete fresh.spec.analysis;
    expect(canaryTable([fresh], { allNamespaces: false, wide: false, now: T0 })[1]).toBe(
      'podinfo   Initializing   0        0/1      -          -          -       3d',
    );
  });
});

describe('strategyText', () => {
  it('given each strategy, then one line on how the analysis moves', () => {
    expect(strategyText(canary())).toBe('canary, +20 up to 60 every 3s, rollback after 2 failed checks');
    expect(strategyText(canary({ analysis: { interval: '1m', threshold: 1, steps: [{ weight: 5, pause: '5m' }, { weight: 50 }] } }))).toBe(
      'canary, weights 5, 50 every 1m, rollback after 1 failed check',
    );
    expect(strategyText(canary({ analysis: { iterations: 10, threshold: 3 } }))).toBe(
      'blue/green, 10 iterations every 1m, rollback after 3 failed checks',
    );
    expect(strategyText(canary({ analysis: { iterations: 5, match: [{ headers: {} }], mirror: true } }))).toBe(
      'A/B testing, 5 iterations every 1m, mirrored, rollback after 1 failed check',
    );
    const ratio = canary();
    ratio.spec.provider = 'kubernetes';
    expect(strategyText(ratio)).toBe('canary, +20 up to 60 every 3s, by replica ratio, rollback after 2 failed checks');
    expect(strategyText(canary({ analysis: { interval: 'soon' } }))).toMatch(/unreadable/);
  });
});

describe('statusLines (tollgate status)', () => {
  const running = canary({
    phase: 'Progressing',
    readyMessage: 'halted: request-duration 612 > 500',
    status: {
      canaryWeight: 40,
      iterations: 2,
      failedChecks: 1,
      lastAppliedSpec: 'abc',
      lastPromotedSpec: 'def',
      runStartTime: iso(T0 - 130 * S),
      lastAnalysisTime: iso(T0 - 3 * S),
      lastChecks: [
        { name: 'request-success-rate', ok: true, value: 99.95, min: 99 },
        { name: 'request-duration', ok: false, value: 612, max: 500, reason: 'OutOfRange', message: 'request-duration 612 > 500' },
      ],
    },
  });
  const events = [
    event('Synced', 'Initialization done', T0 - 3 * H),
    event('NewRevision', 'New revision abc detected', T0 - 130 * S),
    event('Advanced', 'Advance podinfo canary weight 20', T0 - 127 * S),
    event('AnalysisFailed', 'Halt advancement (failed checks 1/2)', T0 - 100 * S, { type: 'Warning', count: 3, last: T0 - 3 * S }),
  ];

  it('given a run in progress, then its state, the last checks, the conditions and the Events of the run in order', () => {
    const text = statusLines(running, events, { now: T0 }).join('\n');
    expect(text).toContain('Canary:     test/podinfo');
    expect(text).toContain('Target:     Deployment/podinfo via istio');
    expect(text).toContain('Strategy:   canary, +20 up to 60 every 3s, rollback after 2 failed checks');
    expect(text).toContain('Phase:      Progressing\n');
    expect(text).toContain('Revision:   abc under analysis, def promoted');
    expect(text).toContain('Weight:     40%');
    expect(text).toContain('Iteration:  2');
    expect(text).toContain('Failed:     1 of 2 checks');
    expect(text).toContain('Run:        started 2m10s ago, last analysis 3s ago');
    expect(text).toContain('Ready:      False (Progressing): halted: request-duration 612 > 500');
    expect(text).toContain(
      [
        'Last analysis (3s ago):',
        '  METRIC                 VALUE   BOUNDS   RESULT',
        '  request-success-rate   99.95   >= 99    ok',
        '  request-duration       612     <= 500   FAIL: request-duration 612 > 500',
      ].join('\n'),
    );
    expect(text).toMatch(/Conditions:\n {2}TYPE +STATUS +REASON +SINCE +MESSAGE\n {2}Ready +False +Progressing +30s +halted/);
    expect(text).toContain(
      [
        "Events, oldest first, times from the run's start (1 earlier not shown: --all-events):",
        '  AT     TYPE      REASON           MESSAGE',
        '  +0s    Normal    NewRevision      New revision abc detected',
        '  +3s    Normal    Advanced         Advance podinfo canary weight 20',
        '  +30s   Warning   AnalysisFailed   Halt advancement (failed checks 1/2) (x3, last at +2m7s)',
      ].join('\n'),
    );
  });

  it("given a judgement, then the judge section gives the score, the thresholds and each metric's medians, ratio and p-value", () => {
    const judged = canary({
      phase: 'Progressing',
      status: {
        runStartTime: iso(T0 - 130 * S),
        lastAnalysisTime: iso(T0 - 3 * S),
        lastChecks: [{ name: 'judge', ok: false, halt: true, value: 50, min: 95, reason: 'JudgeMarginal', message: 'judge score 50' }],
        lastJudgement: {
          score: 50,
          verdict: 'Marginal',
          pass: 95,
          marginal: 50,
          metrics: [
            {
              name: 'latency',
              classification: 'High',
              canaryMedian: 101.25,
              primaryMedian: 20.5,
              ratio: 4.939,
              pValue: 0.0000123,
              canarySamples: 10,
              primarySamples: 12,
              message: '',
            },
            {
              name: 'error-rate',
              classification: 'Pass',
              canaryMedian: 0.01,
              primaryMedian: 0.012,
              ratio: 0.8333,
              pValue: 0.41,
              canarySamples: 10,
              primarySamples: 12,
              message: '',
            },
            { name: 'cpu', classification: 'NoData', canarySamples: 2, primarySamples: 12, message: '' },
          ],
        },
      },
    });
    const text = statusLines(judged, [], { now: T0 }).join('\n');
    expect(text).toContain(
      [
        'Judge: score 50, Marginal (pass >= 95, marginal >= 50):',
        '  METRIC       CLASS    CANARY MEDIAN   PRIMARY MEDIAN   RATIO   P-VALUE   SAMPLES',
        '  latency      High     101.25          20.5             4.939   1.23e-5   10/12',
        '  error-rate   Pass     0.01            0.012            0.833   0.41      10/12',
        '  cpu          NoData   -               -                -       -         2/12',
      ].join('\n'),
    );
  });

  it('given an SLO evaluation, then the SLO section gives the SLO, its page threshold, each window and the budget', () => {
    const c = canary({
      phase: 'Progressing',
      status: {
        runStartTime: iso(T0 - 30 * S),
        lastAnalysisTime: iso(T0 - 3 * S),
        lastChecks: [{ name: 'slo', ok: false, value: 19.6, max: 14.4, reason: 'SLOBurning', message: 'SLO burning' }],
        lastSLO: {
          source: 'PrometheusServiceLevel/podinfo/requests-availability',
          objective: 99.9,
          pageBurnRate: 14.4,
          thresholdFrom: 'sloth',
          verdict: 'Burning',
          short: { window: '6s', errorRatio: 0.0201, burnRate: 20.1 },
          long: { window: '12s', errorRatio: 0.0196, burnRate: 19.6 },
          primaryBurnRate: 0,
          budgetConsumedPercent: 0.41,
          maxBudgetConsumedPercent: 5,
          message: '',
        },
      },
    });
    expect(statusLines(c, [], { now: T0 }).join('\n')).toContain(
      [
        'SLO: PrometheusServiceLevel/podinfo/requests-availability (99.9%), page burn rate 14.4 (sloth): Burning',
        '  WINDOW                 LENGTH   ERRORS   BURN RATE',
        '  short (interval)       6s       2.01%    20.1',
        '  long (since traffic)   12s      1.96%    19.6',
        '  primary (long)         12s      -        0',
        '  budget consumed: 0.41% of what was left (max 5%)',
      ].join('\n'),
    );
    expect(statusLines(running, events, { now: T0 }).join('\n')).not.toContain('SLO:');
  });

  it('given a run without a judge, then there is no judge section', () => {
    expect(statusLines(running, events, { now: T0 }).join('\n')).not.toContain('Judge:');
  });

  it('given an Event repeated since an earlier run, then it is placed at its last time, in this run', () => {
    const start = T0 - 10 * S;
    const c = canary({ phase: 'Progressing', status: { runStartTime: iso(start + 400) } });
    const repeated = event('Advanced', 'Advance podinfo canary weight 20', start - 5 * M, { count: 6, last: start + 4 * S });
    const sameSecond = event('Succeeded', 'previous run done', start);
    const earlier = event('Synced', 'earlier', start - S);
    const lines = statusLines(c, [repeated, earlier, sameSecond, event('NewRevision', 'New revision', start)], { now: T0 });
    expect(lines.slice(lines.findIndex((l) => l.startsWith('Events')))).toEqual([
      "Events, oldest first, times from the run's start (1 earlier not shown: --all-events):",
      '  AT    TYPE     REASON        MESSAGE',
      '  +0s   Normal   Succeeded     previous run done',
      '  +0s   Normal   NewRevision   New revision',
      '  +3s   Normal   Advanced      Advance podinfo canary weight 20 (x6, the first at -5m)',
    ]);
  });

  it("given --all-events, then the earlier runs' Events too, before the run start", () => {
    const text = statusLines(running, events, { now: T0, allEvents: true }).join('\n');
    expect(text).toMatch(/ {2}-177m +Normal +Synced +Initialization done/);
  });

  it('given a paused run, a promoted canary and no events, then each is said plainly', () => {
    const paused = statusLines(canary({ phase: 'Progressing', annotations: { 'tollgate.dev/paused': 'true' } }), [], { now: T0 }).join(
      '\n',
    );
    expect(paused).toContain('Phase:      Progressing (paused: tollgate.dev/paused=true)');
    const idle = statusLines(canary({ annotations: { 'tollgate.dev/paused': 'true' }, status: { lastChecks: [] } }), [], { now: T0 }).join(
      '\n',
    );
    expect(idle).toContain('Phase:      Succeeded (the next run will be paused: tollgate.dev/paused=true)');
    expect(idle).toContain('Revision:   rev2 (promoted)');
    expect(idle).toContain('Last analysis: no checks yet in this run');
    expect(idle).toContain('Events: none');
  });

  it('given blue/green, then the iteration of the total', () => {
    const text = statusLines(canary({ phase: 'Progressing', analysis: { iterations: 10 }, status: { iterations: 3 } }), [], {
      now: T0,
    }).join('\n');
    expect(text).toContain('Iteration:  3 of 10');
  });
});

describe('summaryLine and changeLines (wait and status --watch)', () => {
  it('given a run, then phase, weight, failed checks and the Ready message on one line', () => {
    expect(summaryLine(canary({ phase: 'Progressing', status: { canaryWeight: 20 }, readyMessage: 'canary weight 20' }))).toBe(
      'Progressing  weight 20  failed 0/2: canary weight 20',
    );
    expect(
      summaryLine(
        canary({
          phase: 'Progressing',
          analysis: { iterations: 4 },
          status: { iterations: 1 },
          annotations: { 'tollgate.dev/paused': 'true' },
        }),
      ),
    ).toMatch(/^Progressing {2}weight 0 {2}iteration 1\/4 {2}failed 0\/1 {2}paused/);
  });

  it('given two snapshots, then the new state, the new checks and new or repeated Events, timed from the run start', () => {
    const start = T0 - 10 * S;
    const before = canary({
      phase: 'Progressing',
      status: { canaryWeight: 20, runStartTime: iso(start), lastAnalysisTime: iso(start + 3 * S) },
      readyMessage: 'canary weight 20',
    });
    const after = canary({
      phase: 'Progressing',
      readyMessage: 'canary weight 40',
      status: {
        canaryWeight: 40,
        runStartTime: iso(start),
        lastAnalysisTime: iso(start + 6 * S),
        lastChecks: [{ name: 'rate', ok: true, value: 100, min: 99 }],
      },
    });
    const adv = event('Advanced', 'Advance podinfo canary weight 20', start + 3 * S, { name: 'e1' });
    const adv2 = event('Advanced', 'Advance podinfo canary weight 40', start + 6 * S, { name: 'e2' });
    const old = event('Synced', 'long ago', start - H, { name: 'e0' });
    expect(changeLines({ canary: before, events: [old, adv] }, { canary: after, events: [old, adv, adv2] }, start + 7 * S)).toEqual([
      '+7s     Progressing  weight 40  failed 0/2: canary weight 40',
      '+6s     checks: rate 100 (>= 99) ok',
      '+6s     event Normal Advanced: Advance podinfo canary weight 40',
    ]);
    const repeated = { ...adv, count: 2, lastTimestamp: iso(start + 9 * S) };
    expect(changeLines({ canary: after, events: [adv] }, { canary: after, events: [repeated] }, start + 9 * S)).toEqual([
      '+9s     event Normal Advanced: Advance podinfo canary weight 20 (x2)',
    ]);
    expect(changeLines({ canary: after, events: [] }, { canary: after, events: [] }, T0)).toEqual([]);
    expect(changeLines({ canary: after, events: [] }, { canary: undefined, events: [] }, T0)).toEqual(['canary deleted']);
  });

  it('given a new run, then a line that says so', () => {
    const first = canary({ phase: 'Failed', status: { runStartTime: iso(T0 - M) } });
    const second = canary({ phase: 'Progressing', status: { runStartTime: iso(T0), lastAnalysisTime: iso(T0), lastAppliedSpec: 'rev2' } });
    expect(changeLines({ canary: first, events: [] }, { canary: second, events: [] }, T0)[0]).toBe('+0s     new run of revision rev2');
  });
});
