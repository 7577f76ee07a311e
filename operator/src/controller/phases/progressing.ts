import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { CheckResult } from '../../api/types.js';
import { boundedMessage } from '../../core/conditions.js';
import { decideStep, untilDue, type StepOutcome } from '../../core/steps.js';
import { failingMetricOf } from '../../alerts/index.js';
import { meshCapabilities } from '../../meshes/registry.js';
import { rollbackRequested, runHooks } from '../webhook-calls.js';
import { discardInapplicable, isPaused, markHandled, pendingRequest } from '../requests.js';
import type { Run } from '../run.js';
import { startRunStatus } from './idle.js';
import { rollback } from './rollback.js';

/**
 * Progressing and WaitingPromotion: restart on a newer revision, wait for the canary to be ready (within
 * the progress deadline), then run one analysis step per interval.
 */
export async function progressing(run: Run): Promise<number | undefined> {
  if (run.info.revision !== run.status.lastAppliedSpec) {
    const previous = run.status.lastAppliedSpec;
    startRunStatus(run);
    await run.commit();
    run.event('Normal', 'NewRevision', `New revision ${run.info.revision} replaced ${previous} during the analysis: restarting it`);
    return run.a.intervalMs;
  }
  const requested = await handleRequests(run);
  if (requested !== 'none') return requested;
  if (run.a.skipAnalysis) return promote(run, run.status.canaryWeight ?? 0, 'analysis skipped (skipAnalysis)');
  const canary = await awaitCanary(run);
  if (canary !== 'ready') return canary === 'rolled-back' ? undefined : canary;
  const dueIn = untilDue(run.status.lastAnalysisTime, run.a.intervalMs, run.now);
  if (dueIn > 0) return dueIn;
  // The first step of a run waits for the canary's pods, not for the operator: not a tick lag.
  const lag = run.now - (Date.parse(run.status.lastAnalysisTime ?? '') + run.a.intervalMs);
  const first = run.status.lastAnalysisTime === run.status.runStartTime;
  if (Number.isFinite(lag) && !first) run.deps.metrics.tickLag.observe(Math.max(0, lag) / 1000);
  const byHook = await rollbackRequested(run);
  if (byHook) return rollback(run, `rollback requested by webhook ${byHook}`, ['ManualRollback', { webhook: byHook }]);
  return step(run);
}

/** abort and promote requests act at once; paused holds the analysis where it is. 'none' when there is nothing to do. */
async function handleRequests(run: Run): Promise<number | undefined | 'none'> {
  if (discardInapplicable(run, ['promote', 'abort'])) await run.commit();
  const abort = pendingRequest(run, 'abort');
  if (abort) {
    markHandled(run, 'abort', abort);
    const why = `aborted on request (${REQUEST_ANNOTATIONS.abort}=${abort})`;
    return rollback(run, why, ['ManualRollback', { detail: why }]);
  }
  const promoteNow = pendingRequest(run, 'promote');
  if (promoteNow) {
    markHandled(run, 'promote', promoteNow);
    return promote(run, run.status.canaryWeight ?? 0, `promoted on request (${REQUEST_ANNOTATIONS.promote}=${promoteNow})`, true);
  }
  if (!isPaused(run)) return 'none';
  run.paused = true;
  run.detail = `paused at canary weight ${run.status.canaryWeight ?? 0} (${REQUEST_ANNOTATIONS.paused}=true)`;
  await run.commit();
  return run.a.intervalMs;
}

/** 'ready', or how long to wait for the canary, or 'rolled-back' past the progress deadline. */
async function awaitCanary(run: Run): Promise<'ready' | 'rolled-back' | number> {
  const ready = run.target.canaryReadiness(run.canary, run.a.canaryReadyThreshold);
  if (ready.ready) return 'ready';
  const started = Date.parse(run.status.runStartTime ?? '') || run.now;
  const left = started + run.a.progressDeadlineMs - run.now;
  if (ready.fatal || left <= 0) {
    const why = `canary ${run.info.name} not ready: ${ready.reason}`;
    await rollback(run, why, ['ProgressDeadlineExceeded', { detail: why }]);
    return 'rolled-back';
  }
  run.detail = `waiting for ${run.info.name}: ${ready.reason}`;
  await run.commit();
  return Math.min(left, run.a.intervalMs);
}

async function step(run: Run): Promise<number | undefined> {
  const checks = await measure(run);
  run.deps.metrics.observeChecks(run.canary, checks);
  const s = run.status;
  const stepAgeMs = run.now - (Date.parse(s.stepStartTime ?? s.runStartTime ?? '') || run.now);
  const outcome = decideStep(
    run.a,
    {
      canaryWeight: s.canaryWeight ?? 0,
      failedChecks: s.failedChecks ?? 0,
      iterations: s.iterations ?? 0,
      mirrored: s.mirrored ?? false,
      stepAgeMs,
    },
    checks,
    meshCapabilities(run.router.provider)?.split !== false,
  );
  s.lastChecks = checks.map((c) => (c.message === undefined ? c : { ...c, message: boundedMessage(c.message) }));
  s.lastAnalysisTime = new Date(run.now).toISOString();
  return apply(run, outcome);
}

