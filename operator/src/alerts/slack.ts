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

/** Where a Slack bot token posts when the provider names no address. */
const SLACK_POST_MESSAGE_URL = 'https://slack.com/api/chat.postMessage';
/** chat.postMessage needs a channel; Flagger's default. */
const SLACK_DEFAULT_CHANNEL = 'general';

/** Slack's three control characters; the rest of mrkdwn is left to the text. */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Slack. Without a token: an incoming webhook (https://hooks.slack.com/services/...); `channel` and
 * `username` are sent, and honoured only by legacy webhooks (an app's webhook posts to its own channel).
 * With a token (Secret key `token`, a bot token with chat:write): chat.postMessage with Bearer auth, to
 * `address` when set (Slack-compatible or GovSlack API) or slack.com; `channel` defaults to general.
 * The message is the top-level text; the canary and the fields sit in an attachment with the severity's
 * colour bar, laid out with Block Kit.
 */
export class SlackNotifier implements Notifier {
  readonly type = 'slack';

  constructor(
    private readonly cfg: NotifierConfig,
    private readonly opts: NotifierOptions,
  ) {}

  payload(n: Notification): Record<string, unknown> {
    const channel = this.cfg.channel || (this.cfg.token ? SLACK_DEFAULT_CHANNEL : undefined);
    const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(canaryRef(n))}*` } }];
    if (n.fields.length) {
      blocks.push({
        type: 'section',
        fields: n.fields
          .slice(0, 10)
          .map((f) => ({ type: 'mrkdwn', text: clip(`*${slackEscape(f.name)}*\n${slackEscape(f.value)}`, 2000) })),
      });
    }
    return {
      ...(channel ? { channel } : {}),
      username: this.cfg.username || DEFAULT_USERNAME,
      text: clip(renderText(this.cfg.template, n, slackEscape), 3000),
      attachments: [{ color: SEVERITY_COLORS[n.severity], blocks }],
    };
  }

  async post(n: Notification, signal: AbortSignal): Promise<void> {
    const common = { http: this.opts.http, proxy: this.cfg.proxy, timeoutMs: this.opts.timeoutMs };
    if (!this.cfg.token) {
      await postJson(this.cfg.address, this.payload(n), signal, common);
      return;
    }
    await postJson(this.cfg.address || SLACK_POST_MESSAGE_URL, this.payload(n), signal, {
      ...common,
      headers: { authorization: `Bearer ${this.cfg.token}` },
      check: slackApiError,
    });
  }
}

/** chat.postMessage answers 200 with {"ok": false, "error": "channel_not_found"} when it refuses. */
function slackApiError(_status: number, body: string): string | undefined {
  try {
    const res = JSON.parse(body) as { ok?: boolean; error?: string };
    return res.ok === true ? undefined : String(res.error ?? 'ok is not true');
  } catch {
    return 'the answer is not JSON';
  }
}
