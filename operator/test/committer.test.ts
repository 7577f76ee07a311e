import { then, type Transition } from '../src/controller/transition.js';
import { aCanary, aDeployment, World } from './fakes/world.js';

/** One ordered log of what a World saw: API writes, Events, hook calls and alerts. */
function ordered(w: World): string[] {
  const log: string[] = [];
  const tap = <T>(list: T[], label: (x: T) => string): void => {
    const push = list.push.bind(list);
    list.push = (...xs: T[]): number => {
      for (const x of xs) log.push(label(x));
      return push(...xs);
    };
  };
  tap(w.kube.writes, (x) => `${x.verb} ${x.kind}/${x.name}`);
  tap(w.events, (e) => `event ${e.reason}`);
  tap(w.hookCalls, (h) => `hook ${h.hook}`);
  tap(w.alerts, (a) => `alert ${a.reason}`);
  return log;
}

const postRollout = { name: 'notify', type: 'post-rollout' as const, url: 'http://127.0.0.1:9/notify' };
const at = (log: string[], entry: RegExp): number => log.findIndex((l) => entry.test(l));

async function started(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  w.newRevision({ VERSION: '2' });
  await w.tick(0);
  await w.tick();
  expect(w.canary.status).toMatchObject({ phase: 'Progressing', canaryWeight: 25 });
}

describe('the committer applies a transition in one order: status, routes and scale, promotion, Events, post-rollout hooks, alerts', () => {
  it('given a rollback, then the Failed status is written before the routes go back, and the Event, hook and alert come after', async () => {
    const w = new World().apply(aDeployment(), aCanary({ threshold: 1, webhooks: [postRollout] }));
    await started(w);
    w.checks = [
      { name: 'request-success-rate', ok: false, value: 50, min: 99, reason: 'BelowMin', message: 'request-success-rate 50 < 99' },
    ];
    const log = ordered(w);
    await w.tick();
    expect(w.canary.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    const steps = [/Canary\/podinfo/, /VirtualService\/podinfo/, /Deployment\/podinfo$/, /^event RolledBack/, /^hook notify/, /^alert /];
    const positions = steps.map((s) => at(log, s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('given a promotion, then Promoting is written before the primary gets the new template, and its Event comes after both', async () => {
    const w = new World().apply(aDeployment(), aCanary({ maxWeight: 25 }));
    await started(w);
    const log = ordered(w);
    w.now += 10_000;
    await w.reconcile();
    expect(w.canary.status?.phase).toBe('Promoting');
    const positions = [/Canary\/podinfo/, /Deployment\/podinfo-primary/, /^event Promoting/].map((s) => at(log, s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

describe('then(): two transitions decided in turn', () => {
  const table: [string, Transition, Transition, Transition][] = [
    [
      'b wins for status fields, detail and requeue',
      { status: { canaryWeight: 10 }, detail: 'a', requeueAfterMs: 5 },
      { status: { canaryWeight: 20 }, detail: 'b' },
      { status: { canaryWeight: 20 }, detail: 'b', events: [], alerts: [], requeueAfterMs: undefined },
    ],
    [
      'status fields of both are kept',
      { status: { failedChecks: 2 } },
      { status: { phase: 'Failed' } },
      { status: { failedChecks: 2, phase: 'Failed' }, events: [], alerts: [], requeueAfterMs: undefined },
    ],
    [
      'handledRequests are merged key by key',
      { status: { handledRequests: { retry: 'x' } } },
      { status: { handledRequests: { abort: 'y' } } },
      { status: { handledRequests: { retry: 'x', abort: 'y' } }, events: [], alerts: [], requeueAfterMs: undefined },
    ],
    [
      'Events and alerts are kept in order',
      { events: [{ type: 'Warning', reason: 'A', message: 'a' }], alerts: [{ kind: 'RolledBack' }] },
      { events: [{ type: 'Normal', reason: 'B', message: 'b' }] },
      {
        status: {},
        events: [
          { type: 'Warning', reason: 'A', message: 'a' },
          { type: 'Normal', reason: 'B', message: 'b' },
        ],
        alerts: [{ kind: 'RolledBack' }],
        requeueAfterMs: undefined,
      },
    ],
    [
      'effects of either are kept',
      { promote: true },
      { postRollout: true, outcome: 'failed', requeueAfterMs: 3 },
      { promote: true, postRollout: true, outcome: 'failed', status: {}, events: [], alerts: [], requeueAfterMs: 3 },
    ],
  ];
  it.each(table)('%s', (_what, a, b, expected) => {
    expect(then(a, b)).toEqual(expected);
  });
});
