import { silentLogger } from '@tollgate/operator/util/log';
import request from 'supertest';
import { CapacityError, ShuttingDownError, TaskRunner } from '../src/tasks/runner.js';
import type { Task } from '../src/tasks/task.js';
import { BEARER, eventually, localServer, post, task, testService, type TestService } from './helpers.js';

let svc: TestService;
afterEach(() => svc.shutdown(0));

const sleepTask = (extra: Record<string, unknown> = {}, cmd = 'sleep 30'): Record<string, unknown> =>
  task({ cmd }, { checksum: 'rev1', ...extra });
const runs = (s: TestService): Promise<string> => s.metrics.registry.getSingleMetricAsString('tollgate_hooks_task_runs_total');

describe('background cmd tasks', () => {
  beforeEach(() => {
    svc = testService();
  });

  it('answers 202 at once and does not start the same command twice for the same run', async () => {
    const first = await post(svc, '/', sleepTask());
    expect(first.status).toBe(202);
    expect(first.text).toMatch(/^started cmd task /);
    const again = await post(svc, '/', sleepTask());
    expect(again.status).toBe(202);
    expect(again.text).toMatch(/is already running$/);
    expect(svc.runner.size).toBe(1);
    const other = await post(svc, '/', sleepTask({}, 'sleep 31'));
    expect(other.text).toMatch(/^started/);
    const otherCanary = await post(svc, '/', sleepTask({ name: 'other' }));
    expect(otherCanary.text).toMatch(/^started/);
    expect(svc.runner.size).toBe(3);
  });

  it('starts background load tasks that differ only in a credential (hidden in their summaries) as two tasks', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    try {
      const load = (token: string): Record<string, unknown> =>
        task({ type: 'load', url: `${target.url}/?token=${token}`, rate: '1', duration: '30s' }, { checksum: 'rev1' });
      expect((await post(svc, '/', load('A'))).text).toMatch(/^started load task /);
      expect((await post(svc, '/', load('B'))).text).toMatch(/^started load task /);
      expect((await post(svc, '/', load('A'))).text).toMatch(/is already running$/);
      expect(svc.runner.list().map((t) => t.summary)).toEqual([expect.stringContaining('token=***'), expect.stringContaining('token=***')]);
    } finally {
      await svc.shutdown(0);
      await target.close();
    }
  });

  it('stops the tasks of a run when a payload with another checksum arrives for the canary', async () => {
    await post(svc, '/', sleepTask());
    await post(svc, '/', sleepTask({ name: 'other' }));
    const next = await post(svc, '/', sleepTask({ checksum: 'rev2' }));
    expect(next.text).toMatch(/^started/);
    await eventually(() => svc.runner.size === 2);
    expect(
      svc.runner
        .list()
        .map((t) => `${t.canary}@${t.runId}`)
        .sort(),
    ).toEqual(['other.test@rev1', 'podinfo.test@rev2']);
    expect(await runs(svc)).toMatch(/type="cmd",result="stopped"} 1/);
  });

  it('stops them when phase Succeeded or Failed arrives at any endpoint', async () => {
    await post(svc, '/', sleepTask());
    await post(svc, '/gate/check', { name: 'podinfo', namespace: 'test', phase: 'Progressing', checksum: 'rev1' });
    expect(svc.runner.size).toBe(1);
    await post(svc, '/gate/check', { name: 'podinfo', namespace: 'test', phase: 'Succeeded', checksum: 'rev1' });
    await eventually(() => svc.runner.size === 0);
    await post(svc, '/', sleepTask());
    await post(svc, '/gate/approve', { name: 'podinfo', namespace: 'test', phase: 'Failed' });
    await eventually(() => svc.runner.size === 0);
    expect(await runs(svc)).toMatch(/type="cmd",result="stopped"} 2/);
  });

  it('keeps them for payloads without a checksum (a person with curl)', async () => {
    await post(svc, '/', sleepTask());
    await post(svc, '/gate/open', { name: 'podinfo', namespace: 'test' });
    expect(svc.runner.size).toBe(1);
  });

  it('lists running tasks on GET /tasks', async () => {
    await post(svc, '/', sleepTask());
    const res = await request(svc.app).get('/tasks').set(BEARER);
    expect(res.body.tasks).toEqual([
      expect.objectContaining({ type: 'cmd', summary: 'sleep 30', canary: 'podinfo.test', runId: 'rev1', mode: 'background' }),
    ]);
  });
});

