import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { CheckResult } from '../../api/types.js';
import { boundedMessage } from '../../core/conditions.js';
import { dueAt, untilTick } from '../../core/schedule.js';
import { decideStep, type StepOutcome } from '../../core/steps.js';
import { failingMetricOf } from '../../alerts/index.js';
import { rollbackRequested, runHooks } from '../webhook-calls.js';
import { discardInapplicable, handled, isPaused, pendingRequest } from '../requests.js';
import { alert, event, then, type AlertNote, type Transition } from '../transition.js';
import type { ReadyTurn } from '../turn.js';
import { runStartStatus } from './idle.js';
import { rollback } from './rollback.js';

/**
 * Progressing and WaitingPromotion: restart on a newer revision, wait for the canary to be ready (within
 * the progress deadline), then run one analysis step per interval.
 */
export async function progressing(turn: ReadyTurn): Promise<Transition> {
  if (turn.info.revision !== turn.status.lastAppliedSpec) {
    const previous = turn.status.lastAppliedSpec;
    return {
      status: runStartStatus(turn),
      events: [
        event('Normal', 'NewRevision', `New revision ${turn.info.revision} replaced ${previous} during the analysis: restarting it`),
      ],
      requeueAfterMs: turn.nextTickIn(),
    };
  }
  return then(discardInapplicable(turn, ['promote', 'abort']), await analyse(turn));
}

async function analyse(turn: ReadyTurn): Promise<Transition> {
  const requested = handleRequests(turn);
  if (requested) return requested;
  if (turn.analysis.skipAnalysis) return promote(turn, turn.status.canaryWeight ?? 0, 'analysis skipped (skipAnalysis)');
  const waiting = awaitCanary(turn);
  if (waiting) return waiting;
  const dueIn = untilTick(turn.schedule, turn.status.lastAnalysisTime, turn.now);
  if (dueIn > 0) return { requeueAfterMs: dueIn };
  // Lag from the Canary's own schedule. The first step of a run waits for the canary's pods, not for the operator.
  const lag = turn.now - (dueAt(turn.schedule, turn.status.lastAnalysisTime) ?? NaN);
  const first = turn.status.lastAnalysisTime === turn.status.runStartTime;
  if (Number.isFinite(lag) && !first) turn.deps.metrics.tickLag.observe(Math.max(0, lag) / 1000);
  const byHook = await rollbackRequested(turn);
  if (byHook) return rollback(turn, `rollback requested by webhook ${byHook}`, alert('ManualRollback', { webhook: byHook }));
  return step(turn);
}

/** abort and promote requests act at once; paused holds the analysis where it is. Undefined when there is none. */
function handleRequests(turn: ReadyTurn): Transition | undefined {
  const abort = pendingRequest(turn, 'abort');
  if (abort) {
    const why = `aborted on request (${REQUEST_ANNOTATIONS.abort}=${abort})`;
    return then(handled('abort', abort), rollback(turn, why, alert('ManualRollback', { detail: why })));
  }
  const promoteNow = pendingRequest(turn, 'promote');
  if (promoteNow) {
    const why = `promoted on request (${REQUEST_ANNOTATIONS.promote}=${promoteNow})`;
    // An explicit promote request is its own approval: no confirm-promotion gate.
    return then(handled('promote', promoteNow), promotion(turn, turn.status.canaryWeight ?? 0, why));
  }
  if (!isPaused(turn)) return undefined;
  const detail = `paused at canary weight ${turn.status.canaryWeight ?? 0} (${REQUEST_ANNOTATIONS.paused}=true)`;
  return { paused: true, detail, requeueAfterMs: turn.nextTickIn() };
}

/** Undefined once the canary is ready; else waiting for it, or a rollback past the progress deadline. */
function awaitCanary(turn: ReadyTurn): Transition | undefined {
  const ready = turn.target.canaryReadiness(turn.canary, turn.analysis.canaryReadyThreshold);
  if (ready.ready) return undefined;
  const started = Date.parse(turn.status.runStartTime ?? '') || turn.now;
  const left = started + turn.analysis.progressDeadlineMs - turn.now;
  if (ready.fatal || left <= 0) {
    const why = `canary ${turn.info.name} not ready: ${ready.reason}`;
    return rollback(turn, why, alert('ProgressDeadlineExceeded', { detail: why }));
  }
  return { detail: `waiting for ${turn.info.name}: ${ready.reason}`, requeueAfterMs: Math.min(left, turn.analysis.intervalMs) };
}

async function step(turn: ReadyTurn): Promise<Transition> {
  const checks = await measure(turn);
  turn.deps.metrics.observeChecks(turn.canary, checks);
  const s = turn.status;
  const stepAgeMs = turn.now - (Date.parse(s.stepStartTime ?? s.runStartTime ?? '') || turn.now);
  const outcome = decideStep(
    turn.analysis,
    {
      canaryWeight: s.canaryWeight ?? 0,
      failedChecks: s.failedChecks ?? 0,
      iterations: s.iterations ?? 0,
      mirrored: s.mirrored ?? false,
      stepAgeMs,
    },
    checks,
  );
  const lastChecks = checks.map((c) => (c.message === undefined ? c : { ...c, message: boundedMessage(c.message) }));
  const measured: Transition = { status: { lastChecks, lastAnalysisTime: new Date(turn.now).toISOString() } };
  return then(measured, await decided(turn, outcome, lastChecks));
}

