import https from 'node:https';
import type { WebhookPayload } from '@tollgate/contract/payload';
import { requestPath, signedHeaders } from '@tollgate/contract/signature';
import axios from 'axios';
import { durationOr } from '../api/duration.js';
import type { CanaryWebhook } from '../api/types.js';
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
const insecureAgent = new https.Agent({ rejectUnauthorized: false });

/**
 * POSTs the payload as JSON. Success is any 2xx (Flagger accepts only up to 202); other answers and
 * network errors are retried `retries` times with a growing pause, and the last body becomes the message.
 * Each attempt is signed afresh (@tollgate/contract/signature: method, path, timestamp, a new nonce and the
 * body), so the receiver never takes a retry for a replay and its timestamp stays inside the receiver's window.
 */
export class HttpWebhookRunner implements WebhookRunner {
  async call(hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal, auth?: WebhookAuth): Promise<WebhookResult> {
    const attempts = 1 + Math.max(0, hook.retries ?? 0);
    const body = JSON.stringify(payload);
    let last: WebhookResult = { ok: false, message: 'not called' };
    for (let i = 0; i < attempts && !signal.aborted; i++) {
      if (i > 0) await sleep(Math.min(500 * 2 ** (i - 1), 5000), signal);
      last = await this.once(hook, body, signal, auth);
      if (last.ok) return last;
    }
    return last;
  }

  private async once(hook: CanaryWebhook, body: string, signal: AbortSignal, auth?: WebhookAuth): Promise<WebhookResult> {
    try {
      const headers = {
        ...auth?.headers, 'content-type': 'application/json',
        ...(auth?.hmacKey ? signedHeaders(auth.hmacKey, { method: 'POST', path: requestPath(hook.url), body }) : {}),
      };
      const res = await axios.post(hook.url, body, {
        headers,
        timeout: durationOr(hook.timeout, DEFAULT_TIMEOUT_MS),
        signal,
        validateStatus: () => true,
        responseType: 'text',
        transformRequest: [(data: unknown) => data],
        transitional: { forcedJSONParsing: false },
        ...(hook.disableTLS ? { httpsAgent: insecureAgent } : {}),
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const text = String(res.data ?? '').trim().slice(0, 500);
      return { ok: false, status: res.status, message: `${hook.name} answered ${res.status}${text ? `: ${text}` : ''}` };
    } catch (err) {
      return { ok: false, message: `${hook.name}: ${messageOf(err)}` };
    }
  }
}
