/**
 * The past releases of a Canary, rebuilt from its Events (the operator records each run's start and end, with the
 * revision and the reason) and completed by its status (the current run; the last one when its Events have expired,
 * an hour after by default). Pure: the messages parsed here are those of operator/src/controller/phases/.
 */
import { IN_FLIGHT_PHASES } from '@tollgate/contract/phases';
import type { Canary } from '@tollgate/operator/api/types';
import { conditionOf, eventLast, eventStart, type CoreEvent } from '../canary.js';

type Outcome = 'promoted' | 'failed' | 'superseded' | 'initialized' | 'in progress' | 'unknown';

export interface Release {
  /** The revision (pod template hash) analysed; empty when no Event or status names it. */
  revision: string;
  /** What started it: a new revision of the target, a retry request, or the first deployment. */
  trigger: 'new revision' | 'retry' | 'initialization';
  /** ISO times; start is missing when the starting Event has expired. */
  start?: string;
  end?: string;
  durationMs?: number;
  outcome: Outcome;
  /** Why it failed, or what replaced it. */
  reason?: string;
}

interface Open {
  revision: string;
  trigger: Release['trigger'];
  start?: number;
}

/** A run starts: the revision, the trigger, and the revision it replaced mid-run (that run is superseded). */
function startOf(e: CoreEvent): (Open & { replaced?: string }) | undefined {
  const m = e.message ?? '';
  let x: RegExpExecArray | null;
  if (e.reason === 'NewRevision' && (x = /^New revision (\S+) detected/.exec(m))) return { revision: x[1]!, trigger: 'new revision' };
  if (
    e.reason === 'NewRevision' &&
    (x = /^(?:New revision|Revision) (\S+) replaced (\S+) (?:during the analysis|before its promotion)/.exec(m))
  ) {
    return { revision: x[1]!, trigger: 'new revision', replaced: x[2]! };
  }
  if (e.reason === 'Retry' && (x = /^Retrying revision (\S+)/.exec(m))) return { revision: x[1]!, trigger: 'retry' };
  if (e.reason === 'Initializing') return { revision: '', trigger: 'initialization' };
  return undefined;
}

/** A run ends: its outcome, the revision when the message names it, and the reason of a failure. */
function endOf(e: CoreEvent): { outcome: Outcome; revision?: string; reason?: string } | undefined {
  const m = e.message ?? '';
  let x: RegExpExecArray | null;
  if (e.reason === 'Succeeded' && (x = /serves revision (\S+)$/.exec(m))) return { outcome: 'promoted', revision: x[1]! };
  if (e.reason === 'Initialized' && (x = /serves revision (\S+)$/.exec(m))) return { outcome: 'initialized', revision: x[1]! };
  if (e.reason === 'RolledBack') return { outcome: 'failed', reason: /^Canary failed, rolling back \S+: (.*)$/s.exec(m)?.[1] ?? m };
  if (e.reason === 'PromotionFailed') return { outcome: 'failed', reason: m };
  return undefined;
}

/** The Event starts or ends a run (the dashboard's weight chart puts a 0 there). */
export const isRunEdge = (e: CoreEvent): boolean => startOf(e) !== undefined || endOf(e) !== undefined;

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();

function closed(run: Open, endMs: number, outcome: Outcome, reason?: string, revision?: string): Release {
  return {
    revision: run.revision || revision || '',
    trigger: run.trigger,
    ...(run.start !== undefined ? { start: iso(run.start) } : {}),
    end: iso(endMs),
    ...(run.start !== undefined ? { durationMs: endMs - run.start } : {}),
    outcome,
    ...(reason ? { reason } : {}),
  };
}

/** The releases the Events tell of, oldest first; the last may still be open. */
function fromEvents(events: CoreEvent[]): { releases: Release[]; open?: Open } {
  const releases: Release[] = [];
  let open: Open | undefined;
  for (const e of events) {
    const start = startOf(e);
    if (start) {
      if (open && start.replaced !== undefined)
        releases.push(closed(open, eventStart(e), 'superseded', `replaced by revision ${start.revision}`, start.replaced));
      else if (open && open.trigger !== 'initialization')
        releases.push({ ...closed(open, eventStart(e), 'unknown'), end: undefined, durationMs: undefined });
      open = { revision: start.revision, trigger: start.trigger, start: eventStart(e) };
      continue;
    }
    const end = endOf(e);
    if (!end) continue;
    const run = open ?? {
      revision: end.revision ?? '',
      trigger: end.outcome === 'initialized' ? ('initialization' as const) : ('new revision' as const),
    };
    releases.push(closed(run, eventLast(e), end.outcome, end.reason, end.revision));
    open = undefined;
  }
  return { releases, ...(open ? { open } : {}) };
}

const IN_FLIGHT: ReadonlySet<string> = new Set(IN_FLIGHT_PHASES);

/** Every release known, newest first: the Events', then the current run from the status. */
export function releases(canary: Canary, events: CoreEvent[]): Release[] {
  const { releases: past, open } = fromEvents(events);
  const s = canary.status ?? {};
  const phase = s.phase ?? '';
  const runStart = Date.parse(s.runStartTime ?? '');
  const current = s.lastAppliedSpec ?? '';
  const known = (r: Release): boolean =>
    r.revision === current && (!r.start || !Number.isFinite(runStart) || Date.parse(r.start) >= runStart - 1000);
  if (open && IN_FLIGHT.has(phase)) {
    past.push({
      revision: open.revision || current,
      trigger: open.trigger,
      ...(open.start !== undefined ? { start: iso(open.start) } : {}),
      outcome: 'in progress',
    });
  } else if (open) {
    past.push({ ...closed(open, open.start ?? 0, 'unknown'), end: undefined, durationMs: undefined });
  } else if (current && IN_FLIGHT.has(phase)) {
    past.push({
      revision: current,
      trigger: 'new revision',
      ...(Number.isFinite(runStart) ? { start: iso(runStart) } : {}),
      outcome: 'in progress',
    });
  } else if (current && (phase === 'Failed' || phase === 'Succeeded') && !past.some(known)) {
    past.push(fromStatus(canary, phase, runStart));
  }
  return past.reverse();
}

/** The last run when its Events have expired: the status keeps its start, the Ready condition its end and reason. */
function fromStatus(canary: Canary, phase: string, runStart: number): Release {
  const ready = conditionOf(canary, 'Ready');
  const end = Date.parse(ready?.lastTransitionTime ?? '');
  const failed = phase === 'Failed';
  const reason = failed
    ? ready?.message?.replace(/^rolled back: /, '').replace(/; change the target, or set the annotation .*$/, '')
    : undefined;
  return {
    revision: canary.status?.lastAppliedSpec ?? '',
    trigger: 'new revision',
    ...(Number.isFinite(runStart) ? { start: iso(runStart) } : {}),
    ...(Number.isFinite(end) ? { end: iso(end) } : {}),
    ...(Number.isFinite(runStart) && Number.isFinite(end) ? { durationMs: end - runStart } : {}),
    outcome: failed ? 'failed' : 'promoted',
    ...(reason ? { reason } : {}),
  };
}
