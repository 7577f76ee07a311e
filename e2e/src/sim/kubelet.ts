import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { isNotFound } from '@tollgate/operator/kube/errors';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { WorkQueue } from '@tollgate/operator/kube/work-queue';
import type { Logger } from '@tollgate/operator/util/log';
import type { Container, PodSpec } from '@tollgate/operator/api/k8s';
import type { KubeObject } from '@tollgate/operator/api/types';

export const NODE_NAME = 'tollgate-sim-node';
export const ENDPOINT_ANNOTATION = 'sim.tollgate.dev/endpoint';

export interface Pod extends KubeObject {
  spec: PodSpec & { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string }[];
    podIP?: string;
    containerStatuses?: { state?: { waiting?: { reason?: string } } }[];
  };
}

/**
 * What a container env SIM_FAIL makes of a pod, as a kubelet or scheduler would report it: a crash loop (exit 1),
 * a crash loop after OOM kills (exit 137), an image that cannot be pulled (no app runs for any of these), or no
 * node with room (never bound).
 */
export const SIM_FAILURES = ['CrashLoopBackOff', 'OOMKilled', 'ImagePullBackOff', 'Unschedulable'] as const;
type SimFailure = (typeof SIM_FAILURES)[number];

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sample-app.js');

/**
 * Plays the kubelet for a control plane that has none (this is test infrastructure): binds pending pods
 * to one simulated node, runs the sample app as a real process for each pod that declares a container
 * port, reports the pod Running and Ready, and completes deletions. A container env SIM_READY=false keeps
 * the pod un-ready (running, its readiness failing), and SIM_FAIL (SIM_FAILURES) makes it fail as a kubelet or
 * scheduler reports it, so tests can release a canary that never becomes ready.
 */
export class SimulatedKubelet {
  private readonly pods: Informer<Pod>;
  private readonly queue: WorkQueue;
  private readonly apps = new Map<string, { child: ChildProcess; port: number }>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly runApps: boolean,
  ) {
    this.pods = new Informer<Pod>({ client, resource: Resources.pods, logger: log });
    this.queue = new WorkQueue({
      workers: 8,
      handler: (key) => this.sync(key),
      onError: (key, err, retryInMs) => log.debug({ pod: key, err: String(err), retryInMs }, 'pod sync failed'),
      backoff: { initialMs: 200, maxMs: 5000 },
    });
    const enqueue = (p: Pod): void => this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    this.pods.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
  }

  async start(): Promise<void> {
    await this.ensureNode();
    this.queue.start();
    await this.pods.start();
  }

  async stop(): Promise<void> {
    this.pods.stop();
    await this.queue.shutdown();
    for (const app of this.apps.values()) app.child.kill();
  }

  private async ensureNode(): Promise<void> {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME } },
      status: {
        capacity: { cpu: '64', memory: '256Gi', pods: '10000' },
        allocatable: { cpu: '64', memory: '256Gi', pods: '10000' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated' }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      },
    };
    try {
      await this.client.create(Resources.nodes, node as KubeObject);
    } catch (err) {
      if (!String(err).includes('AlreadyExists')) throw err;
    }
    // The API server drops status on create: capacity and readiness go through the status subresource, or the
    // DaemonSet controller finds no node with room for a pod.
    await this.client.patch(Resources.nodes, undefined, NODE_NAME, { status: node.status }, { subresource: 'status' });
    // The API server taints a new node not-ready; the node lifecycle controller (off here) would lift it.
    await this.client.patch(Resources.nodes, undefined, NODE_NAME, { spec: { taints: null } });
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const pod = this.pods.get(ns, name);
    if (!pod) return this.stopApp(key);
    if (pod.metadata.deletionTimestamp) return this.remove(pod, key);
    const failure = simFailure(pod.spec);
    if (failure === 'Unschedulable') return this.setStatus(pod, unschedulableStatus());
    if (!pod.spec.nodeName) return this.bind(pod);
    if (pod.spec.nodeName !== NODE_NAME) return;
    if (failure) return this.setStatus(pod, failedStatus(failure, main(pod.spec)));
    const wantReady = !main(pod.spec).env?.some((e) => e.name === 'SIM_READY' && e.value === 'false');
    const endpoint = await this.ensureApp(pod, key);
    if (endpoint && pod.metadata.annotations?.[ENDPOINT_ANNOTATION] !== endpoint) {
      await this.client.patch(Resources.pods, ns, name, { metadata: { annotations: { [ENDPOINT_ANNOTATION]: endpoint } } });
    }
    await this.setStatus(pod, runningStatus(wantReady, main(pod.spec).name));
  }

  /** Writes the pod's status through the status subresource, unless it already reads so. */
  private async setStatus(pod: Pod, status: Record<string, unknown>): Promise<void> {
    if (statusKey(pod.status) === statusKey(status as Pod['status'])) return;
    await this.client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { status }, { subresource: 'status' });
  }

  private async bind(pod: Pod): Promise<void> {
    const { namespace, name } = pod.metadata;
    await this.client.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
      body: {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace },
        target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
      },
    });
  }

  private async remove(pod: Pod, key: string): Promise<void> {
    this.stopApp(key);
    try {
      await this.client.delete(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async ensureApp(pod: Pod, key: string): Promise<string | undefined> {
    if (!this.runApps || !main(pod.spec).ports?.length) return undefined;
    const running = this.apps.get(key);
    if (running) return `127.0.0.1:${running.port}`;
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, POD_NAME: pod.metadata.name, PORT: '0' };
    for (const e of main(pod.spec).env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const child = fork(APP, [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`sample app for ${key} exited with ${code}`)));
    });
    this.apps.set(key, { child, port });
    return `127.0.0.1:${port}`;
  }

  private stopApp(key: string): void {
    this.apps.get(key)?.child.kill();
    this.apps.delete(key);
  }
}

