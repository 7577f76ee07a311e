import { isDeepStrictEqual } from 'node:util';
import type { Canary, CanaryStatus, Phase } from '../api/types.js';
import type { ResolvedAnalysis } from '../core/analysis.js';
import { boundedMessage, canaryConditions, type Problem } from '../core/conditions.js';
import type { EventType } from '../kube/events.js';
import { Resources } from '../kube/resources.js';
import type { Router } from '../meshes/router.js';
import type { Target, TargetInfo } from '../targets/target.js';
import type { Logger } from '../util/log.js';
import { alertOf, type AlertContext, type AlertKind } from '../alerts/index.js';
import type { ControllerDeps } from './deps.js';

/** Where a Run's Events go besides the API server and the log: the Canary's event webhooks (webhook-calls.ts). */
export type EventSink = (run: Run, type: EventType, reason: string, message: string) => void;

/** What a Run acts with besides the controller's deps: its logger, the reconcile's signal and the event sink. */
export interface RunScope {
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly eventSink: EventSink;
}

/**
 * One reconcile of one Canary: the observed object, a working copy of its status, and the pieces that
 * act for it. commit() is the only way status is written; it carries the resourceVersion read, so a step
 * is committed at most once even if another writer (or a restarted operator) raced us.
 */
export class Run {
  readonly status: CanaryStatus;
  detail: string | undefined;
  /** The analysis is held by the paused annotation (Ready's reason says Paused). */
  paused = false;
  blocked: Problem | undefined;
  notice: Problem | undefined;
  committed = false;
  /**
   * The signal of every call to a webhook or a metrics backend: the reconcile's, and also ended at the
   * reconcile's deadline, so slow endpoints free the worker (a call cut there is a failed check). Writes to the
   * API server keep the reconcile's own signal, so the outcome is still committed.
   */
  readonly outbound: AbortSignal;
  readonly log: Logger;
  readonly signal: AbortSignal;
  private readonly eventSink: EventSink;

  constructor(
    public canary: Canary,
    readonly deps: ControllerDeps,
    scope: RunScope,
    readonly ctx: { provider: string; analysis?: ResolvedAnalysis; target?: Target; info?: TargetInfo; router?: Router },
  ) {
    this.log = scope.log;
    this.signal = scope.signal;
    this.eventSink = scope.eventSink;
    this.status = JSON.parse(JSON.stringify(canary.status ?? {})) as CanaryStatus;
    this.outbound = AbortSignal.any([scope.signal, AbortSignal.timeout(deps.reconcileDeadlineMs)]);
  }

  get ns(): string {
    return this.canary.metadata.namespace!;
  }

  get name(): string {
    return this.canary.metadata.name!;
  }

  get phase(): Phase {
    return this.status.phase ?? '';
  }

  get now(): number {
    return this.deps.now();
  }

  /** Pieces that exist once the spec has been validated and the target read. */
  get a(): ResolvedAnalysis {
    return must(this.ctx.analysis, 'analysis');
  }
  get target(): Target {
    return must(this.ctx.target, 'target');
  }
  get info(): TargetInfo {
    return must(this.ctx.info, 'target info');
  }
  get router(): Router {
    return must(this.ctx.router, 'router');
  }

  event(type: EventType, reason: string, full: string): void {
    const message = boundedMessage(full);
    this.deps.events.record(this.canary, type, reason, message);
    this.eventSink(this, type, reason, message);
    (type === 'Warning' ? this.log.warn.bind(this.log) : this.log.info.bind(this.log))(
      { reason, phase: this.phase, weight: this.status.canaryWeight ?? 0 },
      message,
    );
  }

  /** Notifies the Canary's alert providers (fire and forget: delivery never blocks or fails a reconcile). */
  alert(kind: AlertKind, ctx: AlertContext = {}): void {
    void this.deps.alerts.notify(this.canary, alertOf(this.canary, this.status, kind, ctx), this.signal);
  }

  /** Writes the status when it differs from what was read; conditions and observedGeneration are derived here. */
  async commit(): Promise<void> {
    const nowIso = new Date(this.now).toISOString();
    const generation = this.canary.metadata.generation ?? 0;
    this.status.observedGeneration = generation;
    const upToDate = this.ctx.info
      ? this.ctx.info.revision === this.status.lastPromotedSpec
      : this.status.lastAppliedSpec === this.status.lastPromotedSpec;
    this.status.conditions = canaryConditions(
      this.status.conditions ?? [],
      {
        phase: this.phase,
        generation,
        upToDate,
        blocked: this.blocked,
        notice: this.notice,
        detail: this.detail,
        paused: this.paused,
        checks: this.status.lastChecks,
      },
      nowIso,
    );
    if (isDeepStrictEqual(withoutTimes(this.status), withoutTimes(this.canary.status ?? {}))) return;
    this.status.lastTransitionTime = nowIso;
    const body: Canary = { ...this.canary, status: this.status };
    this.canary = await this.deps.client.replaceStatus(Resources.canaries, body, this.signal);
    this.committed = true;
    this.deps.metrics.observeCanary(this.canary);
  }
}

function withoutTimes(s: CanaryStatus): unknown {
  const { lastTransitionTime: _t, conditions, ...rest } = s;
  return { ...rest, conditions: (conditions ?? []).map(({ lastTransitionTime: _c, lastUpdateTime: _u, ...c }) => c) };
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`internal: ${what} used before it was resolved`);
  return v;
}
