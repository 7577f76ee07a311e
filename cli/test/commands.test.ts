import type { Deployment } from '@tollgate/operator/api/k8s';
import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { templateRevision } from '@tollgate/operator/targets/deployment-spec';
import { requestPatch, requestValue } from '../src/commands/request.js';
import { canary, event, harness, iso, operatorWrites, putCanary, T0, type Harness } from './helpers.js';

const annotations = (h: Harness, name = 'podinfo'): Record<string, string> =>
  h.kube.get<Canary>(Resources.canaries, 'test', name)?.metadata.annotations ?? {};
const patches = (h: Harness): number => h.kube.writes.filter((w) => w.verb === 'patch').length;

function deployment(version: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'app', image: 'podinfo', env: [{ name: 'VERSION', value: version }] }] },
      },
    },
  } as Deployment;
}

describe('tollgate get', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
    putCanary(h, canary({ name: 'web', phase: 'Succeeded' }));
    putCanary(h, canary({ name: 'api', phase: 'Progressing', status: { canaryWeight: 20 } }));
    putCanary(h, canary({ name: 'other', namespace: 'shop' }));
  });

  it('given canaries in the namespace, then a table sorted by name, exit 0', async () => {
    expect(await h.run('get')).toBe(0);
    expect(h.out.map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual([
      'NAME PHASE WEIGHT FAILED',
      'api Progressing 20 0/2',
      'web Succeeded 0 0/2',
    ]);
  });

  it('given -A, then every namespace', async () => {
    expect(await h.run('get', '-A')).toBe(0);
    expect(h.out.map((l) => l.split(/\s+/).slice(0, 2).join('/'))).toEqual(['NAMESPACE/NAME', 'shop/other', 'test/api', 'test/web']);
  });

  it('given -o json, then the object, or a List, as kubectl prints them', async () => {
    expect(await h.run('get', 'api', '-o', 'json')).toBe(0);
    const one = JSON.parse(h.out.join('\n')) as Canary;
    expect(one).toMatchObject({
      apiVersion: 'tollgate.dev/v1beta1',
      kind: 'Canary',
      metadata: { name: 'api' },
      status: { phase: 'Progressing' },
    });
    h.out.length = 0;
    expect(await h.run('get', '-o', 'json')).toBe(0);
    const list = JSON.parse(h.out.join('\n')) as { kind: string; items: Canary[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((c) => c.metadata.name)).toEqual(['api', 'web']);
  });

  it('given -o yaml, then YAML', async () => {
    expect(await h.run('get', 'web', '-o', 'yaml')).toBe(0);
    expect(h.out.join('\n')).toMatch(/^apiVersion: tollgate.dev\/v1beta1\nkind: Canary\nmetadata:\n/);
    expect(h.out.join('\n')).toContain('  phase: Succeeded');
  });

  it('given a name that does not exist, then exit 3 with the namespace in the message', async () => {
    expect(await h.run('get', 'nope')).toBe(3);
    expect(h.err).toEqual(['error: canary "nope" not found in namespace "test"']);
  });

  it('given no canaries, then a note on stderr and exit 0', async () => {
    expect(await h.run('get', '-n', 'empty')).toBe(0);
    expect(h.err).toEqual(['No canaries found in namespace empty.']);
  });
});

