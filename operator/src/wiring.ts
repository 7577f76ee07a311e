import { AlertDispatcher } from './alerts/index.js';
import type { AlertProvider, Canary, MetricTemplate } from './api/types.js';
import type { OperatorConfig } from './config.js';
import { ownerRefOf, type ControllerDeps } from './controller/deps.js';
import { ReleaseQueue } from './controller/release-queue.js';
import { queueEnabled } from './core/queue.js';
import type { KubeClient } from './kube/client.js';
import { EventRecorder } from './kube/events.js';
import type { InformerRegistry } from './kube/informer-registry.js';
import type { Informer } from './kube/informer.js';
import { Resources } from './kube/resources.js';
import { SecretReader } from './kube/secrets.js';
import { MetricAnalyzer } from './metrics/analyzer.js';
import { sloReader } from './slo/reader.js';
import { createRouter } from './meshes/registry.js';
import type { Router, RouterDeps } from './meshes/router.js';
import { ServiceRouter } from './meshes/services.js';
import { createTargets } from './targets/index.js';
import type { SecretScope } from './targets/secret-scope.js';
import type { OperatorMetrics } from './telemetry/metrics.js';
import type { Logger } from './util/log.js';
import { OutboundClient } from './outbound/client.js';
import { HttpWebhookRunner } from './webhooks/runner.js';

const FIELD_MANAGER = 'tollgate';

/**
 * Builds everything a reconcile uses from the configuration. The operator's own resources are watched from
 * the start; waitFor() resolves when their caches (and the workloads' and Services') are synced.
 */
export function composeDeps(
  cfg: OperatorConfig,
  base: {
    client: KubeClient;
    informers: InformerRegistry;
    metrics: OperatorMetrics;
    log: Logger;
    /** Where Secrets are tracked: the scope the registry's Secrets informer was given (secretsInformer). */
    secretScope: SecretScope;
  },
): {
  deps: ControllerDeps;
  canaries: Informer<Canary>;
  waitFor: () => Promise<unknown>;
} {
  const { client, informers, metrics, log } = base;
  const canaries = informers.informer<Canary>(Resources.canaries);
  const templates = informers.informer<MetricTemplate>(Resources.metricTemplates);
  const alertProviders = informers.informer<AlertProvider>(Resources.alertProviders);
  const secrets = new SecretReader(client);
  const routerDeps: RouterDeps = { client, informers, ownerRef: ownerRefOf, logger: log };
  const routers = new Map<string, Router>();
  const routerFor = (p: string): Router => routers.get(p) ?? routers.set(p, createRouter(p, routerDeps)).get(p)!;
  routerFor(cfg.meshProvider); // refuses an unknown default provider at start
  const events = new EventRecorder(client, Resources.canaries, 'tollgate', log);
  const crossNamespaceRefs = cfg.crossNamespaceRefs;
  // The one HTTP client of every call to webhooks, alert receivers and metrics backends.
  const http = new OutboundClient({ maxBodyBytes: cfg.maxResponseBytes, forbidInsecureTls: cfg.forbidInsecureTls });
  const deps: ControllerDeps = {
    client,
    informers,
    canaries,
    routerFor,
    metrics,
    logger: log,
    defaultProvider: cfg.meshProvider,
    fieldManager: FIELD_MANAGER,
    events,
    targets: createTargets({
      client,
      informers,
      deployments: informers.informer(Resources.deployments),
      daemonSets: informers.informer(Resources.daemonSets),
      statefulSets: informers.informer(Resources.statefulSets),
      pods: informers.informer(Resources.pods),
      selectorLabels: cfg.selectorLabels,
      ownerRef: ownerRefOf,
      fieldManager: FIELD_MANAGER,
      configTracking: cfg.configTracking,
      tracksSecretsIn: base.secretScope.tracks,
      defaultProvider: cfg.meshProvider,
    }),
    services: new ServiceRouter(routerDeps),
    analyzer: new MetricAnalyzer({
      templates,
      secrets,
      defaultPrometheus: cfg.metricsServer,
      crossNamespaceRefs,
      http,
      ambientNamespaces: cfg.ambientCredentialsNamespaces,
      slos: sloReader(informers, client),
    }),
    secrets,
    alerts: new AlertDispatcher({
      providers: alertProviders,
      secrets,
      http,
      logger: log.child({ component: 'alerts' }),
      ...(cfg.clusterName ? { cluster: cfg.clusterName } : {}),
      now: () => Date.now(),
      crossNamespaceRefs,
      events,
    }),
    webhooks: new HttpWebhookRunner(http, { maxTimeoutMs: cfg.webhookMaxTimeoutMs, maxRetries: cfg.webhookMaxRetries }),
    now: () => Date.now(),
    reconcileDeadlineMs: cfg.reconcileDeadlineMs,
    eventsPerStep: cfg.eventsPerStep,
  };
  const caps = { global: cfg.maxConcurrentReleases, perNamespace: cfg.maxConcurrentReleasesPerNamespace };
  if (queueEnabled(caps)) deps.releaseQueue = new ReleaseQueue(caps, canaries, (n) => metrics.releaseQueueLength.set(n));
  const waitFor = (): Promise<unknown> =>
    Promise.all([
      canaries.start(),
      templates.start(),
      alertProviders.start(),
      informers.lister(Resources.deployments),
      informers.lister(Resources.daemonSets),
      informers.lister(Resources.statefulSets),
      informers.lister(Resources.services),
      informers.lister(Resources.pods),
    ]);
  return { deps, canaries, waitFor };
}
