import type { Phase } from '@tollgate/operator/api/types';
import { acknowledged, checkRequest, decideWait, eventsOfRun, isAbout, sortEvents } from '../src/canary.js';
import { canary, event, iso, T0 } from './helpers.js';

describe('decideWait (tollgate wait)', () => {
  it('given the current revision promoted for the current generation, then promoted', () => {
    expect(decideWait(canary({ phase: 'Succeeded' }))).toEqual({ state: 'promoted', message: 'the latest revision is promoted' });
    expect(decideWait(canary({ phase: 'Initialized' })).state).toBe('promoted');
  });

  it('given a run in progress, then pending with the phase and the Ready message', () => {
    expect(decideWait(canary({ phase: 'Progressing', readyMessage: 'canary weight 20' }))).toEqual({
      state: 'pending',
      phase: 'Progressing',
      detail: 'canary weight 20',
    });
    for (const phase of ['Waiting', 'WaitingPromotion', 'Promoting', 'Finalising', 'Initializing'] as Phase[]) {
      expect(decideWait(canary({ phase })).state).toBe('pending');
    }
  });

  it('given Failed, then failed with the reason and message of Stalled; given Stalled otherwise, then stalled since its transition', () => {
    expect(
      decideWait(canary({ phase: 'Failed', readyMessage: 'failed checks threshold reached 2: request-success-rate 40 < 99' })),
    ).toEqual({
      state: 'failed',
      reason: 'Failed',
      message: 'failed checks threshold reached 2: request-success-rate 40 < 99',
    });
    const stalled = canary({ phase: 'Initialized' });
    stalled.status!.conditions = stalled.status!.conditions!.map((c) =>
      c.type === 'Stalled' ? { ...c, status: 'True', reason: 'TargetNotFound', message: 'Deployment test/podinfo not found' } : c,
    );
    expect(decideWait(stalled)).toEqual({
      state: 'stalled',
      phase: 'Initialized',
      reason: 'TargetNotFound',
      message: 'Deployment test/podinfo not found',
      since: T0 - 30_000,
    });
  });

  it('given a status older than the spec, then pending whatever the phase says', () => {
    const stale = canary({ phase: 'Failed' });
    stale.metadata.generation = 2;
    expect(decideWait(stale)).toEqual({ state: 'pending', phase: 'Failed', detail: 'the operator has not observed generation 2 yet' });
    const readyStale = canary({ phase: 'Succeeded' });
    readyStale.status!.conditions = readyStale.status!.conditions!.map((c) => ({ ...c, observedGeneration: 0 }));
    expect(decideWait(readyStale).state).toBe('pending');
  });

  it('given no status yet, then pending', () => {
    const fresh = canary();
    delete fresh.status;
    expect(decideWait(fresh)).toEqual({ state: 'pending', phase: 'Initializing', detail: 'the operator has not reported a status yet' });
  });

  it('given Ready=True but the promoted revision is not the one under analysis, then pending', () => {
    const c = canary({ phase: 'Succeeded', status: { lastAppliedSpec: 'rev3', lastPromotedSpec: 'rev2' } });
    c.status!.conditions = c.status!.conditions!.map((x) => (x.type === 'Ready' ? { ...x, status: 'True' } : x));
    expect(decideWait(c).state).toBe('pending');
  });

  it('given a target revision the status does not show yet, then pending even on a final-looking status', () => {
    const ctx = { targetRevision: 'rev9', target: 'Deployment/podinfo' };
    expect(decideWait(canary({ phase: 'Succeeded' }), ctx)).toEqual({
      state: 'pending',
      phase: 'Succeeded',
      detail: 'the operator has not picked up revision rev9 of Deployment/podinfo yet',
    });
    expect(decideWait(canary({ phase: 'Failed' }), ctx).state).toBe('pending');
    expect(decideWait(canary({ phase: 'Succeeded' }), { targetRevision: 'rev2' }).state).toBe('promoted');
  });
});

