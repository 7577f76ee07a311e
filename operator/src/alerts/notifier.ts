/** What every receiver gets, and the interface each receiver type implements. */

import type { OutboundClient } from '../outbound/client.js';

export type Severity = 'info' | 'warn' | 'error';

const SEVERITIES: readonly Severity[] = ['info', 'warn', 'error'];

/** The metric check that failed the run, with the bounds it was judged against. */
export interface FailingMetric {
  name: string;
  value?: number;
  min?: number;
  max?: number;
  /** BelowMin, AboveMax, NoData, WebhookFailed... as in status.lastChecks. */
  reason?: string;
}

export interface NotificationField {
  name: string;
  value: string;
}

/** One alert about one Canary. `message` is plain text: each receiver escapes it for its own markup. */
export interface Notification {
  canary: { name: string; namespace: string };
  severity: Severity;
  /** Kind of event, e.g. RolledBack (see messages.ts). */
  reason: string;
  message: string;
  phase: string;
  weight: number;
  revision: string;
  failingMetric?: FailingMetric;
  /** The operator's cluster name (#926), when it is configured. */
  cluster?: string;
  /** Extra facts shown as a table by chat receivers (Target, Phase, Weight, ...). */
  fields: NotificationField[];
}

/**
 * A receiver of alerts. post() resolves once the receiver accepted the notification and rejects with an
 * AlertDeliveryError (never carrying the address or a credential) otherwise.
 */
export interface Notifier {
  readonly type: string;
  post(n: Notification, signal: AbortSignal): Promise<void>;
}

/** A notification the receiver refused or never got. The message names no address, token or key. */
export class AlertDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AlertDeliveryError';
  }
}

/**
 * Flagger's severity filter: an alert with severity info gets everything, warn gets warn and error,
 * error gets error only. An empty severity is info.
 */
export function severityAccepts(alertSeverity: string | undefined, notification: Severity): boolean {
  const rank = (s: string): number => Math.max(0, SEVERITIES.indexOf(s as Severity));
  return rank(notification) >= rank(alertSeverity || 'info');
}

/** `name.namespace`, the way Flagger names a workload in its alerts. */
export const canaryRef = (n: Pick<Notification, 'canary'>): string => `${n.canary.name}.${n.canary.namespace}`;

/** Cuts text to a receiver's limit, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** An AlertProvider's spec with the address, token and keys of its Secret resolved. */
export interface NotifierConfig {
  type: string;
  /** Webhook (or API) address; empty only for Slack with a token, which then uses chat.postMessage on slack.com. */
  address: string;
  token?: string;
  channel?: string;
  username?: string;
  proxy?: string;
  template?: string;
  /** Signs the generic webhook's body (Secret key hmac-key). */
  hmacKey?: string;
}

export interface NotifierOptions {
  /** The operator's one outbound HTTP client. */
  http: OutboundClient;
  /** Per request; 10 s by default. */
  timeoutMs?: number;
  /** Clock of the HMAC timestamp. */
  now?: () => number;
}

export const DEFAULT_USERNAME = 'tollgate';

/** Colour bars: Slack's good, warning and danger. */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = { info: '#2eb886', warn: '#daa038', error: '#a30200' };
