import type { RequestHandler } from 'express';
import type { HooksMetrics } from '../telemetry/metrics.js';

/** Counts requests by method, route and status; paths that are not routes count as "other". */
export function countRequests(metrics: HooksMetrics, routes: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    const endTimer = metrics.requestDuration.startTimer();
    res.on('finish', () => {
      const route = routes.has(path) ? path : 'other';
      metrics.requests.inc({ method: req.method, route, code: String(res.statusCode) });
      endTimer({ route });
    });
    next();
  };
}
