import { Router, type Response } from 'express';
import { jsonBody } from '../http/body.js';
import { acceptPayload, type CanaryRequestDeps } from '../http/canary.js';
import { BadRequestError } from '../http/errors.js';
import { scopeOf } from '../http/locals.js';
import { runIdOf } from '../payload.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { RunOutcome, TaskRunner } from '../tasks/runner.js';

export interface TaskRouteDeps extends CanaryRequestDeps {
  readonly tasks: Pick<TaskRegistry, 'create'>;
  readonly runner: Pick<TaskRunner, 'runBlocking' | 'startBackground' | 'list'>;
}

export const TASK_ROUTES = ['/', '/tasks'] as const;

/** POST / runs the task that metadata describes, as Flagger's loadtester; GET /tasks lists running tasks. */
export function taskRoutes(deps: TaskRouteDeps): Router {
  const r = Router();
  r.post('/', async (req, res) => {
    const payload = acceptPayload(jsonBody(res), deps, scopeOf(res));
    if (!payload.metadata) throw new BadRequestError('metadata_not_found', 'metadata not found in payload');
    const canary = { name: payload.name, namespace: payload.namespace };
    const task = deps.tasks.create({ canary, metadata: payload.metadata });
    const owner = { canary, runId: runIdOf(payload), requestId: String(req.id) };
    if (task.mode === 'background') {
      const started = deps.runner.startBackground(task, owner);
      const text =
        started.status === 'started' ? `started ${task.type} task ${started.id}` : `${task.type} task ${started.id} is already running`;
      res.status(202).type('text').send(text);
      return;
    }
    const hungUp = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) hungUp.abort();
    });
    sendOutcome(res, await deps.runner.runBlocking(task, owner, hungUp.signal));
  });
  r.get('/tasks', (_req, res) => {
    res.json({ tasks: deps.runner.list() });
  });
  return r;
}

function sendOutcome(res: Response, outcome: RunOutcome): void {
  if (res.destroyed) return;
  if (outcome.status === 'succeeded') {
    res.type('text').send(outcome.body);
    return;
  }
  res.status(500).json({ error: `task_${outcome.status}`, message: outcome.message, output: outcome.output ?? '', requestId: res.req.id });
}
