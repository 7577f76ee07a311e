import { CONDITION_TYPES } from '@tollgate/contract/conditions';
import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import type { CheckResult, Judgement, SloEvaluation } from '../../api/types.js';
import { analysisOf } from '../../core/analysis.js';
import { newlyFailing } from '../../core/pods.js';
import { checksWith } from '../../core/checks.js';
import { JUDGE_CHECK, judgementCheck } from '../../judge/verdict.js';
import { SLO_CHECK, sloCheck } from '../../slo/gate.js';
import { boundedMessage } from '../../core/conditions.js';
import { dueAt } from '../../core/schedule.js';
import { decideStep, type StepOutcome } from '../../core/steps.js';
import { failingMetricOf } from '../../alerts/index.js';
import { rollbackRequested, runHooks } from '../webhook-calls.js';
import { discardInapplicable, handled, isPaused, pendingRequest } from '../requests.js';
import { alert, event, stepEvent, then, type AlertNote, type EventNote, type Transition } from '../transition.js';
import type { ReadyTurn } from '../turn.js';
import { readinessOf } from '../pod-report.js';
import { runStartDetail, runStartStatus } from './idle.js';
import { rollback } from './rollback.js';
import { podAlternation, type RevisionVars } from '../../metrics/render.js';
import { waitingFor, waitProgress } from '../wait-progress.js';

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
  const due = dueAt(turn.schedule, turn.status.lastAnalysisTime);
  if (due !== undefined && due > turn.now) return { detail: betweenSteps(turn), requeueAfterMs: due - turn.now };
  // Lag from the Canary's own schedule. The first step of a run waits for the canary's pods, not for the operator.
  const first = turn.status.lastAnalysisTime === turn.status.runStartTime;
  if (due !== undefined && !first) turn.deps.metrics.tickLag.observe((turn.now - due) / 1000);
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

/**
 * Undefined once the canary is ready; else waiting for it (the reason names the pods that do not serve and why), or
 * a rollback past the progress deadline saying which replicas were missing and why.
 */
function awaitCanary(turn: ReadyTurn): Transition | undefined {
  const ready = readinessOf(turn, 'canary');
  if (ready.ready) return undefined;
  const started = Date.parse(turn.status.runStartTime ?? '') || turn.now;
  const left = started + turn.analysis.progressDeadlineMs - turn.now;
  if (ready.fatal || left <= 0) {
    const within = ready.fatal ? '' : ` within progressDeadlineSeconds (${turn.analysis.progressDeadlineMs / 1000}s)`;
    const why = `canary ${turn.info.name} not ready${within}: ${ready.reason}`;
    return rollback(turn, why, alert('ProgressDeadlineExceeded', { detail: why }));
  }
  const requeueAfterMs = Math.min(left, turn.analysis.intervalMs);
  // A pod that fails (not one still starting) is told by an Event, and at once, when the Ready condition does not name it yet.
  const told = turn.canary.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready)?.message ?? '';
  const failing = newlyFailing(ready.problems ?? [], told);
  if (failing.length > 0) {
    const events = [event('Warning', 'CanaryNotReady', `canary ${turn.info.name} not ready: ${failing.join('; ')}`)];
    return { detail: `${waitingFor(turn.info.name)}${ready.reason}`, requeueAfterMs, events };
  }
  const { detail, refreshInMs } = waitProgress(
    turn,
    turn.info.name,
    ready.reason,
    runStartDetail(turn.status.lastAppliedSpec ?? turn.info.revision),
  );
  return { detail, requeueAfterMs: Math.min(requeueAfterMs, refreshInMs ?? Infinity) };
}

/**
 * The detail of a turn between two steps: the one the last step told (its weight, what holds or halts it), kept so
 * that a reconcile between steps (a Deployment's status changed, say) writes no status. A wait for the canary that
 * is over, or a pause that ended, gives way to the weight reached.
 */
function betweenSteps(turn: ReadyTurn): string {
  const told = turn.toldDetail;
  if (told !== undefined && !told.startsWith(waitingFor(turn.info.name))) return told;
  const s = turn.status;
  if ((s.iterations ?? 0) === 0) return runStartDetail(s.lastAppliedSpec ?? turn.info.revision);
  return weightDetail(s.canaryWeight ?? 0, s.mirrored ?? false);
}

const weightDetail = (weight: number, mirrored: boolean): string => `canary weight ${weight}${mirrored ? ', mirrored' : ''}`;

/** One analysis step, timed (flagger_canary_duration_seconds: Flagger times its analysis the same way). */
async function step(turn: ReadyTurn): Promise<Transition> {
  const started = performance.now();
  try {
    return await analysisStep(turn);
  } finally {
    turn.deps.metrics.observeAnalysisStep(turn.canary, (performance.now() - started) / 1000);
  }
}

async function analysisStep(turn: ReadyTurn): Promise<Transition> {
  const { checks, judgement, slo } = await measure(turn);
  turn.deps.metrics.observeChecks(turn.canary, checks);
  if (slo) turn.deps.metrics.observeSlo(turn.canary, slo);
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
  const now = new Date(turn.now).toISOString();
  const measured: Transition = {
    status: {
      lastChecks,
      lastAnalysisTime: now,
      ...(judgement ? { lastJudgement: judgement } : {}),
      ...(slo ? { lastSLO: { ...slo, message: boundedMessage(slo.message) } } : {}),
      // The first step exposes the canary: the SLO gate's long window starts here.
      ...((s.iterations ?? 0) === 0 ? { trafficStartTime: now } : {}),
    },
    events: dryRunEvents(lastChecks),
  };
  return then(measured, await decided(turn, outcome, lastChecks));
}

