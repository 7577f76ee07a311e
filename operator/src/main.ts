import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import { ConfigError, loadConfig, type OperatorConfig } from './config.js';
import { CanaryController } from './controller/controller.js';
import { ShardedOwnership } from './controller/ownership.js';
import { composeDeps } from './wiring.js';
import type { KubeClient } from './kube/client.js';
import { clientFromKubeConfig, KubeConfigError } from './kube/config.js';
import { InformerRegistry } from './kube/informer-registry.js';
import { TokenBucket } from './kube/rate-limit.js';
import { Resources, resourceKey } from './kube/resources.js';
import { CACHE_TRIMS } from './kube/trims.js';
import { secretScope, secretsInformer } from './targets/secret-scope.js';
import { startHttpServer } from './server/http.js';
import { OperatorMetrics } from './telemetry/metrics.js';
import { createLogger, type Logger } from './util/log.js';

const VERSION = '0.1.0';

async function start(cfg: OperatorConfig, log: Logger): Promise<() => Promise<void>> {
  const metrics = new OperatorMetrics({ flaggerCompat: cfg.flaggerCompatMetrics });
  metrics.setInfo(VERSION, cfg.meshProvider);
  const client = await clientFromKubeConfig({
    kubeconfig: cfg.kubeconfig,
    userAgent: `tollgate/${VERSION}`,
    observer: (verb, resource, code) => {
      metrics.kubeRequests.inc({ verb, resource, code: String(code) });
      if (code === 429) metrics.kubeThrottled.inc({ verb, resource });
    },
    limiter: new TokenBucket({
      qps: cfg.kubeApiQps,
      burst: cfg.kubeApiBurst,
      observer: {
        waiting: (n) => metrics.kubeRateLimitWaiting.set(n),
        waited: (s, priority) => metrics.kubeRateLimitWait.observe({ priority }, s),
      },
    }),
  });
  let controller: CanaryController | undefined;
  // Secrets: metadata alone, and only where config tracking copies them (their content is read on demand).
  const secrets = secretScope(cfg.namespaces, cfg.secretTrackingNamespaces);
  const informers = new InformerRegistry({
    client,
    logger: log,
    namespaces: cfg.namespaces,
    resyncMs: cfg.resyncMs,
    watchTimeoutSeconds: Math.ceil(cfg.kubeWatchTimeoutMs / 1000),
    overrides: { ...CACHE_TRIMS, [resourceKey(Resources.secrets)]: secretsInformer(secrets) },
    onEvent: (resource, obj, own) => {
      metrics.watchEvents.inc({ resource: resource.plural, origin: own ? 'own' : 'other' });
      controller?.onObject(resource, obj, own);
    },
  });
  const { deps, canaries, waitFor } = composeDeps(cfg, { client, informers, metrics, log, secretScope: secrets });
  const ownership = cfg.leaderElect || cfg.shards > 1 ? shardedOwnership(cfg, client, log, metrics, () => controller) : undefined;
  controller = new CanaryController(deps, { workers: cfg.workers, canaryInformer: canaries, ...(ownership ? { ownership } : {}) });
  const server: Server = await startHttpServer(cfg.port, metrics.registry, { live: () => true, ready: () => informers.synced });
  log.info({ port: cfg.port }, 'serving /healthz, /readyz and /metrics');
  await waitFor();
  controller.start();
  ownership?.start();
  log.info(
    { namespaces: cfg.namespaces.length ? cfg.namespaces : 'all', provider: cfg.meshProvider, metricsServer: cfg.metricsServer },
    'tollgate operator started',
  );
  return async () => {
    await ownership?.stop();
    await controller?.stop();
    informers.stopAll();
    await new Promise((r) => server.close(r));
    client.close();
  };
}

/** Leader election (one shard) or sharding: which Canaries this replica acts on. */
function shardedOwnership(
  cfg: OperatorConfig,
  client: KubeClient,
  log: Logger,
  metrics: OperatorMetrics,
  controller: () => CanaryController | undefined,
): ShardedOwnership {
  const namespace = cfg.leaderElectionNamespace || process.env.POD_NAMESPACE || serviceAccountNamespace() || 'default';
  const identity = cfg.identity || `${os.hostname()}-${randomBytes(3).toString('hex')}`;
  log.info({ namespace, identity, shards: cfg.shards }, 'leader election on');
  return new ShardedOwnership({
    client,
    namespace,
    prefix: 'tollgate',
    identity,
    shards: cfg.shards,
    log,
    now: () => Date.now(),
    leaseDurationMs: cfg.leaseDurationMs,
    renewDeadlineMs: cfg.renewDeadlineMs,
    retryPeriodMs: cfg.retryPeriodMs,
    onAcquire: (shard) => {
      metrics.shardHeld.set({ shard: String(shard) }, 1);
      controller()?.shardAcquired(shard, cfg.shards);
    },
    onLose: (shard) => {
      metrics.shardHeld.set({ shard: String(shard) }, 0);
      controller()?.shardLost(shard, cfg.shards);
    },
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
