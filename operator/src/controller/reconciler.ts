import type { AlertKind } from '../alerts/index.js';
import type { Phase } from '../api/types.js';
import { resolveAnalysis } from '../core/analysis.js';
import { boundedMessage, type Problem } from '../core/conditions.js';
import { validateCanary, type Capabilities } from '../core/validation.js';
import { KubeApiError } from '../kube/errors.js';
import { ResourceNotServedError } from '../kube/informer.js';
import type { WorkResult } from '../kube/work-queue.js';
import { builtinMetricProviders, supportedProviders } from '../meshes/registry.js';
import { TargetError } from '../targets/target.js';
import { canaryLogger } from '../util/log.js';
import type { ControllerDeps } from './deps.js';
import { applyDesired } from './desired.js';
import { idle } from './phases/idle.js';
import { initialize } from './phases/initialize.js';
import { progressing } from './phases/progressing.js';
import { finalising, promoting } from './phases/promoting.js';
import { Run } from './run.js';
import { notifyEventHooks } from './webhook-calls.js';
import { hasFinalizer, setFinalizer } from './finalizer.js';
import { claimConflict } from './claims.js';
import { terminate } from './phases/terminate.js';

type PhaseHandler = (run: Run) => Promise<number | undefined>;

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
  // Terminating is handled by delete() while the deletion is pending; otherwise nothing runs.
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
      builtinMetricProviders: builtinMetricProviders(),
    };
  }

  async reconcile(key: string, signal: AbortSignal): Promise<WorkResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const canary = this.deps.canaries.get(namespace, name);
    if (!canary || (canary.metadata.deletionTimestamp && !hasFinalizer(canary))) return {};
    const provider = canary.spec.provider || this.deps.defaultProvider;
    const run = new Run(
      canary,
      this.deps,
      { log: canaryLogger(this.deps.logger, namespace, name), signal, eventSink: notifyEventHooks },
      { provider },
    );
    const ready = await this.prepare(run);
    if (canary.metadata.deletionTimestamp) return this.delete(run, ready);
    if (!ready) return run.blocked && RECHECKED.has(run.blocked.reason) ? { requeueAfterMs: 30_000 } : {};
    await setFinalizer(run, canary.spec.revertOnDeletion === true);
    if (canary.spec.suspend) {
      run.detail = 'suspended: no action is taken until spec.suspend is false';
      await run.commit();
      return {};
    }
    try {
      return await this.act(run);
    } catch (err) {
      if (err instanceof TargetError) {
        await this.block(run, { reason: err.reason, message: err.message });
        return { requeueAfterMs: 60_000 };
      }
      if (!(err instanceof KubeApiError) || !REJECTED.has(err.status)) throw err;
      // The API server refused an object the operator generated: waiting will not help, a person must look.
      await this.block(run, { reason: err.status === 403 ? 'Forbidden' : 'Rejected', message: err.message });
      return { requeueAfterMs: 60_000 };
    }
  }

  /** Deletion with the finalizer: restore what can be restored; a Canary that cannot be acted on never blocks it. */
  private async delete(run: Run, ready: boolean): Promise<WorkResult> {
    if (!ready) {
      await setFinalizer(run, false);
      return {};
    }
    const requeueAfterMs = await terminate(run);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  private async act(run: Run): Promise<WorkResult> {
    if (run.phase !== '' && run.phase !== 'Initializing') await applyDesired(run, true);
    const requeueAfterMs = await HANDLERS[run.phase](run);
    if (run.committed && run.phase !== 'Initializing') await applyDesired(run);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /** Validation, target and router; false (with the reason in status) when the Canary cannot be acted on. */
  private async prepare(run: Run): Promise<boolean> {
    const report = validateCanary(run.canary.spec, run.ctx.provider, this.caps);
    if (report.notices.length) run.notice = { reason: 'UnsupportedFields', message: report.notices.join('; ') };
    if (report.errors.length) return this.block(run, { reason: 'InvalidSpec', message: report.errors.join('; ') });
    if (report.unsupported.length) return this.block(run, { reason: 'Unsupported', message: report.unsupported.join('; ') });
    const conflict = claimConflict(run.canary, this.deps.canaries.list(run.canary.metadata.namespace));
    if (conflict) return this.block(run, { reason: 'Conflict', message: conflict });
    try {
      run.ctx.analysis = resolveAnalysis(run.canary.spec, run.ctx.provider);
      run.ctx.target = this.deps.targets[run.canary.spec.targetRef.kind];
      run.ctx.info = await run.ctx.target!.describe(run.canary, run.signal);
      run.ctx.router = this.deps.routerFor(run.ctx.provider);
      const mesh = run.router.validate?.(run.canary, run.a);
      if (mesh?.notices.length) run.notice = mergeNotice(run.notice, mesh.notices);
      if (mesh?.errors.length) return this.block(run, { reason: 'InvalidSpec', message: mesh.errors.join('; ') });
      await run.router.getRoutes(run.canary);
    } catch (err) {
      if (err instanceof TargetError) return this.block(run, { reason: err.reason, message: err.message });
      if (err instanceof ResourceNotServedError)
        return this.block(run, { reason: 'RouterUnavailable', message: `${run.ctx.provider}: ${err.message}` });
      throw err;
    }
    return true;
  }

  private async block(run: Run, problem: Problem): Promise<false> {
    const already = run.canary.status?.conditions?.find(
      (c) => c.type === 'Stalled' && c.reason === problem.reason && c.message === boundedMessage(problem.message),
    );
    run.blocked = problem;
    run.detail = problem.message;
    await run.commit();
    if (!already) {
      run.event('Warning', problem.reason, problem.message);
      run.alert(BLOCKED_ALERT[problem.reason] ?? 'RouterError', { detail: problem.message });
    }
    return false;
  }
}

function mergeNotice(prior: Problem | undefined, more: string[]): Problem {
  return { reason: 'UnsupportedFields', message: [prior?.message, ...more].filter(Boolean).join('; ') };
}