describe('tollgate promote, abort, retry, pause, resume', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it("given a run in progress, when promote, then the annotation is set to a fresh value and the operator's acknowledgement is printed", async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 20 } }));
    h.clock.at(1200, () =>
      operatorWrites(
        h,
        (c) => ({ phase: 'Promoting', handledRequests: { promote: c.metadata.annotations!['tollgate.dev/promote']! } }),
        'copying revision rev2 to podinfo-primary',
      ),
    );
    expect(await h.run('promote', 'podinfo')).toBe(0);
    expect(annotations(h)['tollgate.dev/promote']).toBe(iso(T0));
    expect(h.out).toEqual([
      `Requested for test/podinfo: promotion of the revision under analysis, skipping the remaining steps (tollgate.dev/promote=${iso(T0)}).`,
      'Acknowledged by the operator: test/podinfo is Promoting  weight 20  failed 0/2: copying revision rev2 to podinfo-primary',
    ]);
    expect(h.clock.now - T0).toBe(1500);
  });

  it('given no run in progress, when promote or abort, then refused with exit 1 and nothing written', async () => {
    putCanary(h, canary({ phase: 'Succeeded' }));
    expect(await h.run('promote', 'podinfo')).toBe(1);
    expect(await h.run('abort', 'podinfo')).toBe(1);
    expect(h.err).toEqual([
      'refused: podinfo is Succeeded: no run in progress to promote.',
      'To record the request anyway, add --force (tollgate.dev/promote is read when a run is in progress).',
      'refused: podinfo is Succeeded: no run in progress to abort.',
      'To record the request anyway, add --force (tollgate.dev/abort is read when a run is in progress).',
    ]);
    expect(patches(h)).toBe(0);
  });

  it('given --force, then the request is recorded with a warning of what it will do, without waiting', async () => {
    putCanary(h, canary({ phase: 'Succeeded' }));
    expect(await h.run('promote', 'podinfo', '--force')).toBe(0);
    expect(annotations(h)['tollgate.dev/promote']).toBe(iso(T0));
    expect(h.out[1]).toBe(
      'Warning: podinfo is Succeeded: no run in progress to promote; recorded anyway (--force): it stays pending: the next run will be promoted as soon as it starts.',
    );
    expect(h.clock.now).toBe(T0);
  });

  it('given an operator that does not answer, then after 15s the request is said to be recorded, exit 0', async () => {
    putCanary(h, canary({ phase: 'Progressing' }));
    expect(await h.run('abort', 'podinfo')).toBe(0);
    expect(h.out[1]).toBe(
      'Not acknowledged within 15s: the request is recorded and will apply on the next reconcile of test/podinfo (now Progressing).',
    );
    expect(h.clock.now - T0).toBe(15_000);
  });

  it('given --no-wait, then it returns once the annotation is written', async () => {
    putCanary(h, canary({ phase: 'Progressing' }));
    expect(await h.run('abort', 'podinfo', '--no-wait')).toBe(0);
    expect(annotations(h)['tollgate.dev/abort']).toBe(iso(T0));
    expect(h.out).toHaveLength(1);
    expect(h.clock.now).toBe(T0);
  });

  it('given a Failed canary, when retry, then acknowledged when the operator starts the new run', async () => {
    putCanary(h, canary({ phase: 'Failed', status: { handledRequests: { retry: iso(T0) } } }));
    h.clock.at(700, () =>
      operatorWrites(
        h,
        (c) => ({ phase: 'Progressing', handledRequests: { retry: c.metadata.annotations!['tollgate.dev/retry']! } }),
        'analysing revision rev2 again',
      ),
    );
    expect(await h.run('retry', 'podinfo')).toBe(0);
    expect(annotations(h)['tollgate.dev/retry']).toBe(`${iso(T0)}-1`);
    expect(h.out[1]).toBe('Acknowledged by the operator: test/podinfo is Progressing  weight 0  failed 0/2: analysing revision rev2 again');
  });

  it('given a run in progress, when retry, then refused', async () => {
    putCanary(h, canary({ phase: 'Progressing' }));
    expect(await h.run('retry', 'podinfo')).toBe(1);
    expect(h.err[0]).toBe('refused: podinfo is Progressing: retry runs a Failed revision again, and podinfo has not failed.');
  });

  it('given pause then resume, then paused=true then false, each acknowledged through the Ready reason', async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 40 }, readyMessage: 'canary weight 40' }));
    h.clock.at(400, () => operatorWrites(h, {}, 'paused at canary weight 40 (tollgate.dev/paused=true)', { paused: true }));
    expect(await h.run('pause', 'podinfo')).toBe(0);
    expect(annotations(h)['tollgate.dev/paused']).toBe('true');
    expect(h.out[1]).toBe(
      'Acknowledged by the operator: test/podinfo is Progressing  weight 40  failed 0/2  paused: paused at canary weight 40 (tollgate.dev/paused=true)',
    );
    expect(await h.run('pause', 'podinfo')).toBe(0);
    expect(h.out[2]).toBe('podinfo is already paused: nothing to do');
    h.clock.at(h.clock.now - T0 + 900, () => operatorWrites(h, { canaryWeight: 60 }, 'canary weight 60'));
    expect(await h.run('resume', 'podinfo')).toBe(0);
    expect(annotations(h)['tollgate.dev/paused']).toBe('false');
    expect(h.out[4]).toBe('Acknowledged by the operator: test/podinfo is Progressing  weight 60  failed 0/2: canary weight 60');
    expect(await h.run('resume', 'podinfo')).toBe(0);
    expect(h.out[5]).toBe('podinfo is not paused: nothing to do');
  });

  it('given pause with no run in progress, then recorded with a note, without waiting', async () => {
    putCanary(h, canary({ phase: 'Succeeded' }));
    expect(await h.run('pause', 'podinfo')).toBe(0);
    expect(h.out[1]).toBe('Note: no analysis is running (Succeeded): the next run will hold at its start until resumed.');
  });

  it('given a write conflict because the run moved on, then the phase is checked again', async () => {
    let conflicts = 0;
    const racing = harness({
      wrap: (client) =>
        Object.assign(Object.create(client) as KubeClient, {
          patch: async (...args: Parameters<KubeClient['patch']>) => {
            if (conflicts++ === 0) {
              operatorWrites(racing, { phase: 'Succeeded', lastPromotedSpec: 'rev2' });
              throw Object.assign(new Error('PATCH canaries/podinfo: 409 Conflict: the object has been modified'), {
                name: 'KubeApiError',
                status: 409,
              });
            }
            return client.patch(...args);
          },
        }),
    });
    putCanary(racing, canary({ phase: 'Progressing' }));
    expect(await racing.run('promote', 'podinfo')).toBe(1);
    expect(racing.err[0]).toBe('refused: podinfo is Succeeded: no run in progress to promote.');
    expect(annotations(racing)['tollgate.dev/promote']).toBeUndefined();
  });

  it('given the CRDs are not installed, then exit 3 with a hint', async () => {
    const bare = harness({
      wrap: (client) =>
        Object.assign(Object.create(client) as KubeClient, {
          get: async () => {
            throw Object.assign(
              new Error(
                'GET /apis/tollgate.dev/v1beta1/namespaces/test/canaries/podinfo: 404 NotFound: the server could not find the requested resource',
              ),
              { name: 'KubeApiError', status: 404 },
            );
          },
        }),
    });
    expect(await bare.run('status', 'podinfo')).toBe(3);
    expect(bare.err[0]).toMatch(
      /^error: the API server does not serve canaries.tollgate.dev: are Tollgate's CRDs installed \(kubectl apply -f crds\/\)\?/,
    );
  });

  it('given a missing canary, then exit 3', async () => {
    expect(await h.run('abort', 'nope')).toBe(3);
    expect(h.err).toEqual(['error: canary "nope" not found in namespace "test"']);
  });

  it('builds a merge patch of one annotation guarded by the resourceVersion, with a value never used before', () => {
    expect(requestPatch('promote', 'v', '42')).toEqual({
      metadata: { annotations: { 'tollgate.dev/promote': 'v' }, resourceVersion: '42' },
    });
    expect(requestPatch('pause', 'true', undefined)).toEqual({ metadata: { annotations: { 'tollgate.dev/paused': 'true' } } });
    const c = canary({ annotations: { 'tollgate.dev/abort': iso(T0) }, status: { handledRequests: { abort: `${iso(T0)}-1` } } });
    expect(requestValue('abort', c, T0)).toBe(`${iso(T0)}-2`);
    expect(requestValue('promote', c, T0)).toBe(iso(T0));
    expect([requestValue('pause', c, T0), requestValue('resume', c, T0)]).toEqual(['true', 'false']);
  });
});

