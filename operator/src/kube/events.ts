import type { KubeObject } from '../api/types.js';
import type { Logger } from '../util/log.js';
import type { KubeClient } from './client.js';
import { apiVersionOf, Resources, type ResourceType } from './resources.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSink {
  record(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

interface SeenEvent {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

const DEDUP_WINDOW_MS = 10 * 60_000;
const MAX_TRACKED = 5000;

/**
 * Writes core/v1 Events about an object. A repeat of the same (object, reason, message) within ten
 * minutes bumps the count of the existing Event instead of creating a new one, as kubectl expects.
 * Writing is fire-and-forget: a failed Event never fails a reconcile.
 */
export class EventRecorder implements EventSink {
  private readonly seen = new Map<string, SeenEvent>();

  constructor(
    private readonly client: KubeClient,
    private readonly resource: ResourceType,
    private readonly component: string,
    private readonly log: Logger,
  ) {}

  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    void this.write(obj, type, reason, message).catch((err) => this.log.warn({ err, reason }, 'cannot record event'));
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date();
    const key = `${obj.metadata.uid}/${type}/${reason}/${message}`;
    const prior = this.seen.get(key);
    if (prior && now.getTime() - prior.at < DEDUP_WINDOW_MS) {
      prior.count += 1;
      prior.at = now.getTime();
      await this.client.patch(Resources.events, prior.namespace, prior.name, { count: prior.count, lastTimestamp: now.toISOString() });
      return;
    }
    const namespace = obj.metadata.namespace ?? 'default';
    const name = `${obj.metadata.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    await this.client.create(Resources.events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: apiVersionOf(this.resource),
        kind: this.resource.kind,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message: message.slice(0, 1024),
      type,
      count: 1,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      source: { component: this.component },
      reportingComponent: this.component,
    } as KubeObject);
    if (this.seen.size >= MAX_TRACKED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { name, namespace, count: 1, at: now.getTime() });
  }
}
