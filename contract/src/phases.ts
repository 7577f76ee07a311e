/*
 * The phases of a Canary (status.phase, Flagger's names) and every grouping of them the operator, the CLI and
 * hooks/ decide from. This file is the one place a phase is classified: add a phase here, and each set below
 * says where it belongs.
 */

export const PHASES = [
  '',
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;

export type Phase = (typeof PHASES)[number];

/** The phases a live Canary reports (the tollgate_canary_phase series): all but the empty one and Terminated. */
export const REPORTED_PHASES: readonly Phase[] = PHASES.filter((p) => p !== '' && p !== 'Terminated');

/** The analysis runs: promote, abort and pause requests act in these. */
const ANALYSING: ReadonlySet<string> = new Set<Phase>(['Progressing', 'WaitingPromotion']);
/** A release is under way past its start: the analysis, or the promotion that follows it. */
const RELEASING: ReadonlySet<string> = new Set<Phase>(['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising']);
/** The CEL rules freeze spec.targetRef and spec.provider in these (api/crd/rules.ts). */
export const IN_FLIGHT_PHASES = ['Initializing', 'Progressing', 'WaitingPromotion', 'Promoting', 'Finalising'] as const;
/** The canary workload runs (is scaled up). */
const CANARY_UP: ReadonlySet<string> = new Set<Phase>(['Progressing', 'WaitingPromotion', 'Promoting']);
/** Between runs: the primary's autoscaler follows the user's. */
const IDLE: ReadonlySet<string> = new Set<Phase>(['Initialized', 'Succeeded', 'Failed']);
/** The primary serves a promoted revision (the Promoted condition is True). */
const PROMOTED: ReadonlySet<string> = new Set<Phase>(['Initialized', 'Succeeded']);
/** The operator has work to do whatever the revision (the Reconciling condition). */
const BUSY: ReadonlySet<string> = new Set<Phase>([
  '',
  'Initializing',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Terminating',
]);
/** A run has ended; hooks/ stops the run's background tasks. */
const FINAL: ReadonlySet<string> = new Set<Phase>(['Succeeded', 'Failed']);

/** status.phase, with the empty phase of a Canary never reconciled spelled Initializing. */
export const phaseName = (phase: string | undefined): string => phase || 'Initializing';

export const isAnalysing = (phase: string | undefined): boolean => ANALYSING.has(phase ?? '');
export const isReleasing = (phase: string | undefined): boolean => RELEASING.has(phase ?? '');
export const runsCanary = (phase: string | undefined): boolean => CANARY_UP.has(phase ?? '');
export const isIdle = (phase: string | undefined): boolean => IDLE.has(phase ?? '');
export const isPromoted = (phase: string | undefined): boolean => PROMOTED.has(phase ?? '');
export const isBusy = (phase: string | undefined): boolean => BUSY.has(phase ?? '');
export const isFinal = (phase: string | undefined): boolean => FINAL.has(phase ?? '');
