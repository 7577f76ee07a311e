import type { ControllerRevision, Pod, Service, StatefulSet } from '../src/api/k8s.js';
import type { Canary, CanaryStatus } from '../src/api/types.js';
import type { KubeClient } from '../src/kube/client.js';
import type { Lister } from '../src/kube/informer.js';
import { templateRevision } from '../src/targets/deployment-spec.js';
import { StatefulSetTarget } from '../src/targets/statefulset-target.js';
import { TargetError } from '../src/targets/target.js';

const v1 = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } };
const v2 = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:2' }] } };

function sts(status: StatefulSet['status'], partition = 1, type = 'RollingUpdate'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'ns', generation: 5, resourceVersion: '42' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: v2,
      updateStrategy: { type, rollingUpdate: { partition } },
    },
    status: { observedGeneration: 5, ...status },
  };
}

const canary = (status: CanaryStatus = {}): Canary => ({
  metadata: { name: 'db', namespace: 'ns' },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }, service: { port: 80 } },
  status,
});

const listerOf = <T>(items: T[]): Lister<T> => ({ get: () => items[0], list: () => items });

/** The StatefulSet target over one StatefulSet, with a client that records each write and answers the ControllerRevision GET. */
function setup(set: StatefulSet, pods: Pod[] = [], services: Service[] = []) {
  const calls: { verb: string; name?: string; body?: unknown }[] = [];
  const revision: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'db-a', namespace: 'ns' },
    data: { spec: { template: { ...v1, $patch: 'replace' } } },
  };
  const client = {
    get: async (_r: unknown, _ns: string, name: string) => (calls.push({ verb: 'get', name }), revision),
    replace: async (_r: unknown, body: unknown) => (calls.push({ verb: 'replace', body }), body),
    patch: async (_r: unknown, _ns: string, name: string, body: unknown) => (calls.push({ verb: 'patch', name, body }), body),
    delete: async (_r: unknown, _ns: string, name: string, body: unknown) => (calls.push({ verb: 'delete', name, body }), {}),
  } as unknown as KubeClient;
  const target = new StatefulSetTarget({
    client,
    statefulSets: listerOf([set]),
    pods: listerOf(pods),
    selectorLabels: ['app'],
    fieldManager: 'test',
    defaultProvider: 'kubernetes',
    services: async () => ({ get: (_ns: string, name: string) => services.find((x) => x.metadata.name === name), list: () => services }),
  });
  return { target, calls };
}

const signal = new AbortController().signal;

describe('StatefulSetTarget.describe: the revision and the two sides', () => {
  it('gives the template revision, the current and update ControllerRevisions with their pods, and the Services selecting by revision', async () => {
    const pod = (name: string, rev: string, app = 'db'): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'ns', labels: { app, 'controller-revision-hash': rev } },
    });
    const { target } = setup(sts({ currentRevision: 'db-a', updateRevision: 'db-b' }), [
      pod('db-2', 'db-b'),
      pod('db-0', 'db-a'),
      pod('db-1', 'db-b'),
      pod('other-0', 'db-b', 'other'),
    ]);
    const info = await target.describe(canary());
    expect(info).toMatchObject({
      name: 'db',
      revision: templateRevision(v2),
      controllerRevisions: { current: 'db-a', update: 'db-b', currentPods: ['db-0'], updatePods: expect.arrayContaining(['db-1', 'db-2']) },
      podSelectors: {
        apex: { app: 'db' },
        primary: { app: 'db', 'controller-revision-hash': 'db-a' },
        canary: { app: 'db', 'controller-revision-hash': 'db-b' },
      },
    });
    expect(info.controllerRevisions!.updatePods).toHaveLength(2);
  });

  it('refuses an OnDelete StatefulSet as TargetInvalid', async () => {
    const { target } = setup(sts({}, 1, 'OnDelete'));
    await expect(target.describe(canary())).rejects.toThrow(TargetError);
    await expect(target.describe(canary())).rejects.toMatchObject({ reason: 'TargetInvalid' });
  });
});

