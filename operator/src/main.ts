import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import { AlertDispatcher } from './alerts/index.js';
import type { AlertProvider, Canary, MetricTemplate } from './api/types.js';
import { ConfigError, loadConfig, type OperatorConfig } from './config.js';
import { CanaryController } from './controller/controller.js';
import { ownerRefOf, type ControllerDeps } from './controller/deps.js';
import { ShardedOwnership } from './controller/ownership.js';
import type { KubeClient } from './kube/client.js';
import { clientFromKubeConfig, KubeConfigError } from './kube/config.js';
import { EventRecorder } from './kube/events.js';
import { InformerRegistry } from './kube/informer-registry.js';
import { Resources } from './kube/resources.js';
import { MetricAnalyzer } from './metrics/analyzer.js';
import { SecretReader } from './kube/secrets.js';
import { createRouter } from './routers/factory.js';
import type { RouterDeps } from './routers/router.js';
import { ServiceRouter } from './routers/services.js';
import { startHttpServer } from './server/http.js';
import { createTargets } from './targets/index.js';
import { OperatorMetrics } from './telemetry/metrics.js';
import { createLogger, type Logger } from './util/log.js';
import { HttpWebhookRunner } from './webhooks/runner.js';

const VERSION = '0.1.0';
const FIELD_MANAGER = 'tollgate';

async function start(cfg: OperatorConfig, log: Logger): Promise<() => Promise<void>> {
  const metrics = new OperatorMetrics();
  metrics.info.set({ version: VERSION, mesh_provider: cfg.meshProvider }, 1);
  const client = await clientFromKubeConfig({
    kubeconfig: cfg.kubeconfig, userAgent: `tollgate/${VERSION}`,
    observer: (verb, resource, code) => metrics.kubeRequests.inc({ verb, resource, code: String(code) }),
  });
  let controller: CanaryController | undefined;
  const informers = new InformerRegistry({
    client, logger: log, namespaces: cfg.namespaces, resyncMs: cfg.resyncMs,
    onEvent: (resource, obj) => controller?.onObject(resource, obj),
  });
  const canaries = informers.informer<Canary>(Resources.canaries);
  const templates = informers.informer<MetricTemplate>(Resources.metricTemplates);
  const alertProviders = informers.informer<AlertProvider>(Resources.alertProviders);
  const secrets = new SecretReader(client);
  const routerDeps: RouterDeps = { client, informers, ownerRef: ownerRefOf, fieldManager: FIELD_MANAGER, logger: log };
  const routers = new Map<string, ReturnType<typeof createRouter>>();
  const routerFor = (p: string): ReturnType<typeof createRouter> => routers.get(p) ?? routers.set(p, createRouter(p, routerDeps)).get(p)!;
  routerFor(cfg.meshProvider); // refuses an unknown default provider at start
  const deps: ControllerDeps = {
    client, informers, canaries, routerFor, metrics, logger: log, defaultProvider: cfg.meshProvider, fieldManager: FIELD_MANAGER,
    events: new EventRecorder(client, Resources.canaries, 'tollgate', log),
    targets: createTargets({
      client, informers, deployments: informers.informer(Resources.deployments), daemonSets: informers.informer(Resources.daemonSets),
      selectorLabels: cfg.selectorLabels, ownerRef: ownerRefOf, fieldManager: FIELD_MANAGER, configTracking: cfg.configTracking,
    }),
    services: new ServiceRouter(routerDeps),
    analyzer: new MetricAnalyzer({ templates, secrets, defaultPrometheus: cfg.metricsServer }),
    secrets,
    alerts: new AlertDispatcher({ providers: alertProviders, secrets, logger: log.child({ component: 'alerts' }), ...(cfg.clusterName ? { cluster: cfg.clusterName } : {}), now: () => Date.now() }),
    webhooks: new HttpWebhookRunner(),
    now: () => Date.now(),
  };
  const ownership = cfg.leaderElect || cfg.shards > 1 ? shardedOwnership(cfg, client, log, metrics, () => controller) : undefined;
  controller = new CanaryController(deps, { workers: cfg.workers, canaryInformer: canaries, ...(ownership ? { ownership } : {}) });
  let server: Server | undefined;
  server = await startHttpServer(cfg.port, metrics.registry, { live: () => true, ready: () => informers.synced });
  log.info({ port: cfg.port }, 'serving /healthz, /readyz and /metrics');
  await Promise.all([canaries.start(), templates.start(), alertProviders.start(), informers.lister(Resources.deployments), informers.lister(Resources.daemonSets), informers.lister(Resources.services)]);
  controller.start();
  ownership?.start();
  log.info({ namespaces: cfg.namespaces.length ? cfg.namespaces : 'all', provider: cfg.meshProvider, metricsServer: cfg.metricsServer }, 'tollgate operator started');
  return async () => {
    await ownership?.stop();
    await controller?.stop();
    informers.stopAll();
    await new Promise((r) => server?.close(r));
    client.close();
  };
}

/** Leader election (one shard) or sharding: which Canaries this replica acts on. */
function shardedOwnership(cfg: OperatorConfig, client: KubeClient, log: Logger, metrics: OperatorMetrics, controller: () => CanaryController | undefined): ShardedOwnership {
  const namespace = cfg.leaderElectionNamespace || process.env.POD_NAMESPACE || serviceAccountNamespace() || 'default';
  const identity = cfg.identity || `${os.hostname()}-${randomBytes(3).toString('hex')}`;
  log.info({ namespace, identity, shards: cfg.shards }, 'leader election on');
  return new ShardedOwnership({
    client, namespace, prefix: 'tollgate', identity, shards: cfg.shards, log, now: () => Date.now(),
    leaseDurationMs: cfg.leaseDurationMs, renewDeadlineMs: cfg.renewDeadlineMs, retryPeriodMs: cfg.retryPeriodMs,
    onAcquire: (shard) => { metrics.shardHeld.set({ shard: String(shard) }, 1); controller()?.shardAcquired(shard, cfg.shards); },
    onLose: (shard) => { metrics.shardHeld.set({ shard: String(shard) }, 0); controller()?.shardLost(shard, cfg.shards); },
  });
}

function serviceAccountNamespace(): string | undefined {
  try {
    return fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  let cfg: OperatorConfig;
  try {
    cfg = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(cfg.logLevel);
  let stop: (() => Promise<void>) | undefined;
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    void (stop?.() ?? Promise.resolve()).finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    stop = await start(cfg, log);
  } catch (err) {
    const known = err instanceof ConfigError || err instanceof KubeConfigError || (err as Error).name === 'UnknownProviderError';
    log.fatal({ err }, known ? (err as Error).message : 'cannot start');
    process.exit(1);
  }
}

void main();
