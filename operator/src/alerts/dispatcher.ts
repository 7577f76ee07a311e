import { canaryKey } from '@tollgate/contract/metadata';
import type { AlertProvider, Canary, CanaryAlert } from '../api/types.js';
import { analysisOf, resolveAnalysis } from '../core/analysis.js';
import { crossNamespaceRefusal, type CrossNamespacePolicy } from '../core/cross-namespace.js';
import type { EventSink } from '../kube/events.js';
import { isNotFound } from '../kube/errors.js';
import type { Lister } from '../kube/informer.js';
import { messageOf } from '../util/errors.js';
import type { OutboundClient } from '../outbound/client.js';
import type { Logger } from '../util/log.js';
import { HMAC_KEY } from '../webhooks/runner.js';
import { createNotifier } from './factory.js';
import { metricText } from './messages.js';
import {
  severityAccepts,
  type Notification,
  type NotificationField,
  type Notifier,
  type NotifierConfig,
  type NotifierOptions,
} from './notifier.js';
import { alertProviderProblems } from './validate.js';

/** Identical notifications about one Canary within this window are sent once (a requeue loop is no alert storm). */
const DEDUP_WINDOW_MS = 5 * 60_000;
/** Bound of the de-duplication memory; the oldest entries go first. */
const DEDUP_MAX_ENTRIES = 10_000;

export interface AlertDispatcherDeps {
  providers: Lister<AlertProvider>;
  secrets: { read(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string>> };
  logger: Logger;
  /** Added to every notification as the Cluster field and {{ cluster }} (Flagger's -cluster-name, #926). */
  cluster?: string;
  now: () => number;
  /** Replaces the receivers (tests). */
  createNotifier?: (cfg: NotifierConfig, opts: NotifierOptions) => Notifier;
  /** The operator's one outbound HTTP client. */
  http: OutboundClient;
  /** Per request; 10 s by default. */
  timeoutMs?: number;
  /** Whether a Canary may use an AlertProvider of another namespace without the provider's consent. */
  crossNamespaceRefs: CrossNamespacePolicy;
  /** Where a refused cross-namespace reference is reported, as a Warning Event on the Canary. */
  events?: EventSink;
  dedupWindowMs?: number;
}

/**
 * sent: delivered; filtered: below the alert's severity; duplicate: the same notification went out less
 * than the window ago, or another alert of this Canary names the same provider; failed: see error.
 */
type AlertOutcome = 'sent' | 'filtered' | 'duplicate' | 'failed';

interface AlertResult {
  /** The alert's name in spec.analysis.alerts. */
  alert: string;
  /** namespace/name of the AlertProvider. */
  provider: string;
  outcome: AlertOutcome;
  /** Why it failed; never holds an address, token or key. */
  error?: string;
}

export interface DispatchSummary {
  results: AlertResult[];
  sent: number;
  failed: number;
}

type Pending = Omit<Notification, 'fields' | 'cluster'>;

/**
 * Sends a Canary's notifications to the AlertProviders its spec.analysis.alerts name, filtered by each
 * alert's severity. notify() never throws and never rejects: a failure is one warning in the log (the
 * provider named, no secret) and a line in the summary.
 */
export class AlertDispatcher {
  private readonly recent = new Map<string, number>();
  private readonly badTemplates = new Set<string>();
  private readonly windowMs: number;

  constructor(private readonly deps: AlertDispatcherDeps) {
    this.windowMs = deps.dedupWindowMs ?? DEDUP_WINDOW_MS;
  }

  async notify(canary: Canary, n: Pending, signal: AbortSignal): Promise<DispatchSummary> {
    try {
      return await this.dispatch(canary, n, signal);
    } catch (err) {
      // Nothing above throws by design; this is the guarantee that a bug here never fails a reconcile.
      this.deps.logger.warn({ canary: canaryKey(n.canary), err }, 'alerts not dispatched');
      return summary([]);
    }
  }

  private async dispatch(canary: Canary, n: Pending, signal: AbortSignal): Promise<DispatchSummary> {
    const alerts = analysisOf(canary.spec).alerts ?? [];
    if (alerts.length === 0) return summary([]);
    const ns = canary.metadata.namespace ?? n.canary.namespace;
    const refOf = (a: CanaryAlert): string => `${a.providerRef.namespace || ns}/${a.providerRef.name}`;
    if (this.seenRecently(canary, n)) {
      return summary(alerts.map((a) => ({ alert: a.name, provider: refOf(a), outcome: 'duplicate' })));
    }
    const full: Notification = {
      ...n,
      ...(this.deps.cluster ? { cluster: this.deps.cluster } : {}),
      fields: fieldsOf(canary, n, this.deps.cluster),
    };
    const chosen = new Set<string>();
    const results = await Promise.all(
      alerts.map(async (a): Promise<AlertResult> => {
        const provider = refOf(a);
        if (!severityAccepts(a.severity, n.severity)) return { alert: a.name, provider, outcome: 'filtered' };
        if (chosen.has(provider)) return { alert: a.name, provider, outcome: 'duplicate' };
        chosen.add(provider);
        try {
          await this.send(canary, provider, full, signal);
          this.deps.logger.debug({ canary: canaryKey(n.canary), alert: a.name, provider, reason: n.reason }, 'alert sent');
          return { alert: a.name, provider, outcome: 'sent' };
        } catch (err) {
          const error = messageOf(err);
          const fields = { canary: canaryKey(n.canary), alert: a.name, provider, reason: n.reason, err };
          // A shutdown aborts what is in flight: not worth a warning.
          if (signal.aborted) this.deps.logger.debug(fields, `alert to AlertProvider ${provider} aborted`);
          else this.deps.logger.warn(fields, `alert not delivered through AlertProvider ${provider}`);
          return { alert: a.name, provider, outcome: 'failed', error };
        }
      }),
    );
    return summary(results);
  }

