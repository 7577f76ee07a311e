import type { SentWebhookPayload, WebhookPayload } from '@tollgate/contract/payload';
import type { CanaryWebhook, Phase, WebhookType } from '../api/types.js';
import { analysisOf } from '../core/analysis.js';
import { revisionOf } from '../core/revision.js';
import { isNotFound } from '../kube/errors.js';
import { messageOf } from '../util/errors.js';
import { authFromSecret, type WebhookAuth, type WebhookResult } from '../webhooks/runner.js';
import { alert, event, type Transition } from './transition.js';
import type { Turn } from './turn.js';

export type HookOutcome = { ok: true } | { ok: false; hook: CanaryWebhook; message: string };

/** Hooks of one type; an empty type means rollout, as in Flagger. */
function hooksOf(turn: Turn, type: Exclude<WebhookType, ''>): CanaryWebhook[] {
  return (analysisOf(turn.canary.spec).webhooks ?? []).filter((h) => (h.type || 'rollout') === type);
}

export function payloadOf(turn: Turn, hook: CanaryWebhook, type: string, extra: Record<string, string> = {}): SentWebhookPayload<Phase> {
  const s = turn.status;
  return {
    name: turn.name,
    namespace: turn.ns,
    phase: turn.phase,
    checksum: revisionOf({ lastAppliedSpec: s.lastAppliedSpec ?? '', trackedConfigs: s.trackedConfigs ?? {} }),
    metadata: { ...hook.metadata, ...extra },
    type,
    canaryWeight: s.canaryWeight ?? 0,
    iteration: s.iterations ?? 0,
    revision: s.lastAppliedSpec ?? '',
    failedChecks: s.failedChecks ?? 0,
    timestamp: new Date(turn.now).toISOString(),
  };
}

/** Calls one hook, with the headers and signing key of its secretRef; a missing Secret fails the call. */
export async function callHook(turn: Turn, hook: CanaryWebhook, payload: WebhookPayload): Promise<WebhookResult> {
  let auth: WebhookAuth | undefined;
  if (hook.secretRef) {
    try {
      auth = authFromSecret(await turn.deps.secrets.read(turn.ns, hook.secretRef.name, turn.outbound));
    } catch (err) {
      const why = isNotFound(err) ? `Secret ${turn.ns}/${hook.secretRef.name} not found` : messageOf(err);
      return { ok: false, message: `${hook.name}: ${why}` };
    }
  }
  const res = await turn.deps.webhooks.call(hook, payload, turn.outbound, auth);
  turn.log.debug({ hook: hook.name, type: payload.type, ok: res.ok }, 'webhook called');
  return res;
}

/** Calls every hook of a type in order; the first failure stops the chain. */
export async function runHooks(turn: Turn, type: Exclude<WebhookType, '' | 'event' | 'rollback'>): Promise<HookOutcome> {
  for (const hook of hooksOf(turn, type)) {
    const res = await callHook(turn, hook, payloadOf(turn, hook, type));
    if (!res.ok) return { ok: false, hook, message: res.message };
  }
  return { ok: true };
}

/** A rollback hook that answers 2xx asks for a rollback; returns its name. */
export async function rollbackRequested(turn: Turn): Promise<string | undefined> {
  for (const hook of hooksOf(turn, 'rollback')) {
    if ((await callHook(turn, hook, payloadOf(turn, hook, 'rollback'))).ok) return hook.name;
  }
  return undefined;
}

/** post-rollout hooks: failures are reported (an Event and an alert for the committer), never acted upon. */
export async function runPostRollout(turn: Turn): Promise<Pick<Transition, 'events' | 'alerts'>> {
  const res = await runHooks(turn, 'post-rollout');
  if (res.ok) return {};
  return {
    events: [event('Warning', 'PostRolloutHookFailed', `post-rollout hook ${res.hook.name} failed: ${res.message}`)],
    alerts: [alert('HookFailed', { webhook: res.hook.name, detail: res.message })],
  };
}

/** event hooks get every Event recorded about the Canary (Flagger's eventMessage, eventType, timestamp). */
export function notifyEventHooks(turn: Turn, type: string, reason: string, message: string): void {
  for (const hook of hooksOf(turn, 'event')) {
    const extra = { eventMessage: message, eventType: type, eventReason: reason, timestamp: String(turn.now) };
    void callHook(turn, hook, payloadOf(turn, hook, 'event', extra)).then((res) => {
      if (!res.ok) turn.log.warn({ hook: hook.name, reason: res.message }, 'event webhook failed');
    });
  }
}
