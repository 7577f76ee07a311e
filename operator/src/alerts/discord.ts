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

/** Discord's limits on one embed. */
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
const FIELDS_MAX = 25;
const FIELD_NAME_MAX = 256;
const FIELD_VALUE_MAX = 1024;
const EMBED_TOTAL_MAX = 6000;

/**
 * Discord's own webhook format (Execute Webhook, https://discord.com/api/webhooks/<id>/<token>): one embed
 * with the canary as title, the message as description, the severity as colour and the fields inline.
 * Flagger posts Slack attachments to the Slack-compatible <webhook>/slack endpoint and accepts addresses
 * with or without that suffix; a trailing /slack is dropped here, so Flagger's addresses keep working.
 * Mentions inside embeds never ping, so the alert pings nobody. `channel` does not apply (a webhook belongs
 * to one channel); `username` overrides the webhook's name.
 */
export class DiscordNotifier implements Notifier {
  readonly type = 'discord';

  constructor(
    private readonly cfg: NotifierConfig,
    private readonly opts: NotifierOptions,
  ) {}

  payload(n: Notification): Record<string, unknown> {
    const title = clip(canaryRef(n), TITLE_MAX);
    const fields = n.fields.slice(0, FIELDS_MAX).map((f) => ({
      name: clip(f.name, FIELD_NAME_MAX),
      value: clip(f.value || '-', FIELD_VALUE_MAX),
      inline: true,
    }));
    const used = title.length + fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    const description = clip(renderText(this.cfg.template, n), Math.max(1, Math.min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - used)));
    return {
      username: this.cfg.username || DEFAULT_USERNAME,
      embeds: [{ title, description, color: parseInt(SEVERITY_COLORS[n.severity].slice(1), 16), fields }],
    };
  }

  async post(n: Notification, signal: AbortSignal): Promise<void> {
    await postJson(nativeAddress(this.cfg.address), this.payload(n), signal, {
      http: this.opts.http,
      proxy: this.cfg.proxy,
      timeoutMs: this.opts.timeoutMs,
    });
  }
}

/** The webhook's own endpoint: without Flagger's /slack suffix. */
function nativeAddress(address: string): string {
  try {
    const u = new URL(address);
    if (!/\/slack\/?$/.test(u.pathname)) return address;
    u.pathname = u.pathname.replace(/\/slack\/?$/, '');
    return u.toString();
  } catch {
    return address;
  }
}
