import { Router } from 'express';
import type { Registry } from 'prom-client';

export const HEALTH_ROUTES = ['/healthz', '/readyz'] as const;

/** /healthz (the process answers) and /readyz (the gate cache is synced, not shutting down): never authenticated. */
export function healthRoutes(ready: () => boolean): Router {
  const r = Router();
  r.all('/healthz', (_req, res) => {
    res.type('text').send('OK');
  });
  r.all('/readyz', (_req, res) => {
    const ok = ready();
    res
      .status(ok ? 200 : 503)
      .type('text')
      .send(ok ? 'ready' : 'not ready');
  });
  return r;
}

/** /metrics in Prometheus text format. */
export function metricsRoute(registry: Registry): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return r;
}