  /** Resolves one AlertProvider and its Secret, and posts. Throws with a message fit for the log. */
  // eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
  private async send(canary: Canary, ref: string, n: Notification, signal: AbortSignal): Promise<void> {
    const [namespace, name] = ref.split('/') as [string, string];
    const provider = this.deps.providers.get(namespace, name);
    if (!provider) throw new Error(`AlertProvider ${ref} not found`);
    const refused = crossNamespaceRefusal(
      'AlertProvider',
      provider,
      canary.metadata.namespace ?? n.canary.namespace,
      this.deps.crossNamespaceRefs,
    );
    if (refused) {
      this.deps.events?.record(canary, 'Warning', 'CrossNamespaceRefused', refused);
      throw new Error(refused);
    }
    const spec = provider.spec;
    const { blocking, template } = alertProviderProblems(spec);
    if (blocking.length) throw new Error(blocking.join('; '));
    if (template.length) this.warnTemplateOnce(ref, spec.template ?? '', template);
    let secret: Record<string, string> = {};
    if (spec.secretRef?.name) {
      try {
        secret = await this.deps.secrets.read(namespace, spec.secretRef.name, signal);
      } catch (err) {
        throw new Error(
          isNotFound(err)
            ? `Secret ${namespace}/${spec.secretRef.name} not found`
            : `Secret ${namespace}/${spec.secretRef.name}: ${messageOf(err)}`,
        );
      }
    }
    const pick = (key: string): string | undefined => secret[key]?.trim() || undefined;
    const address = pick('address') ?? spec.address ?? '';
    const token = pick('token');
    const proxy = pick('proxy') ?? spec.proxy;
    if (!address && !(spec.type === 'slack' && token)) {
      throw new Error(
        `no address: set spec.address, or the address key of Secret ${namespace}/${spec.secretRef?.name ?? '(no secretRef)'}`,
      );
    }
    const cfg: NotifierConfig = {
      type: spec.type,
      address,
      ...(token ? { token } : {}),
      ...(spec.channel ? { channel: spec.channel } : {}),
      ...(spec.username ? { username: spec.username } : {}),
      ...(proxy ? { proxy } : {}),
      ...(spec.template && !template.length ? { template: spec.template } : {}),
      ...(pick(HMAC_KEY) ? { hmacKey: pick(HMAC_KEY) } : {}),
    };
    const opts: NotifierOptions = {
      http: this.deps.http,
      now: this.deps.now,
      ...(this.deps.timeoutMs ? { timeoutMs: this.deps.timeoutMs } : {}),
    };
    await (this.deps.createNotifier ?? createNotifier)(cfg, opts).post(n, signal);
  }

  /** True when the same notification about this Canary went out less than the window ago; records it otherwise. */
  private seenRecently(canary: Canary, n: Pending): boolean {
    const now = this.deps.now();
    for (const [key, at] of this.recent) {
      if (now - at < this.windowMs && this.recent.size <= DEDUP_MAX_ENTRIES) break;
      this.recent.delete(key);
    }
    const key = JSON.stringify([
      canary.metadata.uid ?? '',
      n.canary.namespace,
      n.canary.name,
      n.severity,
      n.reason,
      n.message,
      n.phase,
      n.weight,
      n.revision,
      n.failingMetric
        ? [n.failingMetric.name, n.failingMetric.value, n.failingMetric.min, n.failingMetric.max, n.failingMetric.reason]
        : null,
    ]);
    const at = this.recent.get(key);
    if (at !== undefined && now - at < this.windowMs) return true;
    this.recent.delete(key);
    this.recent.set(key, now);
    return false;
  }

  private warnTemplateOnce(ref: string, template: string, problems: string[]): void {
    const key = `${ref}\n${template}`;
    if (this.badTemplates.has(key)) return;
    this.badTemplates.add(key);
    this.deps.logger.warn({ provider: ref, problems }, `AlertProvider ${ref} has an invalid template; alerts use the default text`);
  }
}

/** The facts shown under the message: Flagger's (Target, and for a new revision the threshold and deadline) and the run's position. */
function fieldsOf(canary: Canary, n: Pending, cluster: string | undefined): NotificationField[] {
  const fields: NotificationField[] = [];
  const t = canary.spec.targetRef;
  if (t?.kind && t.name) fields.push({ name: 'Target', value: `${t.kind}/${t.name}` });
  if (n.phase) fields.push({ name: 'Phase', value: n.phase });
  fields.push({ name: 'Canary weight', value: `${n.weight}%` });
  if (n.revision) fields.push({ name: 'Revision', value: n.revision });
  if (n.failingMetric) fields.push({ name: 'Failing metric', value: metricText(n.failingMetric) });
  if (n.reason === 'NewRevision') {
    try {
      const a = resolveAnalysis(canary.spec, canary.spec.provider ?? '');
      fields.push({ name: 'Failed checks threshold', value: String(a.threshold) });
      fields.push({ name: 'Progress deadline', value: `${a.progressDeadlineMs / 1000}s` });
    } catch {
      // an unparsable interval: the controller reports it; the alert goes without these two facts
    }
  }
  if (cluster) fields.push({ name: 'Cluster', value: cluster });
  return fields;
}

function summary(results: AlertResult[]): DispatchSummary {
  return {
    results,
    sent: results.filter((r) => r.outcome === 'sent').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
  };
}
