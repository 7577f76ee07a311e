import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfigError } from '@tollgate/operator/kube/config';
import { createLogger, type Logger } from '@tollgate/operator/util/log';
import { makeTaskHome } from './command/environment.js';
import type { TaskUser } from './command/exec.js';
import { ConfigError, loadConfig, scrubSecrets, type HooksConfig } from './config.js';
import { messageOf } from './errors.js';
import { startConfigMapGateStore } from './gates/kube.js';
import { GateStoreSetupError } from './gates/preflight.js';
import { InMemoryGateStore, type GateStore } from './gates/store.js';
import { buildService, type Service } from './service.js';
import { HooksMetrics } from './telemetry/metrics.js';

const VERSION = '0.1.0';

async function main(): Promise<void> {
  let cfg: HooksConfig;
  try {
    cfg = loadConfig(process.env, { readFile: (p) => readFileSync(p, 'utf8'), exists: existsSync });
  } catch (err) {
    process.stderr.write(`tollgate-hooks: ${messageOf(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  const fromEnvironment = scrubSecrets(process.env);
  const log = createLogger(cfg.logLevel, 'tollgate-hooks');
  if (cfg.taskUser) checkTaskUser(cfg.taskUser, log);
  const gates = await openGateStore(cfg, log);
  const taskHome = makeTaskHome(tmpdir(), cfg.taskUser);
  const service = buildService(cfg, {
    logger: log,
    gates: gates.store,
    env: process.env,
    taskHome,
    metrics: new HooksMetrics().withProcessMetrics(),
  });
  warnAboutRisks(cfg, service, log, fromEnvironment);
  const server = await listen(service, cfg.port).catch((err: unknown) => {
    log.fatal({ port: cfg.port }, `cannot start: cannot listen on port ${cfg.port}: ${messageOf(err)} (set PORT)`);
    process.exit(1);
  });
  log.info(
    { port: cfg.port, gateStore: cfg.gateStore, gateNamespace: cfg.gateNamespace, allowedCommands: cfg.allowedCommands, version: VERSION },
    'tollgate hooks listening',
  );
  handleSignals({
    cfg,
    log,
    service,
    server,
    cleanUp: () => {
      gates.stop();
      rmSync(taskHome, { recursive: true, force: true });
    },
  });
}

async function openGateStore(cfg: HooksConfig, log: Logger): Promise<{ store: GateStore; stop: () => void }> {
  if (cfg.gateStore === 'memory') {
    log.warn('GATE_STORE=memory: gates live in this process only; they are lost on restart and not shared by replicas');
    return { store: new InMemoryGateStore(), stop: () => undefined };
  }
  if (!clusterConfigured(cfg)) {
    log.fatal(
      { gateNamespace: cfg.gateNamespace },
      'cannot start: no Kubernetes cluster configured: set KUBECONFIG (or create ~/.kube/config), run in a pod with a service account, or set GATE_STORE=memory for a local trial',
    );
    process.exit(1);
  }
  try {
    return await startConfigMapGateStore({
      kubeconfig: cfg.kubeconfig,
      namespace: cfg.gateNamespace,
      logger: log,
      userAgent: `tollgate-hooks/${VERSION}`,
    });
  } catch (err) {
    const known = err instanceof GateStoreSetupError || err instanceof KubeConfigError;
    log.fatal({ gateNamespace: cfg.gateNamespace, ...(known ? {} : { err }) }, `cannot start: ${messageOf(err)}`);
    process.exit(1);
  }
}

/** A kubeconfig file or in-cluster settings exist (client-node would otherwise fall back to http://localhost:8080). */
function clusterConfigured(cfg: HooksConfig): boolean {
  const kubeconfig = cfg.kubeconfig ?? path.join(homedir(), '.kube', 'config');
  return existsSync(kubeconfig.split(path.delimiter)[0]!) || Boolean(process.env.KUBERNETES_SERVICE_HOST);
}

/** TASK_UID needs the right to change uid (root, or CAP_SETUID and CAP_SETGID): tried once at start. */
function checkTaskUser(user: TaskUser, log: Logger): void {
  const res = spawnSync(process.execPath, ['-e', ''], { uid: user.uid, gid: user.gid, stdio: 'ignore', timeout: 10_000 });
  if (res.error || res.status !== 0) {
    log.fatal(
      { uid: user.uid, gid: user.gid },
      `cannot start: cannot run processes as TASK_UID=${user.uid} TASK_GID=${user.gid}: ${res.error?.message ?? `exit ${res.status}`} (the service needs root or CAP_SETUID, CAP_SETGID and CAP_KILL)`,
    );
    process.exit(2);
  }
}

function warnAboutRisks(cfg: HooksConfig, service: Service, log: Logger, secretsFromEnvironment: readonly string[]): void {
  if (!cfg.token && !cfg.hmacKey) {
    log.warn(
      '!!! HOOKS_INSECURE=true and no credentials: EVERY ENDPOINT IS OPEN; anyone who reaches this port can run the allowed programs and open gates !!!',
    );
  }
  const interpreters = service.allowlist.interpreters();
  if (interpreters.length > 0) {
    log.warn(
      { programs: interpreters },
      'ALLOWED_COMMANDS holds programs that run arbitrary code: the allowlist no longer limits what callers can run',
    );
  }
  const unchecked = service.allowlist.unchecked().filter((p) => !interpreters.includes(p));
  if (unchecked.length > 0) {
    log.warn(
      { programs: unchecked },
      'ALLOWED_COMMANDS holds programs without an argument policy: they run with any arguments (files they can read or write included)',
    );
  }
  if (secretsFromEnvironment.length > 0 && !cfg.taskUser) {
    log.warn(
      { variables: secretsFromEnvironment },
      'secrets given as environment variables stay readable in /proc/<pid>/environ by processes of the same uid: prefer HOOKS_TOKEN_FILE and HOOKS_HMAC_KEY_FILE, or TASK_UID',
    );
  }
  log.info({ programs: Object.fromEntries(service.allowlist.files()) }, 'allowed programs pinned');
}

function listen(service: Service, port: number): Promise<http.Server> {
  const server = http.createServer(service.app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

interface ServiceProcess {
  readonly cfg: HooksConfig;
  readonly log: Logger;
  readonly service: Service;
  readonly server: http.Server;
  readonly cleanUp: () => void;
}

/** SIGTERM/SIGINT: stop accepting, let blocking tasks finish, stop background ones after the grace, exit 0. A second signal exits at once. */
function handleSignals(r: ServiceProcess): void {
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      r.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    r.log.info({ signal, runningTasks: r.service.runner.size, graceMs: r.cfg.shutdownGraceMs }, 'shutting down');
    const closed = new Promise<void>((resolve) => r.server.close(() => resolve()));
    r.server.closeIdleConnections();
    await r.service.shutdown(r.cfg.shutdownGraceMs);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    r.server.closeAllConnections();
    r.cleanUp();
    r.log.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(`tollgate-hooks: unhandled rejection: ${messageOf(err)}\n`);
  process.exit(1);
});

void main();