/** The first step runs the pre-rollout hooks; every later one the rollout hooks, then the metrics, the judge and the SLO gate. */
async function measure(turn: ReadyTurn): Promise<{ checks: CheckResult[]; judgement?: Judgement; slo?: SloEvaluation }> {
  const first = (turn.status.iterations ?? 0) === 0;
  const hooks = await runHooks(turn, first ? 'pre-rollout' : 'rollout');
  if (!hooks.ok) return { checks: [{ name: hooks.hook.name, ok: false, reason: 'WebhookFailed', message: hooks.message }] };
  if (first) return { checks: [] };
  const s = turn.status;
  const trafficStartMs = Date.parse(s.trafficStartTime ?? s.runStartTime ?? '') || turn.now;
  const [checks, judged, slo] = await Promise.all([
    turn.deps.analyzer.check(turn.canary, turn.provider, turn.outbound, revisionVars(turn)),
    turn.deps.analyzer.judge(turn.canary, turn.outbound, turn.now),
    turn.deps.analyzer.slo(turn.canary, { intervalMs: turn.analysis.intervalMs, trafficStartMs, nowMs: turn.now }, turn.outbound),
  ]);
  const analysis = analysisOf(turn.canary.spec);
  const out: { checks: CheckResult[]; judgement?: Judgement; slo?: SloEvaluation } = { checks: [...checks] };
  if (judged && 'error' in judged)
    out.checks.push({ name: JUDGE_CHECK, ok: false, reason: 'ProviderError', message: `judge: ${judged.error}` });
  else if (judged) {
    out.checks.push(judgementCheck(judged, analysis.judge?.onNoData));
    out.judgement = judged;
  }
  if (slo && 'error' in slo) out.checks.push({ name: SLO_CHECK, ok: false, reason: slo.reason, message: `slo: ${slo.error}` });
  else if (slo) {
    out.checks.push(sloCheck(slo, analysis.slo?.onNoData));
    out.slo = slo;
  }
  return out;
}

/** An in-place target's two revisions and their pods, for the metric templates; undefined for a primary copy. */
function revisionVars(turn: ReadyTurn): RevisionVars | undefined {
  const r = turn.info.controllerRevisions;
  if (!r) return undefined;
  return {
    canaryRevision: r.update,
    primaryRevision: r.current,
    canaryPods: podAlternation(r.updatePods),
    primaryPods: podAlternation(r.currentPods),
  };
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
        events: stepEvent(turn.deps.eventsPerStep, 'Normal', 'Holding', `Holding canary weight ${weight}: ${describe(outcome.halted)}`),
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
  const told = checks.filter((c) => (c.name === JUDGE_CHECK || c.name === SLO_CHECK) && c.ok && c.message).map((c) => `; ${c.message}`);
  const text = `Advance ${turn.info.name} canary weight ${weight}${mirrored ? ' (mirroring)' : ''}${checksText(checks)}${told.join('')}`;
  return {
    status: { ...moved, phase: 'Progressing', canaryWeight: weight, mirrored, iterations: (s.iterations ?? 0) + 1 },
    detail: weightDetail(weight, mirrored),
    events: stepEvent(turn.deps.eventsPerStep, 'Normal', 'Advanced', text),
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

/** What the promotion tells while the primary takes the revision (the opening of the wait for it). */
export const promotionDetail = (turn: ReadyTurn, revision: string): string =>
  turn.target.model === 'in-place'
    ? `moving every pod of ${turn.info.name} to revision ${revision}`
    : `copying revision ${revision} to ${turn.info.primaryName}`;

/** The promotion itself: Promoting at the weight reached, the analysed revision copied to the primary. */
function promotion(turn: ReadyTurn, weight: number, why: string): Transition {
  const inPlace = turn.target.model === 'in-place';
  return {
    status: { phase: 'Promoting', canaryWeight: weight, mirrored: false },
    detail: promotionDetail(turn, turn.info.revision),
    events: [
      event(
        'Normal',
        'Promoting',
        inPlace
          ? `${why}: moving every pod of ${turn.info.name} to it (partition 0)`
          : `${why}: copying ${turn.info.name} template to ${turn.info.primaryName}`,
      ),
    ],
    promote: true,
    requeueAfterMs: turn.nextTickIn(),
  };
}

const describe = (failed: CheckResult[]): string => failed.map((c) => c.message ?? `${c.name} failed`).join('; ');

const checkText = (c: CheckResult): string =>
  `${c.name}=${c.value === undefined ? '-' : Number(c.value.toFixed(3))}${c.dryRun ? ` (dry-run ${c.ok ? 'ok' : 'failed'})` : ''}`;
const checksText = (checks: CheckResult[]): string => (checks.length ? ` (${checks.map(checkText).join(', ')})` : '');

/** A dry-run metric that fails is told in an Event of its own at every step; it is never counted. */
const dryRunEvents = (checks: CheckResult[]): EventNote[] => {
  const failed = checksWith(checks, 'dry-run-failed');
  return failed.length ? [event('Warning', 'DryRunCheckFailed', `Dry-run checks failed (not counted): ${describe(failed)}`)] : [];
};

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