describe('StatefulSetTarget.scaleCanary: the partition follows the status', () => {
  it.each<[CanaryStatus, number | undefined]>([
    [{ phase: 'Progressing', canaryWeight: 50 }, 1],
    [{ phase: 'Progressing', canaryWeight: 10 }, 2],
    [{ phase: 'Promoting', canaryWeight: 50 }, 0],
    [{ phase: 'Succeeded' }, 3],
    [{ phase: 'Failed', restoring: true }, undefined],
  ])('given %j, then the partition written is %p', async (status, partition) => {
    const { target, calls } = setup(sts({}, 1));
    await target.scaleCanary(canary(status), true, signal);
    const written = calls.filter((c) => c.verb === 'patch').map((c) => c.body);
    // Partition 1 is where the StatefulSet already is: nothing to write.
    expect(written).toEqual(
      partition === undefined || partition === 1
        ? []
        : [{ metadata: { resourceVersion: '42' }, spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } } }],
    );
  });
});

describe('StatefulSetTarget routed by a mesh (provider istio): the partition is not the weight', () => {
  const meshCanary = (status: CanaryStatus = {}): Canary => {
    const c = canary(status);
    return { ...c, spec: { ...c.spec, provider: 'istio', analysis: { interval: '1s', stepWeights: [20, 40] } } };
  };
  const primarySvc = (selector: Record<string, string>, name = 'db-primary'): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns' },
    spec: { selector },
  });
  const partitionsWritten = (calls: { verb: string; body?: unknown }[]): unknown[] =>
    calls
      .filter((c) => c.verb === 'patch')
      .map(
        (c) =>
          (c.body as { spec: { updateStrategy: { rollingUpdate: { partition: number } } } }).spec.updateStrategy.rollingUpdate.partition,
      );

  it('keeps ceil(3 x 40 / 100) = 2 pods on the new revision at every weight of the run', async () => {
    for (const canaryWeight of [0, 20, 40]) {
      const { target, calls } = setup(sts({}, 3));
      await target.scaleCanary(meshCanary({ phase: 'Progressing', canaryWeight }), true, signal);
      expect(partitionsWritten(calls)).toEqual([1]);
    }
  });

  it('with stepWeight, sizes the canary for maxWeight: ceil(3 x 60 / 100) = 2 pods; unset, 100 leaves the primary one pod', async () => {
    for (const [maxWeight, partition] of [
      [60, 1],
      [30, 2],
      [undefined, 1],
    ] as const) {
      const { target, calls } = setup(sts({}, 3));
      const c = meshCanary({ phase: 'Progressing', canaryWeight: 10 });
      c.spec.analysis = { interval: '1s', stepWeight: 10, ...(maxWeight ? { maxWeight } : {}) };
      await target.scaleCanary(c, true, signal);
      expect(partitionsWritten(calls)).toEqual([partition]);
    }
  });

  it('the canary is ready once those 2 pods are, whatever the weight', async () => {
    const ready = (name: string, rev: string): Pod => ({
      metadata: { name, namespace: 'ns', labels: { app: 'db', 'controller-revision-hash': rev } },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const one = setup(sts({ updateRevision: 'db-b' }, 1), [ready('db-2', 'db-b')]).target;
    expect(one.canaryReadiness(meshCanary({ phase: 'Progressing', canaryWeight: 0 }), 100)).toMatchObject({ ready: false });
    const two = setup(sts({ updateRevision: 'db-b' }, 1), [ready('db-2', 'db-b'), ready('db-1', 'db-b')]).target;
    expect(two.canaryReadiness(meshCanary({ phase: 'Progressing', canaryWeight: 0 }), 100)).toEqual({ ready: true });
  });

  it('promotes (partition 0) only once the live -primary Service selects every pod', async () => {
    const narrow = setup(sts({}, 1), [], [primarySvc({ app: 'db', 'controller-revision-hash': 'db-a' })]);
    const promoting = meshCanary({ phase: 'Promoting', canaryWeight: 40 });
    await narrow.target.promote(promoting, await narrow.target.describe(promoting), signal);
    await narrow.target.scaleCanary(promoting, true, signal);
    expect(partitionsWritten(narrow.calls)).toEqual([]);
    const wide = setup(sts({}, 1), [], [primarySvc({ app: 'db' })]);
    await wide.target.promote(promoting, await wide.target.describe(promoting), signal);
    expect(partitionsWritten(wide.calls)).toEqual([0]);
    // The apex (service.name, else the target's name) names the -primary Service read: another wide one does not count.
    const other = setup(sts({}, 1), [], [primarySvc({ app: 'db' }, 'web-primary')]);
    await other.target.promote(promoting, await other.target.describe(promoting), signal);
    expect(partitionsWritten(other.calls)).toEqual([]);
    const named = setup(sts({}, 1), [], [primarySvc({ app: 'db' }, 'web-primary')]);
    const onWeb = { ...promoting, spec: { ...promoting.spec, service: { port: 80, name: 'web' } } };
    await named.target.promote(onWeb, await named.target.describe(onWeb), signal);
    expect(partitionsWritten(named.calls)).toEqual([0]);
  });

  it('widens -primary (and the apex) to every pod while Promoting, and selects by revision otherwise', async () => {
    const { target } = setup(sts({ currentRevision: 'db-a', updateRevision: 'db-b' }));
    const a = { app: 'db', 'controller-revision-hash': 'db-a' };
    expect((await target.describe(meshCanary({ phase: 'Progressing' }))).podSelectors).toMatchObject({ apex: a, primary: a });
    expect((await target.describe(meshCanary({ phase: 'Promoting' }))).podSelectors).toMatchObject({
      apex: { app: 'db' },
      primary: { app: 'db' },
    });
  });

  it('refuses a StatefulSet of one replica as TargetInvalid', async () => {
    const single = sts({});
    single.spec.replicas = 1;
    await expect(setup(single).target.describe(meshCanary())).rejects.toMatchObject({
      reason: 'TargetInvalid',
      message: expect.stringMatching(/at least 2 replicas/),
    });
  });
});