describe('tollgate wait', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it('given a run that succeeds, then one line per change and exit 0', async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 20 }, readyMessage: 'canary weight 20' }));
    h.clock.at(3000, () => operatorWrites(h, { canaryWeight: 40 }, 'canary weight 40'));
    h.clock.at(6000, () => operatorWrites(h, { phase: 'Promoting' }, 'copying revision rev2 to podinfo-primary'));
    h.clock.at(9000, () => operatorWrites(h, { phase: 'Succeeded', canaryWeight: 0, lastPromotedSpec: 'rev2' }));
    expect(await h.run('wait', 'podinfo')).toBe(0);
    expect(h.out).toEqual([
      '+0s  test/podinfo  Progressing  weight 20  failed 0/2: canary weight 20',
      '+3s  test/podinfo  Progressing  weight 40  failed 0/2: canary weight 40',
      '+6s  test/podinfo  Promoting  weight 40  failed 0/2: copying revision rev2 to podinfo-primary',
      '+9s  test/podinfo  Succeeded  weight 0  failed 0/2: the latest revision is promoted',
      'test/podinfo is promoted: revision rev2 (the latest revision is promoted)',
    ]);
  });

  it('given a run that fails, then the reason and message, exit 1', async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 20 } }));
    h.clock.at(5000, () =>
      operatorWrites(
        h,
        { phase: 'Failed', canaryWeight: 0, failedChecks: 2 },
        'failed checks threshold reached 2: request-success-rate 40 < 99',
      ),
    );
    expect(await h.run('wait', 'podinfo', '--timeout', '1m')).toBe(1);
    expect(h.out.at(-1)).toBe('test/podinfo failed: Failed: failed checks threshold reached 2: request-success-rate 40 < 99');
  });

  it('given a run that does not end in time, then the phase and exit 2 at the timeout', async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 20 }, readyMessage: 'canary weight 20' }));
    expect(await h.run('wait', 'podinfo', '--timeout', '30s')).toBe(2);
    expect(h.out.at(-1)).toBe('timed out after 30s: test/podinfo is Progressing (canary weight 20)');
    expect(h.clock.now - T0).toBe(30_000);
  });

  it('given a target changed just before (the status still shows the last run), then it waits for the new run', async () => {
    h.kube.put(Resources.deployments, deployment('v2'));
    const v2 = templateRevision(deployment('v2').spec.template);
    const v1 = templateRevision(deployment('v1').spec.template);
    putCanary(h, canary({ phase: 'Succeeded', status: { lastAppliedSpec: v1, lastPromotedSpec: v1 } }));
    h.clock.at(1000, () => operatorWrites(h, { phase: 'Progressing', lastAppliedSpec: v2, canaryWeight: 0 }, `analysing revision ${v2}`));
    h.clock.at(4000, () => operatorWrites(h, { phase: 'Succeeded', lastPromotedSpec: v2 }));
    expect(await h.run('wait', 'podinfo')).toBe(0);
    expect(h.out).toEqual([
      `+0s  test/podinfo  Succeeded: the operator has not picked up revision ${v2} of Deployment/podinfo yet`,
      `+1s  test/podinfo  Progressing  weight 0  failed 0/2: analysing revision ${v2}`,
      '+4s  test/podinfo  Succeeded  weight 0  failed 0/2: the latest revision is promoted',
      `test/podinfo is promoted: revision ${v2} (the latest revision is promoted)`,
    ]);
  });

  it("given a stale Failed status and a fixed target, then not the old failure but the new run's outcome", async () => {
    h.kube.put(Resources.deployments, deployment('v3'));
    const v3 = templateRevision(deployment('v3').spec.template);
    putCanary(h, canary({ phase: 'Failed', status: { lastAppliedSpec: 'bad', lastPromotedSpec: 'good' } }));
    h.clock.at(2000, () => operatorWrites(h, { phase: 'Succeeded', lastAppliedSpec: v3, lastPromotedSpec: v3 }));
    expect(await h.run('wait', 'podinfo')).toBe(0);
  });

  it('given a stall the operator clears by itself, then it goes on waiting', async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 60 }, readyMessage: 'canary weight 60' }));
    const rejected = { reason: 'Rejected', message: 'PATCH podinfo-primary: 422 Invalid' };
    h.clock.at(2000, () => operatorWrites(h, { phase: 'Promoting' }, rejected.message, { blocked: rejected }));
    h.clock.at(2500, () => operatorWrites(h, { phase: 'Succeeded', canaryWeight: 0, lastPromotedSpec: 'rev2' }));
    expect(await h.run('wait', 'podinfo')).toBe(0);
    expect(h.out).toEqual([
      '+0s  test/podinfo  Progressing  weight 60  failed 0/2: canary weight 60',
      '+2s  test/podinfo  Promoting: stalled (Rejected): PATCH podinfo-primary: 422 Invalid; failing soon unless the operator recovers',
      '+3s  test/podinfo  Succeeded  weight 0  failed 0/2: the latest revision is promoted',
      'test/podinfo is promoted: revision rev2 (the latest revision is promoted)',
    ]);
  });

  it('given a stall that lasts, then exit 1 after the grace period, or at once when it is older than that', async () => {
    putCanary(h, canary({ phase: 'Progressing' }));
    const gone = { reason: 'TargetNotFound', message: 'Deployment test/podinfo not found' };
    h.clock.at(1000, () => operatorWrites(h, {}, gone.message, { blocked: gone }));
    expect(await h.run('wait', 'podinfo')).toBe(1);
    expect(h.out.at(-1)).toBe('test/podinfo failed: TargetNotFound: Deployment test/podinfo not found');
    expect(h.clock.now - T0).toBe(11_000);
    h.clock.now += 60_000;
    const started = h.clock.now;
    expect(await h.run('wait', 'podinfo')).toBe(1);
    expect(h.clock.now).toBe(started);
  });

  it('given a canary deleted while waiting, then exit 3', async () => {
    putCanary(h, canary({ phase: 'Progressing' }));
    h.clock.at(2000, () => h.kube.delete(Resources.canaries, 'test', 'podinfo'));
    expect(await h.run('wait', 'podinfo')).toBe(3);
    expect(h.out.at(-1)).toBe('+2s  test/podinfo was deleted');
  });

  it('given a missing canary or an unreachable API server, then exit 3', async () => {
    expect(await h.run('wait', 'nope')).toBe(3);
    const down = new Error('GET /apis/tollgate.dev/v1beta1/namespaces/test/canaries/podinfo: connect ECONNREFUSED 127.0.0.1:6443');
    down.name = 'KubeConnectionError';
    const offline = harness({ connectError: down });
    expect(await offline.run('wait', 'podinfo')).toBe(3);
    expect(offline.err).toEqual([`error: cannot reach the API server: ${down.message}`]);
  });

  it('given usage errors, then exit 3 and a pointer to the help', async () => {
    expect(await h.run('wait', 'podinfo', '--timeout', 'soon')).toBe(3);
    expect(h.err).toEqual(['error: invalid --timeout "soon": use a duration such as 90s, 10m or 1h', "See 'tollgate help wait'."]);
  });
});

