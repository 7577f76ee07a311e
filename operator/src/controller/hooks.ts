import type { CanaryWebhook, WebhookType } from '../api/types.js';
import { analysisOf } from '../core/analysis.js';
import { revisionOf } from '../core/revision.js';
import type { WebhookPayload } from '../webhooks/runner.js';
import type { Run } from './run.js';

export type HookOutcome = { ok: true } | { ok: false; hook: CanaryWebhook; message: string };

/** Hooks of one type; an empty type means rollout, as in Flagger. */
export function hooksOf(run: Run, type: Exclude<WebhookType, ''>): CanaryWebhook[] {
  return (analysisOf(run.canary.spec).webhooks ?? []).filter((h) => (h.type || 'rollout') === type);
}

export function payloadOf(run: Run, hook: CanaryWebhook, type: string): WebhookPayload {
  const s = run.status;
  return {
    name: run.name, namespace: run.ns, phase: run.phase,
    checksum: revisionOf({ lastAppliedSpec: s.lastAppliedSpec ?? '', trackedConfigs: s.trackedConfigs ?? {} }),
    metadata: hook.metadata ?? {}, type,
    canaryWeight: s.canaryWeight ?? 0, iteration: s.iterations ?? 0, revision: s.lastAppliedSpec ?? '',
    failedChecks: s.failedChecks ?? 0, timestamp: new Date(run.now).toISOString(),
  };
}

/** Calls every hook of a type in order; the first failure stops the chain. */
export async function runHooks(run: Run, type: Exclude<WebhookType, '' | 'event' | 'rollback'>): Promise<HookOutcome> {
  for (const hook of hooksOf(run, type)) {
    const res = await run.deps.webhooks.call(hook, payloadOf(run, hook, type), run.signal);
    run.log.debug({ hook: hook.name, type, ok: res.ok }, 'webhook called');
    if (!res.ok) return { ok: false, hook, message: res.message };
  }
  return { ok: true };
}

/** A rollback hook that answers 2xx asks for a rollback; returns its name. */
export async function rollbackRequested(run: Run): Promise<string | undefined> {
  for (const hook of hooksOf(run, 'rollback')) {
    const res = await run.deps.webhooks.call(hook, payloadOf(run, hook, 'rollback'), run.signal);
    if (res.ok) return hook.name;
  }
  return undefined;
}

/** post-rollout hooks: failures are reported, never acted upon. */
export async function runPostRollout(run: Run): Promise<void> {
  const res = await runHooks(run, 'post-rollout');
  if (!res.ok) run.event('Warning', 'PostRolloutHookFailed', `post-rollout hook ${res.hook.name} failed: ${res.message}`);
}
