import { postJson } from './http.js';
import { renderText } from './messages.js';
import { canaryRef, clip, type Notification, type Notifier, type NotifierConfig, type NotifierOptions, type Severity } from './notifier.js';

const TEXT_COLORS: Readonly<Record<Severity, string>> = { info: 'Good', warn: 'Warning', error: 'Attention' };

/**
 * Microsoft Teams through a Workflows (Power Automate) webhook, the replacement of the retired Office 365
 * connectors: the "Post to a channel when a webhook request is received" template takes a message whose
 * attachment is an Adaptive Card (version 1.4, the highest those flows render). The same envelope is
 * accepted by the connectors' incoming webhooks that still run, so a legacy address keeps working; the
 * legacy MessageCard format (what Flagger sends) is not produced. `channel` and `username` do not apply:
 * the flow decides where the card goes and who posts it.
 */
export class MSTeamsNotifier implements Notifier {
  readonly type = 'msteams';

  constructor(
    private readonly cfg: NotifierConfig,
    private readonly opts: NotifierOptions,
  ) {}

  payload(n: Notification): Record<string, unknown> {
    const body: Record<string, unknown>[] = [
      { type: 'TextBlock', text: canaryRef(n), weight: 'Bolder', size: 'Medium', color: TEXT_COLORS[n.severity], wrap: true },
      { type: 'TextBlock', text: clip(renderText(this.cfg.template, n), 4000), wrap: true },
    ];
    if (n.fields.length) body.push({ type: 'FactSet', facts: n.fields.map((f) => ({ title: f.name, value: f.value })) });
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
            body,
          },
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
