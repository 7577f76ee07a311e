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
  status?: { phase?: string; conditions?: { type: string; status: string }[]; podIP?: string };
}

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sample-app.js');

/**
 * Plays the kubelet for a control plane that has none (this is test infrastructure): binds pending pods
 * to one simulated node, runs the sample app as a real process for each pod that declares a container
 * port, reports the pod Running and Ready, and completes deletions. A container env SIM_READY=false keeps
 * the pod un-ready, so tests can release a canary that never becomes ready.
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
    if (!pod.spec.nodeName) return this.bind(pod);
    if (pod.spec.nodeName !== NODE_NAME) return;
    const wantReady = !main(pod.spec).env?.some((e) => e.name === 'SIM_READY' && e.value === 'false');
    const endpoint = await this.ensureApp(pod, key);
    if (endpoint && pod.metadata.annotations?.[ENDPOINT_ANNOTATION] !== endpoint) {
      await this.client.patch(Resources.pods, ns, name, { metadata: { annotations: { [ENDPOINT_ANNOTATION]: endpoint } } });
    }
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (pod.status?.phase === 'Running' && ready === wantReady) return;
    await this.client.patch(Resources.pods, ns, name, { status: runningStatus(wantReady) }, { subresource: 'status' });
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

function runningStatus(ready: boolean): Record<string, unknown> {
  const now = new Date().toISOString();
  const cond = (type: string, status: boolean): Record<string, string> => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: now,
  });
  return {
    phase: 'Running',
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    hostIP: '127.0.0.1',
    startTime: now,
    conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
  };
}
