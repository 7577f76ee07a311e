import https from 'node:https';
import axios from 'axios';
import { durationOr } from '../api/duration.js';
import type { CanaryWebhook, Phase } from '../api/types.js';
import { sleep } from '../util/backoff.js';
import { messageOf } from '../util/errors.js';

/** What the operator posts to a webhook: Flagger's fields plus the run's position. */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: Phase;
  checksum: string;
  metadata: Record<string, string>;
  type: string;
  canaryWeight: number;
  iteration: number;
  revision: string;
  failedChecks: number;
  timestamp: string;
}

export type WebhookResult = { ok: true; status: number } | { ok: false; status?: number; message: string };

export interface WebhookRunner {
  call(hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal): Promise<WebhookResult>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const insecureAgent = new https.Agent({ rejectUnauthorized: false });

/**
 * POSTs the payload as JSON. Success is any 2xx (Flagger accepts only up to 202); other answers and
 * network errors are retried `retries` times with a growing pause, and the last body becomes the message.
 */
export class HttpWebhookRunner implements WebhookRunner {
  async call(hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal): Promise<WebhookResult> {
    const attempts = 1 + Math.max(0, hook.retries ?? 0);
    let last: WebhookResult = { ok: false, message: 'not called' };
    for (let i = 0; i < attempts && !signal.aborted; i++) {
      if (i > 0) await sleep(Math.min(500 * 2 ** (i - 1), 5000), signal);
      last = await this.once(hook, payload, signal);
      if (last.ok) return last;
    }
    return last;
  }

  private async once(hook: CanaryWebhook, payload: WebhookPayload, signal: AbortSignal): Promise<WebhookResult> {
    try {
      const res = await axios.post(hook.url, payload, {
        timeout: durationOr(hook.timeout, DEFAULT_TIMEOUT_MS),
        signal,
        validateStatus: () => true,
        responseType: 'text',
        transitional: { forcedJSONParsing: false },
        ...(hook.disableTLS ? { httpsAgent: insecureAgent } : {}),
      });
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const body = String(res.data ?? '').trim().slice(0, 500);
      return { ok: false, status: res.status, message: `${hook.name} answered ${res.status}${body ? `: ${body}` : ''}` };
    } catch (err) {
      return { ok: false, message: `${hook.name}: ${messageOf(err)}` };
    }
  }
}