describe('tollgate status', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
    h.kube.put(Resources.events, event('NewRevision', 'New revision rev2 detected', T0 - 60_000) as never);
    h.kube.put(Resources.events, event('Advanced', 'Advance podinfo canary weight 20', T0 - 57_000) as never);
    h.kube.put(Resources.events, event('Advanced', 'not about this canary', T0 - 57_000, { canary: 'other' }) as never);
  });

  it("given a run, then the page with the canary's Events only, exit 0", async () => {
    putCanary(
      h,
      canary({
        phase: 'Progressing',
        status: { canaryWeight: 20, lastChecks: [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }] },
      }),
    );
    expect(await h.run('status', 'podinfo')).toBe(0);
    const text = h.out.join('\n');
    expect(text).toContain('Phase:      Progressing');
    expect(text).toMatch(/request-success-rate +100 +>= 99 +ok/);
    expect(text).toMatch(
      /\+0s +Normal +NewRevision +New revision rev2 detected\n +\+3s +Normal +Advanced +Advance podinfo canary weight 20$/,
    );
    expect(text).not.toContain('not about this canary');
  });

  it('given --until-done, then the changes as they happen, and exit 0 when promoted', async () => {
    putCanary(h, canary({ phase: 'Progressing', status: { canaryWeight: 20 }, readyMessage: 'canary weight 20' }));
    h.clock.at(3000, () => {
      operatorWrites(
        h,
        {
          canaryWeight: 40,
          lastAnalysisTime: iso(T0 + 3000),
          lastChecks: [{ name: 'request-success-rate', ok: true, value: 99.5, min: 99 }],
        },
        'canary weight 40',
      );
      h.kube.put(Resources.events, event('Advanced', 'Advance podinfo canary weight 40', T0 + 3000) as never);
    });
    h.clock.at(6000, () => operatorWrites(h, { phase: 'Succeeded', canaryWeight: 0, lastPromotedSpec: 'rev2' }));
    expect(await h.run('status', 'podinfo', '--until-done')).toBe(0);
    const follow = h.out.slice(h.out.indexOf('Following the run until it ends (Ctrl-C to stop):') + 1);
    expect(follow).toEqual([
      '+63s    Progressing  weight 40  failed 0/2: canary weight 40',
      '+63s    checks: request-success-rate 99.5 (>= 99) ok',
      '+63s    event Normal Advanced: Advance podinfo canary weight 40',
      '+66s    Succeeded  weight 0  failed 0/2: the latest revision is promoted',
      'The run has ended: revision rev2 is promoted.',
    ]);
  });

  it('given --until-done on a failed canary, then exit 1 at once', async () => {
    putCanary(h, canary({ phase: 'Failed' }));
    expect(await h.run('status', 'podinfo', '--until-done')).toBe(1);
    expect(h.out.at(-1)).toMatch(/^The run has ended: Failed: /);
  });
});

