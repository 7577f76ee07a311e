import { requestPath, signedHeaders } from '@tollgate/contract/signature';
import { postJson } from './http.js';
import { renderText } from './messages.js';
import type { Notification, Notifier, NotifierConfig, NotifierOptions } from './notifier.js';

/**
 * Any HTTP receiver (PagerDuty or Opsgenie bridges, an in-house service): the Notification as JSON, its
 * `message` through the template when there is one. With the Secret key `hmac-key` the body is signed as
 * the operator's webhooks are (@tollgate/contract/signature: X-Tollgate-Timestamp, X-Tollgate-Nonce and
 * X-Tollgate-Signature over POST, the address's path and query, and the body, as hooks/README.md documents);
 * with `token`, it is sent as a Bearer Authorization header.
 * `channel` and `username` do not apply.
 */
export class WebhookNotifier implements Notifier {
  readonly type = 'webhook';

  constructor(
    private readonly cfg: NotifierConfig,
    private readonly opts: NotifierOptions,
  ) {}

  payload(n: Notification): Notification {
    return this.cfg.template ? { ...n, message: renderText(this.cfg.template, n) } : n;
  }

  async post(n: Notification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(this.payload(n));
    const headers: Record<string, string> = {
      ...(this.cfg.token ? { authorization: `Bearer ${this.cfg.token}` } : {}),
      ...(this.cfg.hmacKey ? this.signed(this.cfg.hmacKey, body) : {}),
    };
    await postJson(this.cfg.address, body, signal, {
      http: this.opts.http,
      headers,
      proxy: this.cfg.proxy,
      timeoutMs: this.opts.timeoutMs,
    });
  }

  private signed(key: string, body: string): Record<string, string> {
    return signedHeaders(key, { method: 'POST', path: requestPath(this.cfg.address), body }, { nowMs: (this.opts.now ?? Date.now)() });
  }
}
