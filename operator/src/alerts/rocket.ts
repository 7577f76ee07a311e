import { postJson } from './http.js';
import { renderText } from './messages.js';
import {
  canaryRef,
  clip,
  DEFAULT_USERNAME,
  SEVERITY_COLORS,
  type Notification,
  type Notifier,
  type NotifierConfig,
  type NotifierOptions,
} from './notifier.js';

/**
 * Rocket.Chat incoming webhook (https://<server>/hooks/<id>/<token>), in its message format: `alias` (the
 * display name, from `username`), `channel` (a room name gets its #; @user and room ids are kept; the
 * integration must allow overriding its channel), the message as `text`, and one Slack-style attachment
 * with the canary as title, the severity colour and short fields.
 */
export class RocketNotifier implements Notifier {
  readonly type = 'rocket';

  constructor(
    private readonly cfg: NotifierConfig,
    private readonly opts: NotifierOptions,
  ) {}

  payload(n: Notification): Record<string, unknown> {
    const channel = this.cfg.channel ? (/^[#@]/.test(this.cfg.channel) ? this.cfg.channel : `#${this.cfg.channel}`) : undefined;
    return {
      alias: this.cfg.username || DEFAULT_USERNAME,
      ...(channel ? { channel } : {}),
      text: clip(renderText(this.cfg.template, n), 4000),
      attachments: [
        {
          title: canaryRef(n),
          color: SEVERITY_COLORS[n.severity],
          fields: n.fields.map((f) => ({ title: f.name, value: f.value, short: true })),
        },
      ],
    };
  }

  async post(n: Notification, signal: AbortSignal): Promise<void> {
    await postJson(this.cfg.address, this.payload(n), signal, {
      http: this.opts.http,
      proxy: this.cfg.proxy,
      timeoutMs: this.opts.timeoutMs,
    });
  }
}
