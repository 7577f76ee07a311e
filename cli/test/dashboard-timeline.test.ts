import { Observed, pointsFromEvents, timeline } from '../src/dashboard/timeline.js';
import { escapeHtml, html } from '../src/dashboard/html.js';
import { canaryDetail, phaseTone } from '../src/dashboard/views.js';
import { checkAddress, hostsFor, isLoopback } from '../src/dashboard/command.js';
import { parseCommandLine } from '../src/main.js';
import { canary, event, T0 } from './helpers.js';

const s = (n: number): number => T0 + n * 1000;

describe('dashboard phase colours', () => {
  it.each([
    ['Initialized', 'tone-ok'],
    ['Succeeded', 'tone-ok'],
    ['Failed', 'tone-bad'],
    ['Progressing', 'tone-busy'],
    ['WaitingPromotion', 'tone-busy'],
    ['Promoting', 'tone-busy'],
    ['Finalising', 'tone-busy'],
    ['Waiting', ''],
    ['Initializing', ''],
    ['Terminating', ''],
  ])('given %s, then the class %j', (phase, tone) => {
    expect(phaseTone(phase)).toBe(tone);
  });
});

describe('dashboard timeline (pure)', () => {
  const run = [
    event('NewRevision', 'New revision abc detected: scaling up podinfo and starting the analysis', s(-100)),
    event('Advanced', 'Advance podinfo canary weight 20 (request-success-rate=100)', s(-90)),
    event('AnalysisFailed', 'Halt advancement (failed checks 1/2): request-success-rate 43 < 99', s(-85)),
    event('Advanced', 'Advance podinfo canary weight 40 (request-success-rate=100)', s(-80)),
    event('RolledBack', 'Canary failed, rolling back podinfo: failed checks threshold reached 2', s(-70)),
  ];

  it('given the Events of a run, then 0 at its start, each step, and 0 at its end; other Events add nothing', () => {
    expect(pointsFromEvents(run).map((p) => [(p.t - T0) / 1000, p.weight])).toEqual([
      [-100, 0],
      [-90, 20],
      [-80, 40],
      [-70, 0],
    ]);
  });

  it('given a step Event repeated (counted by the API server), then its first and its last occurrence', () => {
    const repeated = event('Advanced', 'Advance podinfo canary weight 20', s(-50), { count: 3, last: s(-10) });
    expect(pointsFromEvents([repeated]).map((p) => [(p.t - T0) / 1000, p.weight])).toEqual([
      [-50, 20],
      [-10, 20],
    ]);
  });

  it('given three runs, then the chart holds the current and the last one, both sources merged, the present last', () => {
    const older = [
      event('NewRevision', 'New revision old detected: scaling up podinfo and starting the analysis', s(-300), { name: 'a' }),
      event('Advanced', 'Advance podinfo canary weight 20 (x)', s(-290), { name: 'b' }),
      event('Succeeded', 'Promotion completed! podinfo serves revision old', s(-280), { name: 'c' }),
    ];
    const current = [
      event('Retry', 'Retrying revision abc (tollgate.dev/retry=1)', s(-20), { name: 'd' }),
      event('Advanced', 'Advance podinfo canary weight 20 (x)', s(-10), { name: 'e' }),
    ];
    const c = canary({ phase: 'Progressing', status: { canaryWeight: 60, runStartTime: new Date(s(-20)).toISOString() } });
    const observed = [
      { t: s(-5) + 300, weight: 40 },
      { t: s(-1) + 700, weight: 60 },
    ];
    const points = timeline(c, [...older, ...run, ...current], observed, T0);
    expect(points.map((p) => [(p.t - T0) / 1000, p.weight])).toEqual([
      [-100, 0],
      [-90, 20],
      [-80, 40],
      [-70, 0],
      [-10, 20],
      [-4.7, 40],
      [-0.3, 60],
      [0, 60],
    ]);
  });

  it('given repeated sightings of one weight, then Observed keeps one point per change, at most maxPoints', () => {
    const o = new Observed(2);
    for (const [t, w] of [
      [1, 0],
      [2, 0],
      [3, 20],
      [4, 40],
    ] as const)
      o.saw('test/podinfo', canary({ status: { canaryWeight: w } }), t);
    expect(o.of('test/podinfo')).toEqual([
      { t: 3, weight: 20 },
      { t: 4, weight: 40 },
    ]);
    o.forget('test/podinfo');
    expect(o.of('test/podinfo')).toEqual([]);
  });
});

