import type { WebhookPayload } from '@tollgate/contract/payload';
import { requestPath, signedHeaders } from '@tollgate/contract/signature';
import { durationOr } from '../api/duration.js';
import type { CanaryWebhook } from '../api/types.js';
import { OutboundError, redirectNote, type OutboundClient } from '../outbound/client.js';
import { clipRemoteText, Redactor } from '../outbound/redact.js';
import { sleep } from '../util/backoff.js';
import { messageOf } from '../util/errors.js';

export type WebhookResult = { ok: true; status: number } | { ok: false; status?: number; message: string };

/** Credentials from the webhook's secretRef: headers sent as they are, and an optional signing key. */
export interface WebhookAuth {
  headers: Record<string, string>;
  hmacKey?: string;
}

export interface WebhookRunner {
  call(hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal, auth?: WebhookAuth): Promise<WebhookResult>;
}

/** The secretRef key that signs instead of being sent. */
export const HMAC_KEY = 'hmac-key';

/** Splits a webhook Secret's keys into headers and the signing key. */
export function authFromSecret(data: Record<string, string>): WebhookAuth {
  const { [HMAC_KEY]: hmacKey, ...headers } = data;
  return { headers, ...(hmacKey ? { hmacKey: hmacKey.trim() } : {}) };
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Characters of a receiver's answer quoted in a failed webhook's message (which goes to Events, status, alerts). */
const ANSWER_MAX_CHARS = 200;

/** The operator's bounds on what a Canary's webhook may ask for. */
export interface WebhookLimits {
  /** Longest `timeout` honoured (a longer one is cut to this). */
  maxTimeoutMs: number;
  /** Most `retries` honoured. */
  maxRetries: number;
}

/** One attempt's result; `permanent` when trying again cannot help (the client refused the request). */
type Attempt = WebhookResult & { permanent?: boolean };

/**
 * POSTs the payload as JSON. Success is any 2xx (Flagger accepts only up to 202); other answers and
 * network errors are retried `retries` times with a growing pause (a request the client refuses, such as a
 * URL that is not http(s) or disableTLS under --forbid-insecure-tls, is not), and the last answer becomes the message:
 * one line, at most ANSWER_MAX_CHARS of it, without the secretRef's values. `timeout` (a total deadline per
 * attempt) and `retries` are capped by the operator's limits; redirects are never followed.
 * Each attempt is signed afresh (@tollgate/contract/signature: method, path, timestamp, a new nonce and the
 * body), so the receiver never takes a retry for a replay and its timestamp stays inside the receiver's window.
 */
export class HttpWebhookRunner implements WebhookRunner {
  constructor(
    private readonly client: OutboundClient,
    private readonly limits: WebhookLimits,
  ) {}

  async call(hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal, auth?: WebhookAuth): Promise<WebhookResult> {
    const attempts = 1 + Math.min(Math.max(0, hook.retries ?? 0), this.limits.maxRetries);
    const body = JSON.stringify(payload);
    let last: Attempt = { ok: false, message: 'not called' };
    for (let i = 0; i < attempts && !signal.aborted; i++) {
      if (i > 0) await sleep(Math.min(500 * 2 ** (i - 1), 5000), signal);
      last = await this.once(hook, body, signal, auth);
      if (last.ok || last.permanent) break;
    }
    const { permanent: _, ...result } = last;
    return result;
  }

  private async once(hook: CanaryWebhook, body: string, signal: AbortSignal, auth?: WebhookAuth): Promise<Attempt> {
    const secrets = new Redactor([...Object.values(auth?.headers ?? {}), auth?.hmacKey]);
    try {
      // Inside the try: an unparseable URL is this webhook's failure, not the reconcile's.
      const headers = {
        ...auth?.headers,
        'content-type': 'application/json',
        ...(auth?.hmacKey ? signedHeaders(auth.hmacKey, { method: 'POST', path: requestPath(hook.url), body }) : {}),
      };
      const res = await this.client.request({
        method: 'POST',
        url: hook.url,
        body,
        headers,
        signal,
        timeoutMs: Math.min(durationOr(hook.timeout, DEFAULT_TIMEOUT_MS), this.limits.maxTimeoutMs),
        ...(hook.disableTLS ? { insecureSkipVerify: true } : {}),
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const text = clipRemoteText(secrets.redact(res.body), ANSWER_MAX_CHARS);
      return {
        ok: false,
        status: res.status,
        message: `${hook.name} answered ${res.status}${redirectNote(res.status)}${text ? `: ${text}` : ''}`,
      };
    } catch (err) {
      // Refused by the client, or a URL the signer cannot read: the same on every attempt.
      const permanent = !(err instanceof OutboundError) || err.kind === 'refused';
      return { ok: false, message: `${hook.name}: ${secrets.redact(messageOf(err))}`, permanent };
    }
  }
}
