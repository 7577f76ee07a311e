import type { Condition, Phase } from '../src/api/types.js';
import { boundedMessage, canaryConditions, MAX_MESSAGE, setCondition, type ConditionInput } from '../src/core/conditions.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';
const T2 = '2026-01-01T00:10:00Z';

const byType = (conditions: Condition[]): Record<string, Condition> => Object.fromEntries(conditions.map((c) => [c.type, c]));
const summary = (conditions: Condition[]): Record<string, string> =>
  Object.fromEntries(conditions.map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('canaryConditions per phase', () => {
  // phase, upToDate => Ready, Reconciling, Stalled, Promoted
  it.each<[Phase, boolean, string, string, string, string]>([
    ['', true, 'False/Initializing', 'True/Initializing', 'False/Healthy', 'Unknown/Initializing'],
    ['Initializing', true, 'False/Initializing', 'True/Initializing', 'False/Healthy', 'Unknown/Initializing'],
    ['Initialized', true, 'True/Initialized', 'False/Idle', 'False/Healthy', 'True/Initialized'],
    ['Initialized', false, 'False/NewRevision', 'True/Initialized', 'False/Healthy', 'True/Initialized'],
    ['Waiting', true, 'False/Waiting', 'True/Waiting', 'False/Healthy', 'Unknown/Waiting'],
    ['Progressing', false, 'False/Progressing', 'True/Progressing', 'False/Healthy', 'Unknown/Progressing'],
    ['WaitingPromotion', false, 'False/WaitingPromotion', 'True/WaitingPromotion', 'False/Healthy', 'Unknown/WaitingPromotion'],
    ['Promoting', false, 'False/Promoting', 'True/Promoting', 'False/Healthy', 'Unknown/Promoting'],
    ['Finalising', true, 'False/Finalising', 'True/Finalising', 'False/Healthy', 'Unknown/Finalising'],
    ['Succeeded', true, 'True/Succeeded', 'False/Idle', 'False/Healthy', 'True/Succeeded'],
    ['Succeeded', false, 'False/NewRevision', 'True/Succeeded', 'False/Healthy', 'True/Succeeded'],
    ['Failed', false, 'False/Failed', 'False/Idle', 'True/Failed', 'False/Failed'],
    ['Failed', true, 'False/Failed', 'False/Idle', 'True/Failed', 'False/Failed'],
    ['Terminating', true, 'False/Terminating', 'True/Terminating', 'False/Healthy', 'Unknown/Terminating'],
    ['Terminated', true, 'False/Terminated', 'False/Idle', 'False/Healthy', 'Unknown/Terminated'],
  ])(
    'given phase %p with upToDate %p, then Ready %s, Reconciling %s, Stalled %s, Promoted %s',
    (phase, upToDate, ready, reconciling, stalled, promoted) => {
      const out = canaryConditions([], { phase, generation: 4, upToDate }, T0);
      expect(summary(out)).toEqual({
        Ready: ready,
        Reconciling: reconciling,
        Stalled: stalled,
        Promoted: promoted,
        Supported: 'True/AllFieldsSupported',
      });
      expect(out.map((c) => c.type)).toEqual(['Ready', 'Reconciling', 'Stalled', 'Promoted', 'Supported']);
      for (const c of out) expect(c).toMatchObject({ observedGeneration: 4, lastTransitionTime: T0 });
    },
  );

  it('given a new canary, then the messages describe what happens', () => {
    const c = byType(canaryConditions([], { phase: '', generation: 1, upToDate: false }, T0));
    expect(c.Ready!.message).toBe('canary is initializing');
    expect(c.Reconciling!.message).toBe('release in progress');
    expect(c.Stalled!.message).toBe('not stalled');
    expect(c.Promoted!.message).toBe('canary is initializing');
    expect(c.Supported!.message).toBe('every field of the spec is acted upon');
  });

  it('given a detail, then Ready and Reconciling carry it', () => {
    const c = byType(canaryConditions([], { phase: 'Progressing', generation: 1, upToDate: false, detail: 'advanced to 20%' }, T0));
    expect(c.Ready!.message).toBe('advanced to 20%');
    expect(c.Reconciling!.message).toBe('advanced to 20%');
    expect(c.Promoted!.message).toBe('canary is progressing');
  });

  it('given a failed run with a detail, then Ready and Stalled explain the failure', () => {
    const c = byType(canaryConditions([], { phase: 'Failed', generation: 1, upToDate: false, detail: 'request-success-rate 80 < 99' }, T0));
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Failed', message: 'request-success-rate 80 < 99' });
    expect(c.Stalled).toMatchObject({ status: 'True', reason: 'Failed', message: 'request-success-rate 80 < 99' });
    expect(c.Promoted).toMatchObject({ status: 'False', message: 'canary rolled back' });
  });

  it('given a blocked Canary whose message quotes a huge name, then every message stays within MAX_MESSAGE and says how much was cut', () => {
    const huge = `Deployment ${'x'.repeat(600_000)} not found`;
    const out = canaryConditions(
      [],
      { phase: '', generation: 1, upToDate: true, blocked: { reason: 'TargetNotFound', message: huge } },
      T0,
    );
    for (const c of out) expect((c.message ?? '').length).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(byType(out).Stalled!.message).toMatch(/^Deployment xxx.*… \(\d+ more characters\)$/);
    expect(boundedMessage(huge).length).toBe(MAX_MESSAGE - 40 + `… (${huge.length - MAX_MESSAGE + 40} more characters)`.length);
    expect(boundedMessage('short')).toBe('short');
  });

  it('given a failed run without detail, then the default message says it was rolled back', () => {
    const c = byType(canaryConditions([], { phase: 'Failed', generation: 1, upToDate: false }, T0));
    expect(c.Ready!.message).toBe('the canary was rolled back');
    expect(c.Stalled!.message).toBe('the canary was rolled back');
  });

  it.each<Phase>(['Progressing', 'Succeeded', 'Initialized', ''])(
    'given a blocked canary in phase %p, then Ready is False and Stalled True with the blocking reason, and nothing reconciles',
    (phase) => {
      const blocked = { reason: 'InvalidSpec', message: 'spec.service is required' };
      const c = byType(canaryConditions([], { phase, generation: 2, upToDate: true, blocked }, T0));
      expect(c.Ready).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: 'spec.service is required' });
      expect(c.Stalled).toMatchObject({ status: 'True', reason: 'InvalidSpec', message: 'spec.service is required' });
      expect(c.Reconciling).toMatchObject({ status: 'False', reason: 'Idle' });
    },
  );

  it('given a notice, then Supported is False with it and the release is otherwise unaffected', () => {
    const notice = { reason: 'UnsupportedFields', message: 'spec.analysis.alerts are not delivered yet' };
    const c = byType(canaryConditions([], { phase: 'Succeeded', generation: 1, upToDate: true, notice }, T0));
    expect(c.Supported).toMatchObject({ status: 'False', reason: 'UnsupportedFields', message: notice.message });
    expect(c.Ready!.status).toBe('True');
  });
});