describe('checkRequest: requests that make sense for the phase', () => {
  it.each<[string, Phase, string]>([
    ['promote', 'Progressing', 'ok'],
    ['promote', 'WaitingPromotion', 'ok'],
    ['promote', 'Succeeded', 'refuse'],
    ['promote', 'Failed', 'refuse'],
    ['promote', 'Promoting', 'refuse'],
    ['promote', 'Waiting', 'refuse'],
    ['abort', 'Progressing', 'ok'],
    ['abort', 'Initialized', 'refuse'],
    ['abort', 'Finalising', 'refuse'],
    ['retry', 'Failed', 'ok'],
    ['retry', 'Progressing', 'refuse'],
    ['retry', 'Succeeded', 'refuse'],
    ['pause', 'Progressing', 'ok'],
    ['pause', 'Succeeded', 'ok'],
    ['resume', 'Progressing', 'noop'],
  ])('given %s when %s, then %s', (kind, phase, verdict) => {
    expect(checkRequest(kind as never, canary({ phase })).verdict).toBe(verdict);
  });

  it('given refusals, then a reason that names the phase and what would make sense', () => {
    expect(checkRequest('promote', canary({ phase: 'Succeeded' }))).toEqual({
      verdict: 'refuse',
      why: 'podinfo is Succeeded: no run in progress to promote',
    });
    expect(checkRequest('abort', canary({ phase: 'Promoting' }))).toEqual({
      verdict: 'refuse',
      why: 'podinfo is Promoting: the revision is already being promoted, too late to abort',
    });
    expect(checkRequest('retry', canary({ phase: 'Progressing' }))).toEqual({
      verdict: 'refuse',
      why: 'podinfo is Progressing: retry runs a Failed revision again, and podinfo has not failed',
    });
  });

  it('given pause and resume, then they follow the annotation', () => {
    const paused = canary({ phase: 'Progressing', annotations: { 'tollgate.dev/paused': 'true' } });
    expect(checkRequest('pause', paused)).toEqual({ verdict: 'noop', why: 'podinfo is already paused' });
    expect(checkRequest('resume', paused)).toEqual({ verdict: 'ok' });
    expect(checkRequest('pause', canary({ phase: 'Succeeded' }))).toEqual({
      verdict: 'ok',
      note: 'no analysis is running (Succeeded): the next run will hold at its start until resumed',
    });
  });
});

describe('acknowledged', () => {
  it('given one-shot requests, then the operator has recorded the value in status.handledRequests', () => {
    const c = canary({ phase: 'Promoting', status: { handledRequests: { promote: 'v1' } } });
    expect(acknowledged('promote', c, 'v1')).toBe(true);
    expect(acknowledged('promote', c, 'v2')).toBe(false);
    expect(acknowledged('abort', c, 'v1')).toBe(false);
  });

  it('given pause and resume, then the Ready reason says Paused, or no longer does (whatever the message says)', () => {
    const paused = canary({ phase: 'Progressing', paused: true, readyMessage: 'held at canary weight 20' });
    const steps = canary({ phase: 'Progressing', readyMessage: 'checks pass; canary weight 20 held 5s more (analysis.steps pause)' });
    expect([acknowledged('pause', paused, 'true'), acknowledged('resume', paused, 'false')]).toEqual([true, false]);
    expect([acknowledged('pause', steps, 'true'), acknowledged('resume', steps, 'false')]).toEqual([false, true]);
  });
});

describe('Events of a Canary', () => {
  it('given Events, then those about this Canary, oldest first, and of the current run', () => {
    const c = canary({ status: { runStartTime: iso(T0) } });
    const before = event('Synced', 'init', T0 - 60_000);
    const repeated = event('Halted', 'x', T0 - 50_000, { last: T0 + 5000 });
    const during = event('Advanced', 'y', T0 + 3000, { uid: 'uid-1' });
    const other = event('Advanced', 'z', T0, { canary: 'other' });
    expect(sortEvents([during, before, repeated]).map((e) => e.reason)).toEqual(['Synced', 'Halted', 'Advanced']);
    expect(eventsOfRun(c, [before, repeated, during]).map((e) => e.reason)).toEqual(['Halted', 'Advanced']);
    expect([other, during].filter((e) => isAbout(e, 'podinfo', 'uid-1')).map((e) => e.message)).toEqual(['y']);
    expect(isAbout(during, 'podinfo', 'another-uid')).toBe(false);
  });
});
