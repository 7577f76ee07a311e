import type { SentWebhookPayload, WebhookPayload } from '@tollgate/contract/payload';
import type { CanaryWebhook, Phase, WebhookType } from '../api/types.js';
import { analysisOf } from '../core/analysis.js';
import { revisionOf } from '../core/revision.js';
import { isNotFound } from '../kube/errors.js';
import { messageOf } from '../util/errors.js';
import { authFromSecret, type WebhookAuth, type WebhookResult } from '../webhooks/runner.js';
import type { Run } from './run.js';

export type HookOutcome = { ok: true } | { ok: false; hook: CanaryWebhook; message: string };

/** Hooks of one type; an empty type means rollout, as in Flagger. */
function hooksOf(run: Run, type: Exclude<WebhookType, ''>): CanaryWebhook[] {
  return (analysisOf(run.canary.spec).webhooks ?? []).filter((h) => (h.type || 'rollout') === type);
}

export function payloadOf(run: Run, hook: CanaryWebhook, type: string, extra: Record<string, string> = {}): SentWebhookPayload<Phase> {
  const s = run.status;
  return {
    name: run.name,
    namespace: run.ns,
    phase: run.phase,
    checksum: revisionOf({ lastAppliedSpec: s.lastAppliedSpec ?? '', trackedConfigs: s.trackedConfigs ?? {} }),
    metadata: { ...hook.metadata, ...extra },
    type,
    canaryWeight: s.canaryWeight ?? 0,
    iteration: s.iterations ?? 0,
    revision: s.lastAppliedSpec ?? '',
    failedChecks: s.failedChecks ?? 0,
    timestamp: new Date(run.now).toISOString(),
  };
}

/** Calls one hook, with the headers and signing key of its secretRef; a missing Secret fails the call. */
export async function callHook(run: Run, hook: CanaryWebhook, payload: WebhookPayload): Promise<WebhookResult> {
  let auth: WebhookAuth | undefined;
  if (hook.secretRef) {
    try {
      auth = authFromSecret(await run.deps.secrets.read(run.ns, hook.secretRef.name, run.outbound));
    } catch (err) {
      const why = isNotFound(err) ? `Secret ${run.ns}/${hook.secretRef.name} not found` : messageOf(err);
      return { ok: false, message: `${hook.name}: ${why}` };
    }
  }
  const res = await run.deps.webhooks.call(hook, payload, run.outbound, auth);
  run.log.debug({ hook: hook.name, type: payload.type, ok: res.ok }, 'webhook called');
  return res;
}

/** Calls every hook of a type in order; the first failure stops the chain. */
export async function runHooks(run: Run, type: Exclude<WebhookType, '' | 'event' | 'rollback'>): Promise<HookOutcome> {
  for (const hook of hooksOf(run, type)) {
    const res = await callHook(run, hook, payloadOf(run, hook, type));
    if (!res.ok) return { ok: false, hook, message: res.message };
  }
  return { ok: true };
}

/** A rollback hook that answers 2xx asks for a rollback; returns its name. */
export async function rollbackRequested(run: Run): Promise<string | undefined> {
  for (const hook of hooksOf(run, 'rollback')) {
    if ((await callHook(run, hook, payloadOf(run, hook, 'rollback'))).ok) return hook.name;
  }
  return undefined;
}

/** post-rollout hooks: failures are reported, never acted upon. */
export async function runPostRollout(run: Run): Promise<void> {
  const res = await runHooks(run, 'post-rollout');
  if (!res.ok) {
    run.event('Warning', 'PostRolloutHookFailed', `post-rollout hook ${res.hook.name} failed: ${res.message}`);
    run.alert('HookFailed', { webhook: res.hook.name, detail: res.message });
  }
}

/** event hooks get every Event recorded about the Canary (Flagger's eventMessage, eventType, timestamp). */
export function notifyEventHooks(run: Run, type: string, reason: string, message: string): void {
  for (const hook of hooksOf(run, 'event')) {
    const extra = { eventMessage: message, eventType: type, eventReason: reason, timestamp: String(run.now) };
    void callHook(run, hook, payloadOf(run, hook, 'event', extra)).then((res) => {
      if (!res.ok) run.log.warn({ hook: hook.name, reason: res.message }, 'event webhook failed');
    });
  }
}