describe('canaryConditions over time', () => {
  const input = (i: Partial<ConditionInput>): ConditionInput => ({ phase: 'Progressing', generation: 1, upToDate: false, ...i });

  it('given the same statuses later, then lastTransitionTime is kept while reason and message are updated', () => {
    const first = canaryConditions([], input({ phase: 'Progressing', detail: 'advanced to 10%' }), T0);
    const second = canaryConditions(first, input({ phase: 'WaitingPromotion', detail: 'waiting for approval', generation: 2 }), T1);
    const c = byType(second);
    expect(c.Ready).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'WaitingPromotion',
      message: 'waiting for approval',
      observedGeneration: 2,
      lastTransitionTime: T0,
    });
    expect(second.every((x) => x.lastTransitionTime === T0)).toBe(true);
  });

  it('given a status change, then only the changed conditions get the new lastTransitionTime', () => {
    const progressing = canaryConditions([], input({ phase: 'Progressing' }), T0);
    const succeeded = canaryConditions(progressing, input({ phase: 'Succeeded', upToDate: true }), T1);
    const c = byType(succeeded);
    expect(c.Ready).toMatchObject({ status: 'True', lastTransitionTime: T1 });
    expect(c.Reconciling).toMatchObject({ status: 'False', lastTransitionTime: T1 });
    expect(c.Promoted).toMatchObject({ status: 'True', lastTransitionTime: T1 });
    expect(c.Stalled).toMatchObject({ status: 'False', lastTransitionTime: T0 });
    expect(c.Supported).toMatchObject({ status: 'True', lastTransitionTime: T0 });
    const again = byType(canaryConditions(succeeded, input({ phase: 'Succeeded', upToDate: true }), T2));
    expect(again.Ready!.lastTransitionTime).toBe(T1);
  });

  it('given unrelated conditions in the prior list, then they are kept in place and ours are appended once', () => {
    const foreign: Condition = { type: 'Custom', status: 'True', reason: 'X', lastTransitionTime: T0 };
    const out = canaryConditions([foreign], input({}), T1);
    const again = canaryConditions(out, input({}), T2);
    expect(again.map((c) => c.type)).toEqual(['Custom', 'Ready', 'Reconciling', 'Stalled', 'Promoted', 'Supported']);
    expect(again[0]).toBe(foreign);
  });

  it('given a prior list, then it is not mutated', () => {
    const prior = canaryConditions([], input({}), T0);
    const snapshot = JSON.parse(JSON.stringify(prior)) as Condition[];
    canaryConditions(prior, input({ phase: 'Failed' }), T1);
    expect(JSON.parse(JSON.stringify(prior))).toEqual(snapshot);
  });
});

