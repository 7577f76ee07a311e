import { CONDITION_TYPES, REASONS } from '@tollgate/contract/conditions';
import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { AlertKind } from '../alerts/index.js';
import type { Phase } from '../api/types.js';
import { resolveAnalysis } from '../core/analysis.js';
import { parsePriority } from '../core/queue.js';
import { boundedMessage, type Problem } from '../core/conditions.js';
import { validateCanary, type Capabilities } from '../core/validation.js';
import { KubeApiError } from '../kube/errors.js';
import { ResourceNotServedError } from '../kube/informer.js';
import type { WorkResult } from '../kube/work-queue.js';
import { builtinMetricProviders, supportedProviders } from '../meshes/registry.js';
import { TargetError } from '../targets/target.js';
import { TakeoverRefused } from '../kube/takeover.js';
import { targetKeyOf } from '../core/target-key.js';
import { canaryLogger } from '../util/log.js';
import type { ControllerDeps } from './deps.js';
import { applyDesired } from './desired.js';
import { commitTransition } from './committer.js';
import { idle } from './phases/idle.js';
import { initialize } from './phases/initialize.js';
import { progressing } from './phases/progressing.js';
import { finalising, promoting } from './phases/promoting.js';
import { ReadyTurn, Turn, type Prepared } from './turn.js';
import type { Transition } from './transition.js';
import { notifyEventHooks } from './webhook-calls.js';
import { hasFinalizer, setFinalizer } from './finalizer.js';
import { claimConflict } from './claims.js';
import { terminate } from './phases/terminate.js';

/** Reads the world for one phase and decides what changes; the committer applies it. */
type PhaseHandler = (turn: ReadyTurn) => Transition | Promise<Transition>;

/** The alert of each reason a Canary cannot be acted on. */
const BLOCKED_ALERT: Record<string, AlertKind> = {
  TargetNotFound: 'TargetNotFound',
  InvalidSpec: 'InvalidSpec',
  TargetInvalid: 'InvalidSpec',
  Unsupported: 'InvalidSpec',
  Conflict: 'InvalidSpec',
};

/** Blocks that end without a change of the Canary (a CRD installed, another Canary deleted): checked again. */
const RECHECKED: ReadonlySet<string> = new Set(['RouterUnavailable', 'Conflict']);

/** API answers that a retry cannot fix. */
const REJECTED: ReadonlySet<number> = new Set([400, 403, 422]);

const HANDLERS: Record<Phase, PhaseHandler> = {
  '': initialize,
  Initializing: initialize,
  Initialized: idle,
  Succeeded: idle,
  Failed: idle,
  Waiting: idle,
  Progressing: progressing,
  WaitingPromotion: progressing,
  Promoting: promoting,
  Finalising: finalising,
  // Terminating is handled by terminate() while the deletion is pending; otherwise nothing runs.
  Terminating: idle,
  Terminated: idle,
};

/** Reconciles one Canary: validates it, then moves it at most one step, from what the caches show. */
export class Reconciler {
  private readonly caps: Capabilities;

  constructor(private readonly deps: ControllerDeps) {
    this.caps = {
      providers: supportedProviders(),
      targetKinds: new Set(Object.keys(deps.targets)),
      inPlaceKinds: new Set(
        Object.values(deps.targets)
          .filter((t) => t.model === 'in-place')
          .map((t) => t.kind),
      ),
      builtinMetricProviders: builtinMetricProviders(),
    };
  }

