import { Resources } from '@tollgate/operator/kube/resources';
import { historyTable } from '../src/commands/history.js';
import { releases } from '../src/commands/releases.js';
import { canary, event, harness, iso, putCanary, T0 } from './helpers.js';

const MIN = 60_000;

/** The operator's Events of a run (operator/src/controller/phases/), at minutes from T0. */
const started = (rev: string, at: number) =>
  event('NewRevision', `New revision ${rev} detected: scaling up podinfo and starting the analysis`, T0 + at * MIN);
const promoted = (rev: string, at: number) =>
  event('Succeeded', `Promotion completed: podinfo-primary serves revision ${rev}`, T0 + at * MIN);
const rolledBack = (why: string, at: number) =>
  event('RolledBack', `Canary failed, rolling back podinfo: ${why}`, T0 + at * MIN, { type: 'Warning' });

describe('releases (from Events and status)', () => {
  it('given the Events of several runs, then one release each, newest first, with outcome, duration and reason', () => {
    const events = [
      event('Initializing', 'Initializing: creating podinfo-primary', T0),
      event('Initialized', 'Initialization done: podinfo-primary serves revision r1', T0 + 0.5 * MIN),
      started('r2', 1),
      event('Advanced', 'Advance podinfo canary weight 20', T0 + 2 * MIN),
      promoted('r2', 4),
      started('r3', 10),
      rolledBack('failed checks threshold reached 2: request-success-rate 43.243 < 99', 12),
      event('Retry', 'Retrying revision r3 (tollgate.dev/retry=2026-03-01T12:20:00Z)', T0 + 20 * MIN),
      event('NewRevision', 'New revision r4 replaced r3 during the analysis: restarting it', T0 + 21 * MIN, { type: 'Warning' }),
      event('Promoting', 'Promotion complete: copying podinfo template to podinfo-primary', T0 + 25 * MIN),
      event('NewRevision', 'Revision r5 replaced r4 before its promotion: restarting the analysis', T0 + 26 * MIN, { type: 'Warning' }),
      event('PromotionFailed', 'promotion failed: podinfo-primary not ready (timeout); traffic stays on podinfo', T0 + 30 * MIN, {
        type: 'Warning',
      }),
    ];
    const c = canary({ phase: 'Failed', status: { lastAppliedSpec: 'r5', lastPromotedSpec: 'r2', runStartTime: iso(T0 + 26 * MIN) } });
    expect(releases(c, events)).toEqual([
      {
        revision: 'r5',
        trigger: 'new revision',
        start: iso(T0 + 26 * MIN),
        end: iso(T0 + 30 * MIN),
        durationMs: 4 * MIN,
        outcome: 'failed',
        reason: 'promotion failed: podinfo-primary not ready (timeout); traffic stays on podinfo',
      },
      {
        revision: 'r4',
        trigger: 'new revision',
        start: iso(T0 + 21 * MIN),
        end: iso(T0 + 26 * MIN),
        durationMs: 5 * MIN,
        outcome: 'superseded',
        reason: 'replaced by revision r5',
      },
      {
        revision: 'r3',
        trigger: 'retry',
        start: iso(T0 + 20 * MIN),
        end: iso(T0 + 21 * MIN),
        durationMs: MIN,
        outcome: 'superseded',
        reason: 'replaced by revision r4',
      },
      {
        revision: 'r3',
        trigger: 'new revision',
        start: iso(T0 + 10 * MIN),
        end: iso(T0 + 12 * MIN),
        durationMs: 2 * MIN,
        outcome: 'failed',
        reason: 'failed checks threshold reached 2: request-success-rate 43.243 < 99',
      },
      { revision: 'r2', trigger: 'new revision', start: iso(T0 + MIN), end: iso(T0 + 4 * MIN), durationMs: 3 * MIN, outcome: 'promoted' },
      {
        revision: 'r1',
        trigger: 'initialization',
        start: iso(T0),
        end: iso(T0 + 0.5 * MIN),
        durationMs: 0.5 * MIN,
        outcome: 'initialized',
      },
    ]);
  });

  it('given a run in progress, then it first, without an end', () => {
    const c = canary({ phase: 'Progressing', status: { lastAppliedSpec: 'r3', lastPromotedSpec: 'r2', runStartTime: iso(T0 + 10 * MIN) } });
    expect(releases(c, [started('r2', 1), promoted('r2', 4), started('r3', 10)]).map((r) => [r.revision, r.outcome, r.end])).toEqual([
      ['r3', 'in progress', undefined],
      ['r2', 'promoted', iso(T0 + 4 * MIN)],
    ]);
  });

  it('given the Events expired, then the last run from the status: start, end and reason of the Ready condition', () => {
    const c = canary({ phase: 'Failed', status: { lastAppliedSpec: 'r3', lastPromotedSpec: 'r2', runStartTime: iso(T0) } });
    c.status!.conditions = [
      {
        type: 'Ready',
        status: 'False',
        reason: 'Failed',
        lastTransitionTime: iso(T0 + 2 * MIN),
        message:
          'rolled back: failed checks threshold reached 2: request-success-rate 43.243 < 99; change the target, or set the annotation tollgate.dev/retry to a new value, to run it again',
      },
    ];
    expect(releases(c, [])).toEqual([
      {
        revision: 'r3',
        trigger: 'new revision',
        start: iso(T0),
        end: iso(T0 + 2 * MIN),
        durationMs: 2 * MIN,
        outcome: 'failed',
        reason: 'failed checks threshold reached 2: request-success-rate 43.243 < 99',
      },
    ]);
    const inProgress = canary({ phase: 'Progressing', status: { lastAppliedSpec: 'r3', runStartTime: iso(T0) } });
    expect(releases(inProgress, [])).toEqual([{ revision: 'r3', trigger: 'new revision', start: iso(T0), outcome: 'in progress' }]);
  });

  it('given the end of a run whose start expired, then the release without start or duration', () => {
    const c = canary({ phase: 'Succeeded', status: { lastAppliedSpec: 'r2', lastPromotedSpec: 'r2', runStartTime: iso(T0) } });
    expect(releases(c, [promoted('r2', 4)])).toEqual([
      { revision: 'r2', trigger: 'new revision', end: iso(T0 + 4 * MIN), outcome: 'promoted' },
    ]);
  });

  it('given a table, then newest first with times to the second', () => {
    const c = canary({ phase: 'Succeeded', status: { lastAppliedSpec: 'r2', lastPromotedSpec: 'r2', runStartTime: iso(T0 + MIN) } });
    expect(
      historyTable(
        releases(
          c,
          [started('r2', 1), promoted('r2', 4), started('r9', 6), rolledBack('aborted on request', 7)].sort((a, b) =>
            a.firstTimestamp!.localeCompare(b.firstTimestamp!),
          ),
        ),
      ),
    ).toEqual([
      'REVISION   TRIGGER        STARTED                DURATION   OUTCOME    REASON',
      'r9         new revision   2026-03-01T12:06:00Z   60s        failed     aborted on request',
      'r2         new revision   2026-03-01T12:01:00Z   3m         promoted',
    ]);
  });
});