describe('setCondition', () => {
  it('given a prior condition of the same status without lastTransitionTime, then now is used', () => {
    const out = setCondition([{ type: 'Ready', status: 'True' }], { type: 'Ready', status: 'True', reason: 'R' }, T1);
    expect(out).toEqual([{ type: 'Ready', status: 'True', reason: 'R', lastTransitionTime: T1 }]);
  });

  it('given a lastTransitionTime on the new condition, then it is replaced by the computed one', () => {
    const out = setCondition(
      [{ type: 'Ready', status: 'False', lastTransitionTime: T0 }],
      { type: 'Ready', status: 'False', lastTransitionTime: T2 },
      T1,
    );
    expect(out[0]!.lastTransitionTime).toBe(T0);
  });

  it('given Unknown turning into True, then the transition time moves', () => {
    const out = setCondition([{ type: 'Promoted', status: 'Unknown', lastTransitionTime: T0 }], { type: 'Promoted', status: 'True' }, T1);
    expect(out[0]!.lastTransitionTime).toBe(T1);
  });
});

describe('MetricsAvailable', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const input = { phase: 'Progressing' as const, generation: 1, upToDate: false };
  it('given no checks yet, then there is no MetricsAvailable condition', () => {
    expect(canaryConditions([], input, at).find((c) => c.type === 'MetricsAvailable')).toBeUndefined();
  });

  it('given an unreachable provider, then MetricsAvailable is False with its reason and message', () => {
    const checks = [{ name: 'rate', ok: false, reason: 'ProviderError', message: 'rate: prometheus: unreachable' }];
    expect(canaryConditions([], { ...input, checks }, at).find((c) => c.type === 'MetricsAvailable')).toMatchObject({
      status: 'False',
      reason: 'ProviderError',
      message: 'rate: prometheus: unreachable',
    });
  });

  it('given checks that were measured (passing or not), then MetricsAvailable is True', () => {
    const checks = [
      { name: 'rate', ok: false, value: 80, min: 99, reason: 'BelowMin' },
      { name: 'p99', ok: true, value: 3 },
    ];
    expect(canaryConditions([], { ...input, checks }, at).find((c) => c.type === 'MetricsAvailable')).toMatchObject({
      status: 'True',
      reason: 'Measured',
    });
  });
});
