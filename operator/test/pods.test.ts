import type { ContainerStatus, Pod } from '../src/api/k8s.js';
import {
  containerProblem,
  describeProblems,
  newlyFailing,
  podProblems,
  problemsOfPods,
  problemText,
  selectorMatches,
  severityOf,
  type PodProblem,
} from '../src/core/pods.js';
import { trimPod } from '../src/kube/pods.js';

const pod = (name: string, status: Pod['status'], extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace: 'test', labels: { app: 'podinfo' }, ...extra },
  status,
});
const running = (cs: ContainerStatus[], ready = false): Pod['status'] => ({
  phase: 'Running',
  conditions: [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Ready', status: ready ? 'True' : 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' },
  ],
  containerStatuses: cs,
});
const crashLoop: ContainerStatus = {
  name: 'app',
  ready: false,
  restartCount: 4,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app' } },
  lastState: { terminated: { reason: 'Error', exitCode: 1 } },
};
const oom: ContainerStatus = { ...crashLoop, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } };
const imagePull: ContainerStatus = {
  name: 'app',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/x/podinfo:9.9.9"' } },
};
const notReady: ContainerStatus = { name: 'app', ready: false, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } };
const unschedulable: Pod['status'] = {
  phase: 'Pending',
  conditions: [
    { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' },
  ],
};

describe('containerProblem', () => {
  it.each<[string, ContainerStatus, Partial<PodProblem> | undefined]>([
    ['a ready container', { name: 'app', ready: true, state: { running: {} } }, undefined],
    [
      'an init container that completed',
      { name: 'init', ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
      undefined,
    ],
    [
      'a crash loop',
      crashLoop,
      { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app; last exit Error, code 1; 4 restarts' },
    ],
    [
      'a crash loop after an OOM kill',
      oom,
      {
        reason: 'OOMKilled',
        message: 'killed for exceeding its memory limit; last exit OOMKilled, code 137; 4 restarts; now CrashLoopBackOff',
      },
    ],
    [
      'a container just OOM-killed',
      { name: 'app', ready: false, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } },
      { reason: 'OOMKilled' },
    ],
    [
      'an image that cannot be pulled',
      imagePull,
      { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/x/podinfo:9.9.9"' },
    ],
    [
      'a running container failing readiness',
      notReady,
      { reason: 'NotReady', message: 'running but not ready (its readiness probe fails)' },
    ],
    ['a container that exited with an error', { name: 'app', state: { terminated: { exitCode: 2 } } }, { reason: 'Error' }],
    ['a container without any state yet', { name: 'app', ready: false }, undefined],
  ])('given %s, then %j', (_title, cs, want) => {
    const got = containerProblem('p', cs);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject({ pod: 'p', container: cs.name, ...want });
  });
});

describe('podProblems', () => {
  it.each<[string, Pod, string[]]>([
    ['a ready pod', pod('a', running([{ name: 'app', ready: true, state: { running: {} } }], true)), []],
    ['a pod being deleted', pod('a', running([crashLoop]), { deletionTimestamp: '2026-01-01T00:00:00Z' }), []],
    ['an unschedulable pod', pod('a', unschedulable), ['Unschedulable']],
    ['an evicted pod', pod('a', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }), ['Evicted']],
    [
      'a pod whose sidecar is ready and app crashes',
      pod('a', running([{ name: 'proxy', ready: true, state: { running: {} } }, crashLoop])),
      ['CrashLoopBackOff'],
    ],
    [
      'a pod with a failing init container and a waiting app',
      pod('a', {
        ...running([{ name: 'app', ready: false, state: { waiting: { reason: 'PodInitializing' } } }]),
        initContainerStatuses: [oom],
      }),
      ['OOMKilled', 'PodInitializing'],
    ],
    ['a pod not ready without container statuses (only its Ready condition)', pod('a', running([])), ['NotReady']],
  ])('given %s, then the reasons are %j, worst first', (_title, p, reasons) => {
    expect(podProblems(p).map((x) => x.reason)).toEqual(reasons);
  });

  it('given an unschedulable pod, then the message is the scheduler’s', () => {
    expect(podProblems(pod('a', unschedulable))).toEqual([
      { pod: 'a', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' },
    ]);
  });
});

describe('severityOf and problemsOfPods', () => {
  it('orders OOMKilled, crash loops, image pulls, container creation, scheduling, eviction, readiness, then anything else', () => {
    const order = [
      'OOMKilled',
      'CrashLoopBackOff',
      'ImagePullBackOff',
      'CreateContainerConfigError',
      'Unschedulable',
      'Evicted',
      'NotReady',
      'ContainerCreating',
    ];
    expect(order.map(severityOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('given pods with different problems, then the worst of each pod, worst pod first, ties by name', () => {
    const pods = [
      pod('d', running([notReady])),
      pod('c', unschedulable),
      pod('b', running([imagePull])),
      pod('a', running([notReady])),
      pod('e', running([oom])),
      pod('f', running([{ name: 'app', ready: true, state: { running: {} } }], true)),
    ];
    expect(problemsOfPods(pods).map((p) => `${p.pod}:${p.reason}`)).toEqual([
      'e:OOMKilled',
      'b:ImagePullBackOff',
      'c:Unschedulable',
      'a:NotReady',
      'd:NotReady',
    ]);
  });
});

describe('describeProblems', () => {
  const problems = problemsOfPods([
    pod('x-1', running([crashLoop])),
    pod('x-2', unschedulable),
    pod('x-3', running([notReady])),
    pod('x-4', running([notReady])),
  ]);

  it('names the pod, the reason, the container and what the kubelet said', () => {
    expect(problemText(problems[0]!)).toBe(
      'pod x-1: CrashLoopBackOff (container app: back-off 40s restarting failed container=app; last exit Error, code 1; 4 restarts)',
    );
    expect(problemText(problems[1]!)).toBe('pod x-2: Unschedulable (0/3 nodes are available: 3 Insufficient memory.)');
  });

  it('names at most `limit` pods and counts the others', () => {
    expect(describeProblems(problems, 2)).toBe(`${problemText(problems[0]!)}; ${problemText(problems[1]!)}; and 2 more pods not ready`);
    expect(describeProblems(problems.slice(0, 1))).toBe(problemText(problems[0]!));
    expect(describeProblems([])).toBe('');
  });

  it.each([
    ['nothing told yet: the failing pods, not the ones still starting or not ready', '', ['x-1', 'x-2']],
    ['x-1 told with its reason: only x-2', 'waiting for x: 0 of 4 ready; pod x-1: CrashLoopBackOff (container app: 3 restarts)', ['x-2']],
    ['x-1 told with another reason: both', 'pod x-1: ImagePullBackOff', ['x-1', 'x-2']],
    ['both told', 'pod x-1: CrashLoopBackOff; pod x-2: Unschedulable', []],
  ])('newlyFailing, given %s', (_, told, pods) => {
    expect(newlyFailing(problems, told)).toEqual(pods.map((p) => problemText(problems.find((x) => x.pod === p)!)));
  });

  it('cuts a long kubelet message', () => {
    const long = { ...crashLoop, state: { waiting: { reason: 'CrashLoopBackOff', message: 'x'.repeat(5000) } } };
    expect(problemText(containerProblem('p', long)!).length).toBeLessThan(300);
  });
});

describe('selectorMatches', () => {
  it.each<[string, Parameters<typeof selectorMatches>[0], Record<string, string>, boolean]>([
    ['matching matchLabels', { matchLabels: { app: 'podinfo' } }, { app: 'podinfo', 'pod-template-hash': 'x' }, true],
    ['the primary’s pods against the canary’s selector', { matchLabels: { app: 'podinfo' } }, { app: 'podinfo-primary' }, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, { tier: 'api' }, true],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, { tier: 'web' }, false],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, { tier: '' }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { tier: 'x' }, false],
    ['an unknown operator', { matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] }, { tier: '2' }, false],
    [
      'labels and expressions together',
      { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] },
      { app: 'a' },
      false,
    ],
    ['an empty selector', {}, { app: 'podinfo' }, false],
  ])('given %s, then %p', (_title, sel, labels, want) => {
    expect(selectorMatches(sel, labels)).toBe(want);
  });
});

describe('trimPod (the Pods cache)', () => {
  it('keeps name, labels, version, deletion and the status that explains a failure; drops spec, annotations and the rest', () => {
    const full = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'a',
        namespace: 'test',
        uid: 'u1',
        resourceVersion: '7',
        labels: { app: 'podinfo' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'r' }],
      },
      spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'SECRET', value: 's3cr3t' }] }] },
      status: {
        phase: 'Running',
        podIP: '10.0.0.1',
        conditions: [{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: 't' }],
        containerStatuses: [
          { ...oom, image: 'x', imageID: 'sha', containerID: 'c', lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } },
        ],
      },
    };
    const t = trimPod(full as never) as Pod;
    expect(t).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'test', uid: 'u1', resourceVersion: '7', labels: { app: 'podinfo' } },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [oom],
      },
    });
    expect(JSON.stringify(t)).not.toContain('s3cr3t');
    expect(podProblems(t).map((p) => p.reason)).toEqual(['OOMKilled']);
  });
});
