import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import { canaryWeightOf, type RouteReader } from './route-readers.js';

export interface Sample {
  at: number;
  phase: string;
  weight: number;
  failedChecks: number;
  detail?: string;
  checks: string;
}

type MeshObject = KubeObject & { spec?: Record<string, unknown> };

/**
 * Watches one namespace's Canary and its routing object on the API server and records every phase and
 * every canary weight the routing object carried, in order: the timeline a test asserts on.
 */
export class Timeline {
  readonly phases: Sample[] = [];
  readonly routeWeights: number[] = [];
  private readonly canaries: Informer<Canary>;
  private readonly routes: Informer<MeshObject> | undefined;
  private readonly listeners: ((s: Sample) => void)[] = [];

  /** reader: the routing object to follow; none for the kubernetes provider. */
  constructor(
    client: KubeClient,
    readonly namespace: string,
    readonly name: string,
    private readonly reader: RouteReader | undefined = { resource: Resources.virtualServices, kind: 'istio' },
  ) {
    const logger = createLogger('warn', 'e2e-observer');
    const informer = <T extends KubeObject>(resource: ResourceType): Informer<T> =>
      new Informer<T>({ client, resource, namespaces: [namespace], logger });
    this.canaries = informer<Canary>(Resources.canaries);
    this.routes = reader && informer<MeshObject>(reader.resource);
    this.canaries.on('add', (c) => this.onCanary(c)).on('update', (c) => this.onCanary(c));
    this.routes?.on('add', (v) => this.onRoute(v)).on('update', (v, old) => this.onRoute(v, old));
    // Emissary's clone is deleted when the canary has no traffic: its deletion is weight 0.
    if (reader?.kind === 'emissary') this.routes?.on('delete', (v) => this.onRouteGone(v));
  }

  async start(): Promise<void> {
    await Promise.all([this.canaries.start(), this.routes?.start()]);
  }

  stop(): void {
    this.canaries.stop();
    this.routes?.stop();
  }

  onSample(fn: (s: Sample) => void): void {
    this.listeners.push(fn);
  }

  get canary(): Canary | undefined {
    return this.canaries.get(this.namespace, this.name);
  }

  /** Distinct consecutive phases seen. */
  phaseSequence(): string[] {
    return this.phases.map((p) => p.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);
  }

  /** Resolves when the Canary reaches the phase; rejects after timeoutMs with the timeline so far. */
  async waitForPhase(phase: string, timeoutMs: number, sinceIndex = 0): Promise<Sample> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.phases.slice(sinceIndex).find((s) => s.phase === phase);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `timed out waiting for phase ${phase}; phases: ${this.phaseSequence().join(' > ')}; weights: ${this.routeWeights.join(',')}; last: ${JSON.stringify(this.canary?.status)}`,
    );
  }

  private onCanary(c: Canary): void {
    if (c.metadata.name !== this.name) return;
    const s = c.status ?? {};
    const sample: Sample = {
      at: Date.now(),
      phase: s.phase ?? '',
      weight: s.canaryWeight ?? 0,
      failedChecks: s.failedChecks ?? 0,
      detail: s.conditions?.find((x) => x.type === 'Ready')?.message,
      checks: (s.lastChecks ?? [])
        .map((k) => `${k.name}=${k.value === undefined ? k.reason : Number(k.value.toFixed(2))}${k.ok ? '' : '(FAIL)'}`)
        .join(' '),
    };
    const last = this.phases[this.phases.length - 1];
    if (
      last &&
      last.phase === sample.phase &&
      last.weight === sample.weight &&
      last.failedChecks === sample.failedChecks &&
      last.detail === sample.detail &&
      last.checks === sample.checks
    )
      return;
    this.phases.push(sample);
    for (const l of this.listeners) l(sample);
  }

  private onRoute(v: MeshObject, old?: MeshObject): void {
    if (!this.reader) return;
    const w = canaryWeightOf(this.reader, v, this.apex());
    if (w === undefined) return;
    const before = old ? canaryWeightOf(this.reader, old, this.apex()) : undefined;
    if (this.routeWeights.length === 0 || w !== before) this.routeWeights.push(w);
  }

  private onRouteGone(v: MeshObject): void {
    if (canaryWeightOf(this.reader!, v, this.apex()) === undefined) return;
    if (this.routeWeights[this.routeWeights.length - 1] !== 0) this.routeWeights.push(0);
  }

  private apex(): string {
    return this.canary?.spec.service?.name || this.canary?.spec.targetRef.name || this.name;
  }
}
