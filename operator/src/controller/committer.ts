import { applyDesired } from './desired.js';
import type { Transition } from './transition.js';
import type { ReadyTurn } from './turn.js';
import { runPostRollout } from './webhook-calls.js';

/**
 * Applies a phase handler's transition, always in this order: the status (the step is recorded before anything
 * acts on it, so a crash resumes from it); the routes and scale that follow from the new status; the primary's
 * promotion; the Events; the post-rollout hooks; the alerts; the outcome metric. Returns when to reconcile again.
 */
export async function commitTransition(turn: ReadyTurn, t: Transition): Promise<number | undefined> {
  turn.take(t);
  await turn.commit();
  if (turn.committed && turn.phase !== 'Initializing') await applyDesired(turn);
  if (t.promote) await turn.target.promote(turn.canary, turn.info, turn.signal);
  for (const e of t.events ?? []) turn.event(e.type, e.reason, e.message);
  const hooks = t.postRollout ? await runPostRollout(turn) : {};
  for (const e of hooks.events ?? []) turn.event(e.type, e.reason, e.message);
  for (const a of [...(t.alerts ?? []), ...(hooks.alerts ?? [])]) turn.alert(a.kind, a.ctx);
  if (t.outcome)
    turn.deps.metrics.observeOutcome(turn.canary, t.outcome, { strategy: turn.analysis.strategy, skipped: turn.analysis.skipAnalysis });
  return t.requeueAfterMs;
}