describe('limits', () => {
  it('answers 429 beyond MAX_RUNNING_TASKS', async () => {
    svc = testService({ maxRunningTasks: 2 });
    expect((await post(svc, '/', sleepTask({}, 'sleep 30'))).status).toBe(202);
    expect((await post(svc, '/', sleepTask({}, 'sleep 31'))).status).toBe(202);
    const over = await post(svc, '/', sleepTask({}, 'sleep 32'));
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('too_many_tasks');
    expect(over.headers['retry-after']).toBe('5');
    expect((await post(svc, '/', task({ type: 'bash', cmd: 'true' }))).status).toBe(429);
    expect((await post(svc, '/', sleepTask({}, 'sleep 30'))).status).toBe(202);
  });

  it('kills a background task at TASK_TIMEOUT', async () => {
    svc = testService({ taskTimeoutMs: 300 });
    const started = Date.now();
    await post(svc, '/', sleepTask());
    await eventually(() => svc.runner.size === 0);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await runs(svc)).toMatch(/type="cmd",result="timeout"} 1/);
  });

  it('kills a blocking task at BLOCKING_TIMEOUT and answers 500', async () => {
    svc = testService({ blockingTimeoutMs: 300 });
    const started = Date.now();
    const res = await post(svc, '/', task({ type: 'bash', cmd: 'sleep 10' }));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'task_timeout', message: expect.stringMatching(/^timed out after 0.3s: the task was killed/) });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('blocking tasks', () => {
  it("are killed when the caller hangs up (the operator's webhook timeout passed)", async () => {
    svc = testService();
    const started = Date.now();
    await expect(post(svc, '/', task({ type: 'bash', cmd: 'sleep 10' })).timeout(300)).rejects.toThrow(/Timeout/);
    await eventually(() => svc.runner.size === 0);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await runs(svc)).toMatch(/type="bash",result="stopped"} 1/);
  });
});

describe('shutdown', () => {
  it('turns /readyz to 503, refuses new tasks, and stops background tasks after the grace', async () => {
    svc = testService();
    await post(svc, '/', sleepTask());
    const blocking = post(svc, '/', task({ type: 'bash', cmd: 'sleep 0.3 && echo done', returnCmdOutput: 'true' })).then((r) => r);
    await eventually(() => svc.runner.size === 2);
    const started = Date.now();
    const stopping = svc.shutdown(200);
    expect((await request(svc.app).get('/readyz')).status).toBe(503);
    const refused = await post(svc, '/', task({ type: 'bash', cmd: 'true' }));
    expect([refused.status, refused.body.error]).toEqual([503, 'shutting_down']);
    await stopping;
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await blocking).text).toBe('done\n');
    expect(svc.runner.size).toBe(0);
  });
});

describe('TaskRunner', () => {
  const owner = (name: string, runId: string): { canary: { name: string; namespace: string }; runId: string; requestId: string } => ({
    canary: { name, namespace: 'test' },
    runId,
    requestId: 'r',
  });
  const waitTask = (summary: string): Task => ({
    type: 'fake',
    mode: 'background',
    summary,
    key: summary,
    run: ({ signal }) =>
      new Promise((resolve) => {
        const stopped = (): void => resolve({ ok: false, message: 'aborted' });
        if (signal.aborted) stopped();
        else signal.addEventListener('abort', stopped);
      }),
  });

  it('refuses work beyond its limit and after shutdown', async () => {
    const runner = new TaskRunner({ maxRunning: 1, backgroundTimeoutMs: 10_000, blockingTimeoutMs: 1000, logger: silentLogger() });
    runner.startBackground(waitTask('a'), owner('a', '1'));
    expect(() => runner.startBackground(waitTask('b'), owner('a', '1'))).toThrow(CapacityError);
    await runner.shutdown(0);
    expect(() => runner.startBackground(waitTask('b'), owner('a', '1'))).toThrow(ShuttingDownError);
  });

  it('stops only the tasks of the canary whose run changed', async () => {
    const runner = new TaskRunner({ maxRunning: 10, backgroundTimeoutMs: 10_000, blockingTimeoutMs: 1000, logger: silentLogger() });
    runner.startBackground(waitTask('x'), owner('a', '1'));
    runner.startBackground(waitTask('x'), owner('b', '1'));
    expect(runner.observe({ name: 'a', namespace: 'test' }, { runId: '1', phase: 'Progressing' })).toBe(0);
    expect(runner.observe({ name: 'a', namespace: 'other' }, { runId: '2' })).toBe(0);
    expect(runner.observe({ name: 'a', namespace: 'test' }, { runId: '' })).toBe(0);
    expect(runner.observe({ name: 'a', namespace: 'test' }, { runId: '2' })).toBe(1);
    await eventually(() => runner.size === 1);
    expect(runner.list()[0]!.canary).toBe('b.test');
    await runner.shutdown(0);
  });

  it('turns a task that throws into a failed outcome', async () => {
    const runner = new TaskRunner({ maxRunning: 10, backgroundTimeoutMs: 10_000, blockingTimeoutMs: 1000, logger: silentLogger() });
    const outcome = await runner.runBlocking(
      {
        type: 'fake',
        mode: 'blocking',
        summary: 'boom',
        key: 'boom',
        run: () => {
          throw new Error('boom');
        },
      },
      owner('a', '1'),
    );
    expect(outcome).toEqual({ status: 'failed', message: 'boom' });
  });
});