describe('StatefulSetTarget.restore: the rollback, step by step', () => {
  const failed: CanaryStatus = {
    phase: 'Failed',
    restoring: true,
    lastAppliedSpec: templateRevision(v2),
    promotedControllerRevision: 'db-a',
  };

  it('first puts the promoted template back, read from its ControllerRevision, on the StatefulSet read', async () => {
    const { target, calls } = setup(sts({ currentRevision: 'db-a', updateRevision: 'db-b' }));
    const info = await target.describe(canary(failed));
    expect(await target.restore(canary(failed), info, signal)).toEqual({ done: false, detail: 'restoring the template of revision db-a' });
    expect(calls.map((c) => [c.verb, c.name])).toEqual([
      ['get', 'db-a'],
      ['replace', undefined],
    ]);
    const written = calls[1]!.body as StatefulSet;
    expect(written.spec.template).toEqual(v1);
    expect(written.metadata.resourceVersion).toBe('42');
    expect(written.spec.updateStrategy?.rollingUpdate?.partition).toBe(1);
  });

  it('then waits for the pods, replacing the unready ones of the failed revision, and arms the partition once all are back', async () => {
    const pod = (name: string, rev: string, ready: boolean): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'db', 'controller-revision-hash': rev } },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    const moving = setup(sts({ currentRevision: 'db-a', updateRevision: 'db-a', replicas: 3, updatedReplicas: 1 }), [
      pod('db-0', 'db-a', true),
      pod('db-1', 'db-b', true),
      pod('db-2', 'db-b', false),
    ]);
    const info = await moving.target.describe(canary(failed));
    expect(await moving.target.restore(canary(failed), info, signal)).toEqual({
      done: false,
      detail: 'rolling back: 1 of 3 pods are back on revision db-a; replaced the unready pods db-2',
    });
    expect(moving.calls).toEqual([{ verb: 'delete', name: 'db-2', body: { preconditions: { uid: 'uid-db-2' } } }]);

    const back = setup(sts({ currentRevision: 'db-a', updateRevision: 'db-a', replicas: 3, updatedReplicas: 3 }));
    expect(await back.target.restore(canary(failed), info, signal)).toEqual({ done: true, detail: 'every pod runs revision db-a again' });
    expect(back.calls.map((c) => c.body)).toEqual([
      { metadata: { resourceVersion: '42' }, spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 3 } } } },
    ]);
  });
});
