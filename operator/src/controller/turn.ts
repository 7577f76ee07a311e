import { isDeepStrictEqual } from 'node:util';
import { CONDITION_TYPES } from '@tollgate/contract/conditions';
import { phaseName } from '@tollgate/contract/phases';
import type { Canary, CanaryStatus, Phase } from '../api/types.js';
import type { ResolvedAnalysis } from '../core/analysis.js';
import { nextTickAt, tickSchedule, type TickSchedule } from '../core/schedule.js';
import { boundedMessage, canaryConditions, type Problem } from '../core/conditions.js';
import type { EventType } from '../kube/events.js';
import { Resources } from '../kube/resources.js';
import type { Router } from '../meshes/router.js';
import type { Target, TargetInfo } from '../targets/target.js';
import type { Logger } from '../util/log.js';
import { alertOf, type AlertContext, type AlertKind } from '../alerts/index.js';
import type { ControllerDeps } from './deps.js';
import type { Transition } from './transition.js';

/** Where a Turn's Events go besides the API server and the log: the Canary's event webhooks (webhook-calls.ts). */
export type EventSink = (turn: Turn, type: EventType, reason: string, message: string) => void;

/** What a Turn acts with besides the controller's deps: its logger, the reconcile's signal and the event sink. */
export interface TurnScope {
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly eventSink: EventSink;
}

/** What a Canary the operator can act on resolves to (Reconciler.prepare). */
export interface Prepared {
  readonly analysis: ResolvedAnalysis;
  readonly target: Target;
  readonly info: TargetInfo;
  readonly router: Router;
  /** Fields of the spec the operator does not apply (the UnsupportedFields notice). */
  readonly notice?: Problem;
}

/**
 * One turn of the reconcile loop for one Canary (a release, in contrast, spans many turns): the observed object,
 * a working copy of its status, and what it records. commit() is the only way status is written; it carries the
 * resourceVersion read, so a step is committed at most once even if another writer (or a restarted operator)
 * raced us. Phase handlers read it and return a Transition; the committer applies it (committer.ts).
 */
