import type { Canary, OwnerReference } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import type { EventSink } from '../kube/events.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import type { Lister } from '../kube/informer.js';
import type { AlertDispatcher } from '../alerts/index.js';
import type { SecretReader } from '../kube/secrets.js';
import type { MetricAnalyzer } from '../metrics/analyzer.js';
import type { ServiceRouter } from '../meshes/services.js';
import type { Router } from '../meshes/router.js';
import type { Target } from '../targets/target.js';
import type { OperatorMetrics } from '../telemetry/metrics.js';
import type { Logger } from '../util/log.js';
import type { WebhookRunner } from '../webhooks/runner.js';
import type { ReleaseQueue } from './release-queue.js';

/** Everything a reconcile needs, built once in main.ts. */
export interface ControllerDeps {
  client: KubeClient;
  informers: InformerRegistry;
  canaries: Lister<Canary>;
  events: EventSink;
  targets: Readonly<Record<string, Target>>;
  routerFor: (provider: string) => Router;
  services: ServiceRouter;
  analyzer: MetricAnalyzer;
  webhooks: WebhookRunner;
  /** Sends alerts to the AlertProviders a Canary lists; never throws. */
  alerts: Pick<AlertDispatcher, 'notify'>;
  /** Reads the Secrets that webhooks name in secretRef. */
  secrets: Pick<SecretReader, 'read'>;
  metrics: OperatorMetrics;
  logger: Logger;
  defaultProvider: string;
  fieldManager: string;
  /** Calls to webhooks and metrics backends stop this long after a reconcile started (--reconcile-deadline). */
  reconcileDeadlineMs: number;
  /** The release queue (--max-concurrent-releases); absent when there is no cap. */
  releaseQueue?: ReleaseQueue;
  now: () => number;
}

export const ownerRefOf = (canary: Canary): OwnerReference => ({
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  name: canary.metadata.name!,
  uid: canary.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});
