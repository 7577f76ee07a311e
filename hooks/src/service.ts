import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { Authenticator } from './auth/authenticator.js';
import type { ReplayCache } from './auth/replay.js';
import { Allowlist } from './command/allowlist.js';
import { taskEnvironment } from './command/environment.js';
import { argumentPolicies } from './command/policy/index.js';
import type { HooksConfig } from './config.js';
import type { GateStore } from './gates/store.js';
import { namespacePolicy } from './http/canary.js';
import { runLoad } from './load/generator.js';
import { builtinTasks } from './tasks/builtin.js';
import type { LoadGenerator } from './tasks/load-task.js';
import { TaskRunner } from './tasks/runner.js';
import { HooksMetrics } from './telemetry/metrics.js';

export type ServiceSettings = Pick<
  HooksConfig,
  | 'token'
  | 'hmacKey'
  | 'insecure'
  | 'metricsPublic'
  | 'allowedCommands'
  | 'maxBodyBytes'
  | 'maxRunningTasks'
  | 'taskTimeoutMs'
  | 'blockingTimeoutMs'
  | 'namespacePattern'
  | 'loadLimits'
  | 'taskUser'
>;

export interface ServiceDeps {
  readonly logger: Logger;
  readonly gates: GateStore;
  /** The service's environment: task processes get an allowlist of it (taskEnvironment); programs are pinned from its PATH. */
  readonly env: NodeJS.ProcessEnv;
  /** Home and working directory of task processes, read-only (makeTaskHome). */
  readonly taskHome: string;
  readonly metrics?: HooksMetrics;
  readonly generate?: LoadGenerator;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** The signatures already used (default: a ReplayCache of its default size, auth/replay.ts). */
  readonly replays?: ReplayCache;
}

export interface Service {
  readonly app: Express;
  readonly runner: TaskRunner;
  readonly metrics: HooksMetrics;
  readonly allowlist: Allowlist;
  /** Turns /readyz to 503, refuses new tasks, and waits for tasks (background ones are stopped after graceMs). */
  shutdown(graceMs: number): Promise<void>;
}

/** Wires the service from its settings: used by main, and by the tests with fakes. */
export function buildService(cfg: ServiceSettings, deps: ServiceDeps): Service {
  const metrics = deps.metrics ?? new HooksMetrics();
  const blockingTimeoutMs = Math.min(cfg.blockingTimeoutMs, cfg.taskTimeoutMs);
  const allowlist = new Allowlist(cfg.allowedCommands, deps.env.PATH ?? '', argumentPolicies(cfg.loadLimits));
  const processes = { env: taskEnvironment(deps.env, deps.taskHome), cwd: deps.taskHome, ...(cfg.taskUser ? { user: cfg.taskUser } : {}) };
  const runner = new TaskRunner({
    maxRunning: cfg.maxRunningTasks,
    backgroundTimeoutMs: cfg.taskTimeoutMs,
    blockingTimeoutMs,
    logger: deps.logger,
    observer: metrics,
  });
  const tasks = builtinTasks({
    allowlist,
    processes,
    generate: deps.generate ?? runLoad,
    blockingTimeoutMs,
    loadLimits: cfg.loadLimits,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const auth = new Authenticator({
    token: cfg.token,
    hmacKey: cfg.hmacKey,
    insecure: cfg.insecure,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.replays ? { replays: deps.replays } : {}),
  });
  let draining = false;
  const app = createApp({
    logger: deps.logger,
    metrics,
    auth,
    gates: deps.gates,
    runner,
    tasks,
    policy: namespacePolicy(cfg.namespacePattern),
    maxBodyBytes: cfg.maxBodyBytes,
    metricsPublic: cfg.metricsPublic,
    ready: () => !draining && deps.gates.ready(),
  });
  return {
    app,
    runner,
    metrics,
    allowlist,
    shutdown: (graceMs) => {
      draining = true;
      return runner.shutdown(graceMs);
    },
  };
}