describe('help and version', () => {
  it('given help, then the commands; given help COMMAND, then its usage; exit 0 without a cluster', async () => {
    const h = harness({ connectError: new Error('must not connect') });
    expect(await h.run('help')).toBe(0);
    expect(h.out[0]).toContain('tollgate: inspect and steer Tollgate canary releases.');
    expect(await h.run('help', 'promote')).toBe(0);
    expect(h.out[1]).toMatch(/^Usage: tollgate promote NAME \[--force\] \[--no-wait\]/);
    expect(await h.run('version')).toBe(0);
    expect(h.out[2]).toMatch(/^tollgate 0\.1\.0 \(Node\.js v\d+/);
    expect(await h.run('bogus')).toBe(3);
    expect(h.err).toEqual(['error: unknown command "bogus"', "See 'tollgate help'."]);
  });
});

describe('an error nobody expected', () => {
  it('is one line on stderr (exit 3); with TOLLGATE_DEBUG set, its stack follows', async () => {
    const failing = (k: KubeClient): KubeClient =>
      new Proxy(k, { get: (t, p) => (p === 'list' ? () => Promise.reject(new TypeError('boom')) : Reflect.get(t, p)) });
    const h = harness({ wrap: failing });
    const before = process.env.TOLLGATE_DEBUG;
    try {
      delete process.env.TOLLGATE_DEBUG;
      expect(await h.run('get')).toBe(3);
      expect(h.err).toEqual(['error: boom']);
      h.err.length = 0;
      process.env.TOLLGATE_DEBUG = '1';
      expect(await h.run('get')).toBe(3);
      expect(h.err[0]).toBe('error: boom');
      expect(h.err[1]).toMatch(/^TypeError: boom\n\s+at /);
    } finally {
      if (before === undefined) delete process.env.TOLLGATE_DEBUG;
      else process.env.TOLLGATE_DEBUG = before;
    }
  });
});