  async reconcile(key: string, signal: AbortSignal): Promise<WorkResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const canary = this.deps.canaries.get(namespace, name);
    if (!canary || (canary.metadata.deletionTimestamp && !hasFinalizer(canary))) return {};
    const provider = canary.spec.provider || this.deps.defaultProvider;
    const scope = { log: canaryLogger(this.deps.logger, namespace, name), signal, eventSink: notifyEventHooks };
    const seen = new Turn(canary, this.deps, scope, provider);
    const prepared = await this.prepare(seen);
    if ('reason' in prepared) {
      await this.block(seen, prepared);
      // Deleted while it cannot be acted on: nothing to restore, and the deletion is never held up.
      if (canary.metadata.deletionTimestamp) await setFinalizer(seen, false);
      else if (RECHECKED.has(prepared.reason)) return { requeueAfterMs: 30_000 };
      return {};
    }
    const turn = seen.ready(prepared);
    if (canary.metadata.deletionTimestamp) return requeue(await terminate(turn));
    await setFinalizer(turn, canary.spec.revertOnDeletion === true);
    if (canary.spec.suspend) {
      turn.take({ detail: 'suspended: no action is taken until spec.suspend is false' });
      await turn.commit();
      return {};
    }
    try {
      return await this.act(turn);
    } catch (err) {
      const problem = actionProblem(err);
      if (!problem) throw err;
      await this.block(turn, problem);
      return { requeueAfterMs: 60_000 };
    }
  }

  /**
   * Routes and scale as the status says (drift corrected), then the phase's transition, committed. A slot the
   * release queue reserved for this Canary is released once the turn ends: the cache then shows its status.
   */
  private async act(turn: ReadyTurn): Promise<WorkResult> {
    try {
      if (turn.phase !== '' && turn.phase !== 'Initializing') await applyDesired(turn, true);
      const transition = await HANDLERS[turn.phase](turn);
      const requeueAfterMs = await commitTransition(turn, transition);
      if (!transition.continueTurn) return requeue(requeueAfterMs);
      return requeue(await commitTransition(turn, await HANDLERS[turn.phase](turn)));
    } finally {
      this.deps.releaseQueue?.settle(`${turn.ns}/${turn.name}`);
    }
  }

  /** Validation, target and router: what a turn acts with, or why the Canary cannot be acted on. */
  private async prepare(seen: Turn): Promise<Prepared | Problem> {
    const { canary, provider } = seen;
    const report = validateCanary(canary.spec, provider, this.caps);
    let notice: Problem | undefined = report.notices.length
      ? { reason: 'UnsupportedFields', message: report.notices.join('; ') }
      : undefined;
    const priority = this.priorityProblem(seen);
    if (priority)
      notice = notice
        ? { reason: notice.reason, message: `${notice.message}; ${priority}` }
        : { reason: REASONS.invalidPriority, message: priority };
    seen.notice = notice;
    if (report.errors.length) return { reason: 'InvalidSpec', message: report.errors.join('; ') };
    if (report.unsupported.length) return { reason: 'Unsupported', message: report.unsupported.join('; ') };
    const conflict = claimConflict(canary, this.deps.canaries.list(canary.metadata.namespace));
    if (conflict) return { reason: 'Conflict', message: conflict };
    try {
      const target = this.deps.targets[targetKeyOf(canary.spec.targetRef)]!;
      const analysis = resolveAnalysis(canary.spec, provider, target.model === 'in-place');
      const info = await target.describe(canary, seen.signal);
      const router = this.deps.routerFor(provider);
      const mesh = router.validate?.(canary, analysis);
      if (mesh?.notices.length) seen.notice = notice = mergeNotice(notice, mesh.notices);
      if (mesh?.errors.length) return { reason: 'InvalidSpec', message: mesh.errors.join('; ') };
      await router.getRoutes(canary);
      return { analysis, target, info, router, ...(notice ? { notice } : {}) };
    } catch (err) {
      if (err instanceof TargetError) return { reason: err.reason, message: err.message };
      if (err instanceof ResourceNotServedError) return { reason: 'RouterUnavailable', message: `${provider}: ${err.message}` };
      throw err;
    }
  }

  /**
   * A priority annotation that is not a priority, with a release queue to read it: reported on the Supported
   * condition, and by an Event when that condition does not say so yet. The release queues as normal.
   */
  private priorityProblem(seen: Turn): string | undefined {
    if (!this.deps.releaseQueue) return undefined;
    const { error } = parsePriority(seen.canary.metadata.annotations?.[ANNOTATIONS.priority], ANNOTATIONS.priority);
    if (!error) return undefined;
    const supported = seen.canary.status?.conditions?.find((c) => c.type === CONDITION_TYPES.supported);
    if (!supported?.message?.includes(error)) seen.event('Warning', REASONS.invalidPriority, error);
    return error;
  }

  private async block(turn: Turn, problem: Problem): Promise<void> {
    const already = turn.canary.status?.conditions?.find(
      (c) => c.type === 'Stalled' && c.reason === problem.reason && c.message === boundedMessage(problem.message),
    );
    turn.blocked = problem;
    turn.take({ detail: problem.message });
    await turn.commit();
    if (!already) {
      turn.event('Warning', problem.reason, problem.message);
      turn.alert(BLOCKED_ALERT[problem.reason] ?? 'RouterError', { detail: problem.message });
    }
  }
}

function mergeNotice(prior: Problem | undefined, more: string[]): Problem {
  return { reason: 'UnsupportedFields', message: [prior?.message, ...more].filter(Boolean).join('; ') };
}

const requeue = (requeueAfterMs: number | undefined): WorkResult => (requeueAfterMs === undefined ? {} : { requeueAfterMs });

/** Why the Canary is blocked after an action failed: a target problem, or an object the API server refused. */
function actionProblem(err: unknown): Problem | undefined {
  if (err instanceof TargetError || err instanceof TakeoverRefused) return { reason: err.reason, message: err.message };
  // The API server refused an object the operator generated: waiting will not help, a person must look.
  if (err instanceof KubeApiError && REJECTED.has(err.status))
    return { reason: err.status === 403 ? 'Forbidden' : 'Rejected', message: err.message };
  return undefined;
}
