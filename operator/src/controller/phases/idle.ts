import { REQUEST_ANNOTATIONS } from '@tollgate/contract/metadata';
import { affinityStatus } from '../../core/affinity.js';
import { MAX_MESSAGE } from '../../core/conditions.js';
import { runHooks } from '../webhook-calls.js';
import { discardInapplicable, markHandled, pendingRequest } from '../requests.js';
import type { Run } from '../run.js';

/** Status of a fresh run of the target's current revision. */
export function startRunStatus(run: Run): void {
  const now = new Date(run.now).toISOString();
  Object.assign(run.status, {
    phase: 'Progressing',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    mirrored: false,
    lastAppliedSpec: run.info.revision,
    runStartTime: now,
    lastAnalysisTime: now,
    stepStartTime: now,
    lastChecks: [],
    trackedConfigs: run.info.configs.checksums,
    ...affinityStatus(run.canary.spec, run.status),
  });
}

/**
 * Initialized, Succeeded, Failed and Waiting: nothing runs until the target's revision changes. A new
 * revision passes the confirm-rollout gates (Waiting while they are closed), then a run starts.
 */
export async function idle(run: Run): Promise<number | undefined> {
  const { revision } = run.info;
  const s = run.status;
  discardInapplicable(run, run.phase === 'Failed' && revision === s.lastAppliedSpec ? ['retry'] : []);
  if (revision === s.lastPromotedSpec) {
    if (run.phase === 'Failed' || run.phase === 'Waiting') {
      Object.assign(s, { phase: 'Succeeded', lastAppliedSpec: revision });
      run.event('Normal', 'Reverted', `target is back on the promoted revision ${revision}`);
    }
    run.detail = `revision ${revision} is promoted`;
    await run.commit();
    return undefined;
  }
  const retry = pendingRequest(run, 'retry');
  if (run.phase === 'Failed' && revision === s.lastAppliedSpec && retry) {
    startRunStatus(run);
    markHandled(run, 'retry', retry);
    run.detail = `analysing revision ${revision} again`;
    await run.commit();
    run.event('Normal', 'Retry', `Retrying revision ${revision} (${REQUEST_ANNOTATIONS.retry}=${retry})`);
    return run.a.intervalMs;
  }
  if (run.phase === 'Failed' && revision === s.lastAppliedSpec) {
    run.detail = failedDetail(run);
    await run.commit();
    return undefined;
  }
  const gate = await runHooks(run, 'confirm-rollout');
  if (!gate.ok) {
    if (run.phase !== 'Waiting') {
      run.event('Normal', 'Waiting', `Waiting for approval of revision ${revision}: ${gate.message}`);
      if (!gate.hook.muteAlert) run.alert('WaitingApproval', { webhook: gate.hook.name });
    }
    s.phase = 'Waiting';
    run.detail = `confirm-rollout gate ${gate.hook.name} is closed`;
    await run.commit();
    return run.a.intervalMs;
  }
  startRunStatus(run);
  run.detail = `analysing revision ${revision}`;
  await run.commit();
  run.event('Normal', 'NewRevision', `New revision ${revision} detected: scaling up ${run.info.name} and starting the analysis`);
  run.alert('NewRevision', { target: `${run.target.kind}/${run.info.name}` });
  return run.a.intervalMs;
}

/** Why the revision failed (the rollback's own message, kept) and how to run it again. */
function failedDetail(run: Run): string {
  const hint = `change the target, or set the annotation ${REQUEST_ANNOTATIONS.retry} to a new value, to run it again`;
  const stalled = run.status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True')?.message;
  // Already explained, or cut to the longest message a condition keeps: left as it is, so the status settles.
  if (stalled && (stalled.endsWith(hint) || stalled.length >= MAX_MESSAGE - 40)) return stalled;
  const why = stalled?.startsWith('rolled back: ') ? stalled : `revision ${run.info.revision} failed its analysis`;
  return `${why}; ${hint}`;
}
