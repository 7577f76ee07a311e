import { DEFAULT_MAX_BODY_BYTES, OutboundClient, type OutboundSettings } from '../../src/outbound/client.js';
import type { ProviderContext } from '../../src/metrics/providers/http.js';
import type { WebhookLimits } from '../../src/webhooks/runner.js';

/** The operator's defaults (the settings' defaults in config.ts). */
export const outboundClient = (settings: Partial<OutboundSettings> = {}): OutboundClient =>
  new OutboundClient({ maxBodyBytes: DEFAULT_MAX_BODY_BYTES, forbidInsecureTls: false, ...settings });

export const testHttp = outboundClient();

/** A provider whose namespace may use the operator's own credentials. */
export const providerCtx: ProviderContext = { http: testHttp, ambientCredentials: true };

export const webhookLimits: WebhookLimits = { maxTimeoutMs: 120_000, maxRetries: 5 };