export class Turn {
  private readonly next: CanaryStatus;
  detail: string | undefined;
  /** The analysis is held by the paused annotation (Ready's reason says Paused). */
  paused = false;
  /** The new revision waits in the release queue (Ready's reason says Queued). */
  queued = false;
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
    private readonly scope: TurnScope,
    readonly provider: string,
  ) {
    this.log = scope.log;
    this.signal = scope.signal;
    this.eventSink = scope.eventSink;
    this.next = JSON.parse(JSON.stringify(canary.status ?? {})) as CanaryStatus;
    this.outbound = AbortSignal.any([scope.signal, AbortSignal.timeout(deps.reconcileDeadlineMs)]);
  }

  /** The status as this turn will write it: read-only to phase handlers, which return the fields they change. */
  get status(): Readonly<CanaryStatus> {
    return this.next;
  }

  get ns(): string {
    return this.canary.metadata.namespace!;
  }

  get name(): string {
    return this.canary.metadata.name!;
  }

  get phase(): Phase {
    return this.next.phase ?? '';
  }

  get now(): number {
    return this.deps.now();
  }

  /**
   * The Ready condition's message as read, while its reason is still this phase's (not Paused, Queued or another
   * phase's): what a turn that decides nothing new keeps, so it writes no status.
   */
  get toldDetail(): string | undefined {
    const ready = this.canary.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready);
    return ready?.reason === phaseName(this.phase) ? ready.message : undefined;
  }

  /** This turn's Canary with what prepare() resolved it to: what phase handlers get. */
  ready(p: Prepared): ReadyTurn {
    return new ReadyTurn(this.canary, this.deps, this.scope, this.provider, p);
  }

  /** The target's current revision, once read (ReadyTurn): the Promoted condition compares it with the promoted one. */
  protected revision(): string | undefined {
    return undefined;
  }

  /**
   * Takes a transition's status fields (handledRequests key by key; a field given as undefined is removed), detail,
   * pause and queue mark into the working copy.
   */
  take(t: Pick<Transition, 'status' | 'detail' | 'paused' | 'queued'>): void {
    const { handledRequests, ...fields } = t.status ?? {};
    Object.assign(this.next, fields);
    for (const [k, v] of Object.entries(fields)) if (v === undefined) delete (this.next as Record<string, unknown>)[k];
    if (handledRequests) this.next.handledRequests = { ...this.next.handledRequests, ...handledRequests };
    if (t.detail !== undefined) this.detail = t.detail;
    if (t.paused) this.paused = true;
    if (t.queued) this.queued = true;
  }

  event(type: EventType, reason: string, full: string): void {
    const message = boundedMessage(full);
    this.deps.events.record(this.canary, type, reason, message);
    this.eventSink(this, type, reason, message);
    (type === 'Warning' ? this.log.warn.bind(this.log) : this.log.info.bind(this.log))(
      { reason, phase: this.phase, weight: this.next.canaryWeight ?? 0 },
      message,
    );
  }

  /** Notifies the Canary's alert providers (fire and forget: delivery never blocks or fails a reconcile). */
  alert(kind: AlertKind, ctx: AlertContext = {}): void {
    void this.deps.alerts.notify(this.canary, alertOf(this.canary, this.next, kind, ctx), this.signal);
  }

  /** Writes the status when it differs from what was read; conditions and observedGeneration are derived here. */
  async commit(): Promise<void> {
    const nowIso = new Date(this.now).toISOString();
    const generation = this.canary.metadata.generation ?? 0;
    const s = this.next;
    s.observedGeneration = generation;
    const revision = this.revision();
    const upToDate = revision !== undefined ? revision === s.lastPromotedSpec : s.lastAppliedSpec === s.lastPromotedSpec;
    s.conditions = canaryConditions(
      s.conditions ?? [],
      {
        phase: this.phase,
        generation,
        upToDate,
        blocked: this.blocked,
        notice: this.notice,
        detail: this.detail,
        paused: this.paused,
        queued: this.queued,
        checks: s.lastChecks,
      },
      nowIso,
    );
    if (isDeepStrictEqual(withoutTimes(s), withoutTimes(this.canary.status ?? {}))) return;
    s.lastTransitionTime = nowIso;
    const body: Canary = { ...this.canary, status: s };
    this.canary = await this.deps.client.replaceStatus(Resources.canaries, body, this.signal);
    this.committed = true;
    this.deps.metrics.observeCanary(this.canary);
  }
}

/** A turn for a Canary that validated, whose target was read and whose router exists: what phase handlers get. */
export class ReadyTurn extends Turn {
  /** The resolved analysis (Flagger's defaults applied). */
  readonly analysis: ResolvedAnalysis;
  readonly target: Target;
  readonly info: TargetInfo;
  readonly router: Router;

  constructor(canary: Canary, deps: ControllerDeps, scope: TurnScope, provider: string, p: Prepared) {
    super(canary, deps, scope, provider);
    this.analysis = p.analysis;
    this.target = p.target;
    this.info = p.info;
    this.router = p.router;
    this.notice = p.notice;
  }

  protected override revision(): string | undefined {
    return this.info.revision;
  }

  private tickSchedule?: TickSchedule;

  /** This Canary's analysis ticks (core/schedule.ts): its interval, at an offset of its own (hashed once a turn). */
  get schedule(): TickSchedule {
    this.tickSchedule ??= tickSchedule(`${this.ns}/${this.name}`, this.analysis.intervalMs);
    return this.tickSchedule;
  }

  /** The wait until the next step is due, for a step taken now: the requeue after every step. */
  nextTickIn(): number {
    const now = this.now;
    return nextTickAt(this.schedule, now) - now;
  }
}

function withoutTimes(s: CanaryStatus): unknown {
  const { lastTransitionTime: _t, conditions, ...rest } = s;
  return { ...rest, conditions: (conditions ?? []).map(({ lastTransitionTime: _c, lastUpdateTime: _u, ...c }) => c) };
}