describe('dashboard checks table', () => {
  it('given a dry-run check that failed, then its row is of class dry-run (not fail) and its result says dry-run', () => {
    const c = canary({
      phase: 'Progressing',
      status: {
        lastChecks: [
          { name: 'p99', ok: false, dryRun: true, value: 900, max: 500, reason: 'AboveMax', message: 'p99 900 > 500' },
          { name: 'rate', ok: false, value: 50, min: 99, reason: 'BelowMin', message: 'rate 50 < 99' },
        ],
      },
    });
    const page = canaryDetail(c, [], T0).text;
    expect(page).toMatch(/<tr class="dry-run">\s*<td>p99<\/td>[\s\S]*?<td>dry-run FAIL: p99 900 &gt; 500<\/td>/);
    expect(page).toMatch(/<tr class="fail">\s*<td>rate<\/td>/);
  });
});

describe('dashboard html', () => {
  it('given text with markup, then every interpolation is escaped, Html pieces and arrays kept', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${['<', html`<br />`]}${undefined}${0}</p>`.text).toBe(
      '<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;<br />0</p>',
    );
  });
});

describe('tollgate dashboard: flags', () => {
  it('given no flags, then 127.0.0.1:3100, and every namespace unless -n', () => {
    expect(parseCommandLine(['dashboard'])).toEqual({
      command: 'dashboard',
      cluster: {},
      dashboard: { port: 3100, address: '127.0.0.1', allowRemote: false },
    });
    expect(parseCommandLine(['dashboard', '-n', 'shop', '--port', '0', '--address', '::1'])).toMatchObject({
      dashboard: { port: 0, address: '::1', namespace: 'shop' },
    });
  });

  it.each([
    [['--port', '80x'], 'invalid --port "80x": use a number from 0 (any free port) to 65535'],
    [['--port', '70000'], 'invalid --port "70000": use a number from 0 (any free port) to 65535'],
    [['--address', 'example.com'], '--address must be an IP address or localhost, not "example.com"'],
    [
      ['--address', '0.0.0.0', '--allow-remote'],
      '--address 0.0.0.0 is every address of the machine, and the dashboard accepts only a Host header naming the address it is reached at: give that one',
    ],
    [
      ['--address', '::', '--allow-remote'],
      '--address :: is every address of the machine, and the dashboard accepts only a Host header naming the address it is reached at: give that one',
    ],
    [
      ['--address', '10.0.0.1'],
      '--address 10.0.0.1 is not a loopback address: anyone who reaches it acts with your credentials; add --allow-remote to bind it anyway',
    ],
  ])('given %j, then a usage error', (flags, message) => {
    expect(() => parseCommandLine(['dashboard', ...flags])).toThrow(message);
  });

  it('given --allow-remote, then a non-loopback address is taken; the Host headers accepted follow the address', () => {
    expect(() => checkAddress('10.0.0.1', true)).not.toThrow();
    expect(isLoopback('127.0.0.2')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect([...hostsFor('127.0.0.1', 3100)]).toEqual(['127.0.0.1:3100', 'localhost:3100', '[::1]:3100']);
    expect([...hostsFor('127.0.0.2', 80)]).toEqual(['127.0.0.2:80', '127.0.0.1:80', 'localhost:80', '[::1]:80']);
    expect([...hostsFor('10.0.0.1', 3100)]).toEqual(['10.0.0.1:3100']);
    expect([...hostsFor('fd00::1', 3100)]).toEqual(['[fd00::1]:3100']);
  });
});