const main = (spec: PodSpec): Container => spec.containers[0]!;

const simFailure = (spec: PodSpec): SimFailure | undefined => {
  const v = main(spec).env?.find((e) => e.name === 'SIM_FAIL')?.value;
  return SIM_FAILURES.find((f) => f === v);
};

/** Phase, readiness and the first container's waiting reason: what tells whether a status must be written. */
const statusKey = (st: Pod['status']): string =>
  [
    st?.phase,
    st?.conditions?.find((c) => c.type === 'Ready')?.status,
    st?.conditions?.find((c) => c.type === 'PodScheduled')?.reason,
    st?.containerStatuses?.[0]?.state?.waiting?.reason,
  ].join('|');

const cond = (type: string, status: boolean, now: string, reason?: string, message?: string): Record<string, string> => ({
  type,
  status: status ? 'True' : 'False',
  lastTransitionTime: now,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

function runningStatus(ready: boolean, container: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    phase: 'Running',
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    hostIP: '127.0.0.1',
    startTime: now,
    conditions: [
      cond('PodScheduled', true, now),
      cond('Initialized', true, now),
      cond('ContainersReady', ready, now),
      cond('Ready', ready, now),
    ],
    containerStatuses: [
      { name: container, ready, restartCount: 0, image: 'sim', imageID: '', started: true, state: { running: { startedAt: now } } },
    ],
  };
}

/** As the scheduler reports a pod that no node has room for. */
function unschedulableStatus(): Record<string, unknown> {
  const now = new Date().toISOString();
  const message =
    '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
  return { phase: 'Pending', conditions: [cond('PodScheduled', false, now, 'Unschedulable', message)] };
}

/** As the kubelet reports a container that crashes, is OOM-killed, or whose image cannot be pulled. */
function failedStatus(failure: Exclude<SimFailure, 'Unschedulable'>, c: Container): Record<string, unknown> {
  const now = new Date().toISOString();
  const pulling = failure === 'ImagePullBackOff';
  const waiting = pulling
    ? { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image ?? ''}"` }
    : { reason: 'CrashLoopBackOff', message: `back-off 40s restarting failed container=${c.name}` };
  const exit = failure === 'OOMKilled' ? { reason: 'OOMKilled', exitCode: 137 } : { reason: 'Error', exitCode: 1 };
  const conditions = [
    cond('PodScheduled', true, now),
    cond('Initialized', true, now),
    cond('ContainersReady', false, now, 'ContainersNotReady'),
    cond('Ready', false, now, 'ContainersNotReady'),
  ];
  return {
    phase: pulling ? 'Pending' : 'Running',
    hostIP: '127.0.0.1',
    startTime: now,
    conditions,
    containerStatuses: [
      {
        name: c.name,
        ready: false,
        restartCount: pulling ? 0 : 4,
        image: c.image ?? '',
        imageID: '',
        started: false,
        state: { waiting },
        ...(pulling ? {} : { lastState: { terminated: { ...exit, startedAt: now, finishedAt: now } } }),
      },
    ],
  };
}
