import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunStatus, TaskObserver } from '../tasks/runner.js';
import type { TaskMode } from '../tasks/task.js';

/** The service's Prometheus metrics, served on /metrics. */
export class HooksMetrics implements TaskObserver {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tollgate_hooks_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'code'],
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'tollgate_hooks_http_request_duration_seconds',
    help: 'Time to answer, by route',
    labelNames: ['route'],
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'tollgate_hooks_auth_failures_total',
    help: 'Requests refused with 401, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly taskRuns = new Counter({
    name: 'tollgate_hooks_task_runs_total',
    help: 'Finished tasks by type and result (succeeded, failed, timeout, stopped)',
    labelNames: ['type', 'result'],
    registers: [this.registry],
  });
  readonly taskDuration = new Histogram({
    name: 'tollgate_hooks_task_duration_seconds',
    help: 'Task run time by type',
    labelNames: ['type'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly tasksRunning = new Gauge({
    name: 'tollgate_hooks_tasks_running',
    help: 'Tasks running now, by type and mode',
    labelNames: ['type', 'mode'],
    registers: [this.registry],
  });
  readonly gateChanges = new Counter({
    name: 'tollgate_hooks_gate_changes_total',
    help: 'Gate and rollback switches set, by kind and state',
    labelNames: ['kind', 'state'],
    registers: [this.registry],
  });

  /** Adds process metrics (CPU, memory, event loop); main does, tests do not. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_hooks_' });
    return this;
  }

  started(type: string, mode: TaskMode): void {
    this.tasksRunning.inc({ type, mode });
  }

  finished(type: string, mode: TaskMode, status: RunStatus, seconds: number): void {
    this.tasksRunning.dec({ type, mode });
    this.taskRuns.inc({ type, result: status });
    this.taskDuration.observe({ type }, seconds);
  }
}