/** The first step runs the pre-rollout hooks; every later one the rollout hooks, then the metrics. */
async function measure(run: Run): Promise<CheckResult[]> {
  const first = (run.status.iterations ?? 0) === 0;
  const hooks = await runHooks(run, first ? 'pre-rollout' : 'rollout');
  if (!hooks.ok) return [{ name: hooks.hook.name, ok: false, reason: 'WebhookFailed', message: hooks.message }];
  if (first) return [];
  return run.deps.analyzer.check(run.canary, run.ctx.provider, run.outbound);
}

async function apply(run: Run, outcome: StepOutcome): Promise<number | undefined> {
  const s = run.status;
  switch (outcome.kind) {
    case 'rollback':
      s.failedChecks = outcome.failedChecks;
      return rollback(run, `failed checks threshold reached ${outcome.failedChecks}: ${describe(outcome.failed)}`, [
        'RolledBack',
        { failedChecks: outcome.failedChecks, threshold: run.a.threshold, metric: failingMetricOf(outcome.failed) },
      ]);
    case 'failed-check':
      s.failedChecks = outcome.failedChecks;
      run.detail = `halted: ${describe(outcome.failed)}`;
      await run.commit();
      run.event(
        'Warning',
        'AnalysisFailed',
        `Halt advancement (failed checks ${outcome.failedChecks}/${run.a.threshold}): ${describe(outcome.failed)}`,
      );
      alertFailures(run, outcome.failed);
      return run.a.intervalMs;
    case 'hold':
      run.detail = `holding: ${describe(outcome.halted)}`;
      await run.commit();
      run.event('Normal', 'Holding', `Holding canary weight ${s.canaryWeight ?? 0}: ${describe(outcome.halted)}`);
      return run.a.intervalMs;
    case 'pause':
      run.detail = `checks pass; canary weight ${s.canaryWeight ?? 0} held ${Math.ceil(outcome.remainingMs / 1000)}s more (analysis.steps pause)`;
      await run.commit();
      return run.a.intervalMs;
    case 'advance':
      return advance(run, outcome.canaryWeight, outcome.mirrored);
    case 'promote':
      return promote(run, outcome.canaryWeight, 'analysis passed');
  }
}

async function advance(run: Run, weight: number, mirrored: boolean): Promise<number> {
  const s = run.status;
  if (weight > (s.canaryWeight ?? 0)) {
    const gate = await runHooks(run, 'confirm-traffic-increase');
    if (!gate.ok) {
      if (!gate.hook.muteAlert) run.alert('WaitingTrafficIncrease', { webhook: gate.hook.name });
      run.detail = `confirm-traffic-increase gate ${gate.hook.name} is closed`;
      await run.commit();
      return run.a.intervalMs;
    }
  }
  if (weight !== (s.canaryWeight ?? 0)) s.stepStartTime = new Date(run.now).toISOString();
  Object.assign(s, { phase: 'Progressing', canaryWeight: weight, mirrored, iterations: (s.iterations ?? 0) + 1 });
  run.detail = `canary weight ${weight}${mirrored ? ', mirrored' : ''}`;
  await run.commit();
  run.event(
    'Normal',
    'Advanced',
    `Advance ${run.info.name} canary weight ${weight}${mirrored ? ' (mirroring)' : ''}${checksText(s.lastChecks)}`,
  );
  return run.a.intervalMs;
}

/** Promotes after the confirm-promotion gates; an explicit promote request (force) is its own approval. */
async function promote(run: Run, weight: number, why: string, force = false): Promise<number> {
  const gate = force ? { ok: true as const } : await runHooks(run, 'confirm-promotion');
  if (!gate.ok) {
    if (run.phase !== 'WaitingPromotion') {
      run.event('Normal', 'WaitingPromotion', `Waiting for promotion approval: ${gate.message}`);
      if (!gate.hook.muteAlert) run.alert('WaitingPromotion', { webhook: gate.hook.name });
    }
    run.status.phase = 'WaitingPromotion';
    run.detail = `confirm-promotion gate ${gate.hook.name} is closed`;
    await run.commit();
    return run.a.intervalMs;
  }
  Object.assign(run.status, { phase: 'Promoting', canaryWeight: weight, mirrored: false });
  run.detail = `copying revision ${run.info.revision} to ${run.info.primaryName}`;
  await run.commit();
  run.event('Normal', 'Promoting', `${why}: copying ${run.info.name} template to ${run.info.primaryName}`);
  await run.target.promote(run.canary, run.info, run.signal);
  return run.a.intervalMs;
}

const describe = (failed: CheckResult[]): string => failed.map((c) => c.message ?? `${c.name} failed`).join('; ');

const checksText = (checks: CheckResult[] | undefined): string =>
  checks?.length ? ` (${checks.map((c) => `${c.name}=${c.value === undefined ? '-' : Number(c.value.toFixed(3))}`).join(', ')})` : '';

/** Webhook and metric-provider failures are alerted when they happen, not only when they end the run (Flagger #1663). */
function alertFailures(run: Run, failed: CheckResult[]): void {
  for (const c of failed) {
    if (c.reason === 'WebhookFailed') run.alert('HookFailed', { webhook: c.name, detail: c.message ?? '' });
    else if (c.reason === 'ProviderError' || c.reason === 'MultipleSeries')
      run.alert('MetricProviderError', { metric: failingMetricOf([c]), detail: c.message ?? '' });
  }
}
