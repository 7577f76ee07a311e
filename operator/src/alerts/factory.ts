import { ALERT_PROVIDER_TYPES } from '../api/crd/alert-provider.js';
import { DiscordNotifier } from './discord.js';
import { GoogleChatNotifier } from './gchat.js';
import { MSTeamsNotifier } from './msteams.js';
import type { Notifier, NotifierConfig, NotifierOptions } from './notifier.js';
import { RocketNotifier } from './rocket.js';
import { SlackNotifier } from './slack.js';
import { WebhookNotifier } from './webhook.js';

export type AlertProviderType = (typeof ALERT_PROVIDER_TYPES)[number];

type NotifierClass = new (cfg: NotifierConfig, opts: NotifierOptions) => Notifier;

/** One line per receiver type; the CRD's enum and this table must name the same types (checked by tsc). */
const REGISTRY = {
  slack: SlackNotifier,
  msteams: MSTeamsNotifier,
  discord: DiscordNotifier,
  gchat: GoogleChatNotifier,
  rocket: RocketNotifier,
  webhook: WebhookNotifier,
} satisfies Record<AlertProviderType, NotifierClass>;

/** An AlertProvider type no receiver exists for. Never replaced by another receiver. */
export class UnknownAlertProviderError extends Error {
  constructor(readonly type: string) {
    super(`alert provider type ${JSON.stringify(type)} is not supported (supported: ${ALERT_PROVIDER_TYPES.join(', ')})`);
    this.name = 'UnknownAlertProviderError';
  }
}

export function isAlertProviderType(type: string): type is AlertProviderType {
  return Object.hasOwn(REGISTRY, type);
}

/** The receiver of an AlertProvider, from its spec with the Secret's address, token and keys resolved. */
export function createNotifier(cfg: NotifierConfig, opts: NotifierOptions): Notifier {
  if (!isAlertProviderType(cfg.type)) throw new UnknownAlertProviderError(cfg.type);
  return new REGISTRY[cfg.type](cfg, opts);
}