describe('tollgate history', () => {
  it('given a Canary with Events, then the table, only its own Events, exit 0', async () => {
    const h = harness();
    putCanary(h, canary({ phase: 'Succeeded', status: { lastAppliedSpec: 'r2', lastPromotedSpec: 'r2', runStartTime: iso(T0 + MIN) } }));
    for (const e of [
      started('r2', 1),
      promoted('r2', 4),
      event('RolledBack', 'Canary failed, rolling back other: x', T0 + 5 * MIN, { canary: 'other' }),
    ])
      h.kube.put(Resources.events, e as never);
    expect(await h.run('history', 'podinfo')).toBe(0);
    expect(h.out).toEqual([
      'REVISION   TRIGGER        STARTED                DURATION   OUTCOME    REASON',
      'r2         new revision   2026-03-01T12:01:00Z   3m         promoted',
    ]);
  });

  it('given -o json, then the releases as data', async () => {
    const h = harness();
    putCanary(h, canary({ phase: 'Progressing', status: { lastAppliedSpec: 'r3', runStartTime: iso(T0) } }));
    h.kube.put(Resources.events, started('r3', 0) as never);
    expect(await h.run('history', 'podinfo', '-o', 'json')).toBe(0);
    expect(JSON.parse(h.out.join('\n'))).toEqual({
      canary: 'test/podinfo',
      releases: [{ revision: 'r3', trigger: 'new revision', start: iso(T0), outcome: 'in progress' }],
    });
  });

  it('given -o yaml, then YAML', async () => {
    const h = harness();
    putCanary(h, canary({ phase: 'Progressing', status: { lastAppliedSpec: 'r3', runStartTime: iso(T0) } }));
    expect(await h.run('history', 'podinfo', '-o', 'yaml')).toBe(0);
    expect(h.out.join('\n')).toBe(
      `canary: test/podinfo\nreleases:\n  - revision: r3\n    trigger: new revision\n    start: ${iso(T0)}\n    outcome: in progress`,
    );
  });

  it('given a Canary never run, then a note, exit 0; a missing one, exit 3', async () => {
    const h = harness();
    putCanary(h, canary({ phase: 'Initializing', status: { lastAppliedSpec: '', runStartTime: '' } }));
    expect(await h.run('history', 'podinfo')).toBe(0);
    expect(h.err).toEqual(['No releases of test/podinfo recorded (Events expire after an hour by default).']);
    expect(await h.run('history', 'nope')).toBe(3);
  });
});
