import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticator.js';
import type { GateStore } from './gates/store.js';
import type { Capability } from './auth/scope.js';
import { authorize, requireAuth } from './http/auth.js';
import { parseJsonBody, readRawBody } from './http/body.js';
import type { NamespacePolicy } from './http/canary.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { countRequests } from './http/metrics.js';
import { requestLogger } from './http/request-logger.js';
import { GATE_ROUTES, gateRoutes } from './routes/gates.js';
import { HEALTH_ROUTES, healthRoutes, metricsRoute } from './routes/health.js';
import { TASK_ROUTES, taskRoutes } from './routes/tasks.js';
import type { TaskRegistry } from './tasks/registry.js';
import type { TaskRunner } from './tasks/runner.js';
import type { HooksMetrics } from './telemetry/metrics.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly metrics: HooksMetrics;
  readonly auth: Authenticator;
  readonly gates: GateStore;
  readonly runner: TaskRunner;
  readonly tasks: TaskRegistry;
  readonly policy: NamespacePolicy;
  readonly maxBodyBytes: number;
  /** Serve /metrics without authentication (METRICS_PUBLIC=true). */
  readonly metricsPublic: boolean;
  /** The gate cache is synced and the service is not shutting down. */
  readonly ready: () => boolean;
}

const ROUTES: ReadonlySet<string> = new Set([...HEALTH_ROUTES, '/metrics', ...GATE_ROUTES, ...TASK_ROUTES]);
const GATE_PATHS: ReadonlySet<string> = new Set(GATE_ROUTES);

/** What an endpoint needs of a credential; any other path (/tasks, /metrics, unknown ones) needs the admin token. */
export const capabilityOf = (path: string): Capability => (GATE_PATHS.has(path) ? 'gates' : path === '/' ? 'tasks' : 'admin');

/**
 * The webhook service as an Express app (no listening here): request log and metrics, open health probes,
 * then size-limited body, JSON, authentication and what the credential may call, and the gate and task routes.
 * Errors answer as JSON.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(deps.logger));
  app.use(countRequests(deps.metrics, ROUTES));
  app.use(healthRoutes(deps.ready));
  if (deps.metricsPublic) app.use(metricsRoute(deps.metrics.registry));
  app.use(readRawBody(deps.maxBodyBytes));
  app.use(parseJsonBody);
  app.use(requireAuth(deps.auth, deps.metrics.authFailures));
  app.use(authorize(capabilityOf));
  if (!deps.metricsPublic) app.use(metricsRoute(deps.metrics.registry));
  const canaryDeps = { policy: deps.policy, runs: deps.runner };
  app.use(gateRoutes({ ...canaryDeps, gates: deps.gates, gateChanges: deps.metrics.gateChanges }));
  app.use(taskRoutes({ ...canaryDeps, tasks: deps.tasks, runner: deps.runner }));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
