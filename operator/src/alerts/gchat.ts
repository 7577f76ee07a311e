import { postJson } from './http.js';
import { renderText } from './messages.js';
import { canaryRef, clip, type Notification, type Notifier, type NotifierConfig, type NotifierOptions } from './notifier.js';

/** Card widgets read a small HTML subset: values are escaped. */
const htmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Google Chat incoming webhook (https://chat.googleapis.com/v1/spaces/<space>/messages?key=...&token=...):
 * the message as `text` (where Chat formatting and <users/all> mentions work), and a cardsV2 card with the
 * canary, the reason and severity, and one decoratedText widget per field. `channel` and `username` do
 * not apply: the webhook belongs to one space and posts as itself.
 */
export class GoogleChatNotifier implements Notifier {
  readonly type = 'gchat';

  constructor(
    private readonly cfg: NotifierConfig,
    private readonly opts: NotifierOptions,
  ) {}

  payload(n: Notification): Record<string, unknown> {
    const card: Record<string, unknown> = { header: { title: canaryRef(n), subtitle: `${n.reason} (${n.severity})` } };
    if (n.fields.length) {
      card.sections = [{ widgets: n.fields.map((f) => ({ decoratedText: { topLabel: f.name, text: htmlEscape(f.value) } })) }];
    }
    return { text: clip(renderText(this.cfg.template, n), 4000), cardsV2: [{ cardId: 'tollgate-alert', card }] };
  }

  async post(n: Notification, signal: AbortSignal): Promise<void> {
    await postJson(this.cfg.address, this.payload(n), signal, {
      http: this.opts.http,
      proxy: this.cfg.proxy,
      timeoutMs: this.opts.timeoutMs,
    });
  }
}