/** The first step runs the pre-rollout hooks; every later one the rollout hooks, then the metrics. */
async function measure(turn: ReadyTurn): Promise<CheckResult[]> {
  const first = (turn.status.iterations ?? 0) === 0;
  const hooks = await runHooks(turn, first ? 'pre-rollout' : 'rollout');
  if (!hooks.ok) return [{ name: hooks.hook.name, ok: false, reason: 'WebhookFailed', message: hooks.message }];
  if (first) return [];
  return turn.deps.analyzer.check(turn.canary, turn.provider, turn.outbound);
}

async function decided(turn: ReadyTurn, outcome: StepOutcome, checks: CheckResult[]): Promise<Transition> {
  const weight = turn.status.canaryWeight ?? 0;
  switch (outcome.kind) {
    case 'rollback': {
      const why = `failed checks threshold reached ${outcome.failedChecks}: ${describe(outcome.failed)}`;
      const ctx = { failedChecks: outcome.failedChecks, threshold: turn.analysis.threshold, metric: failingMetricOf(outcome.failed) };
      return then({ status: { failedChecks: outcome.failedChecks } }, rollback(turn, why, alert('RolledBack', ctx)));
    }
    case 'failed-check': {
      const what = `(failed checks ${outcome.failedChecks}/${turn.analysis.threshold}): ${describe(outcome.failed)}`;
      return {
        status: { failedChecks: outcome.failedChecks },
        detail: `halted: ${describe(outcome.failed)}`,
        events: [event('Warning', 'AnalysisFailed', `Halt advancement ${what}`)],
        alerts: failureAlerts(outcome.failed),
        requeueAfterMs: turn.nextTickIn(),
      };
    }
    case 'hold':
      return {
        detail: `holding: ${describe(outcome.halted)}`,
        events: [event('Normal', 'Holding', `Holding canary weight ${weight}: ${describe(outcome.halted)}`)],
        requeueAfterMs: turn.nextTickIn(),
      };
    case 'pause': {
      const left = Math.ceil(outcome.remainingMs / 1000);
      return {
        detail: `checks pass; canary weight ${weight} held ${left}s more (analysis.steps pause)`,
        requeueAfterMs: turn.nextTickIn(),
      };
    }
    case 'advance':
      return advance(turn, outcome.canaryWeight, outcome.mirrored, checks);
    case 'promote':
      return promote(turn, outcome.canaryWeight, 'analysis passed');
  }
}

async function advance(turn: ReadyTurn, weight: number, mirrored: boolean, checks: CheckResult[]): Promise<Transition> {
  const s = turn.status;
  const current = s.canaryWeight ?? 0;
  if (weight > current) {
    const gate = await runHooks(turn, 'confirm-traffic-increase');
    if (!gate.ok) {
      return {
        detail: `confirm-traffic-increase gate ${gate.hook.name} is closed`,
        alerts: gate.hook.muteAlert ? [] : [alert('WaitingTrafficIncrease', { webhook: gate.hook.name })],
        requeueAfterMs: turn.nextTickIn(),
      };
    }
  }
  const moved = weight !== current ? { stepStartTime: new Date(turn.now).toISOString() } : {};
  const text = `Advance ${turn.info.name} canary weight ${weight}${mirrored ? ' (mirroring)' : ''}${checksText(checks)}`;
  return {
    status: { ...moved, phase: 'Progressing', canaryWeight: weight, mirrored, iterations: (s.iterations ?? 0) + 1 },
    detail: `canary weight ${weight}${mirrored ? ', mirrored' : ''}`,
    events: [event('Normal', 'Advanced', text)],
    requeueAfterMs: turn.nextTickIn(),
  };
}

/** Promotes once the confirm-promotion gates open. */
async function promote(turn: ReadyTurn, weight: number, why: string): Promise<Transition> {
  const gate = await runHooks(turn, 'confirm-promotion');
  if (gate.ok) return promotion(turn, weight, why);
  const entering = turn.phase !== 'WaitingPromotion';
  return {
    status: { phase: 'WaitingPromotion' },
    detail: `confirm-promotion gate ${gate.hook.name} is closed`,
    events: entering ? [event('Normal', 'WaitingPromotion', `Waiting for promotion approval: ${gate.message}`)] : [],
    alerts: entering && !gate.hook.muteAlert ? [alert('WaitingPromotion', { webhook: gate.hook.name })] : [],
    requeueAfterMs: turn.nextTickIn(),
  };
}

/** The promotion itself: Promoting at the weight reached, the analysed revision copied to the primary. */
function promotion(turn: ReadyTurn, weight: number, why: string): Transition {
  return {
    status: { phase: 'Promoting', canaryWeight: weight, mirrored: false },
    detail: `copying revision ${turn.info.revision} to ${turn.info.primaryName}`,
    events: [event('Normal', 'Promoting', `${why}: copying ${turn.info.name} template to ${turn.info.primaryName}`)],
    promote: true,
    requeueAfterMs: turn.nextTickIn(),
  };
}

const describe = (failed: CheckResult[]): string => failed.map((c) => c.message ?? `${c.name} failed`).join('; ');

const checksText = (checks: CheckResult[]): string =>
  checks.length ? ` (${checks.map((c) => `${c.name}=${c.value === undefined ? '-' : Number(c.value.toFixed(3))}`).join(', ')})` : '';

/** Webhook and metric-provider failures are alerted when they happen, not only when they end the run (Flagger #1663). */
function failureAlerts(failed: CheckResult[]): AlertNote[] {
  return failed.flatMap((c): AlertNote[] => {
    if (c.reason === 'WebhookFailed') return [alert('HookFailed', { webhook: c.name, detail: c.message ?? '' })];
    if (c.reason === 'ProviderError' || c.reason === 'MultipleSeries') {
      return [alert('MetricProviderError', { metric: failingMetricOf([c]), detail: c.message ?? '' })];
    }
    return [];
  });
}
