import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import { createLogger } from '@tollgate/operator/util/log';
import type { KubeObject } from '@tollgate/operator/api/types';

type Json = Record<string, unknown>;

export interface Sample { at: number; phase: string; weight: number; failedChecks: number; detail?: string; checks: string }

/**
 * Watches one namespace's Canary and VirtualService on the API server and records every phase and every
 * canary weight the VirtualService carried, in order: the timeline a test asserts on.
 */
export class Timeline {
  readonly phases: Sample[] = [];
  readonly routeWeights: number[] = [];
  readonly routeWrites: number[] = [];
  private readonly canaries: Informer<Canary>;
  private readonly vs: Informer<KubeObject & { spec?: Json }>;
  private readonly listeners: ((s: Sample) => void)[] = [];

  constructor(client: KubeClient, readonly namespace: string, readonly name: string) {
    const logger = createLogger('warn', 'e2e-observer');
    this.canaries = new Informer<Canary>({ client, resource: Resources.canaries, namespaces: [namespace], logger });
    this.vs = new Informer({ client, resource: Resources.virtualServices, namespaces: [namespace], logger });
    this.canaries.on('add', (c) => this.onCanary(c)).on('update', (c) => this.onCanary(c));
    this.vs.on('add', (v) => this.onVs(v)).on('update', (v, old) => this.onVs(v, old));
  }

  async start(): Promise<void> {
    await Promise.all([this.canaries.start(), this.vs.start()]);
  }

  stop(): void {
    this.canaries.stop();
    this.vs.stop();
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
    throw new Error(`timed out waiting for phase ${phase}; phases: ${this.phaseSequence().join(' > ')}; weights: ${this.routeWeights.join(',')}; last: ${JSON.stringify(this.canary?.status)}`);
  }

  private onCanary(c: Canary): void {
    if (c.metadata.name !== this.name) return;
    const s = c.status ?? {};
    const sample: Sample = {
      at: Date.now(), phase: s.phase ?? '', weight: s.canaryWeight ?? 0, failedChecks: s.failedChecks ?? 0,
      detail: s.conditions?.find((x) => x.type === 'Ready')?.message,
      checks: (s.lastChecks ?? []).map((k) => `${k.name}=${k.value === undefined ? k.reason : Number(k.value.toFixed(2))}${k.ok ? '' : '(FAIL)'}`).join(' '),
    };
    const last = this.phases[this.phases.length - 1];
    if (last && last.phase === sample.phase && last.weight === sample.weight && last.failedChecks === sample.failedChecks && last.detail === sample.detail && last.checks === sample.checks) return;
    this.phases.push(sample);
    for (const l of this.listeners) l(sample);
  }

  private onVs(v: KubeObject & { spec?: Json }, old?: KubeObject & { spec?: Json }): void {
    const w = canaryWeightOf(v.spec);
    if (w === undefined) return;
    this.routeWrites.push(w);
    const before = old ? canaryWeightOf(old.spec) : undefined;
    if (this.routeWeights.length === 0 || w !== before) this.routeWeights.push(w);
  }
}

function canaryWeightOf(spec: Json | undefined): number | undefined {
  for (const rule of (spec?.http ?? []) as Json[]) {
    for (const d of (rule.route ?? []) as Json[]) {
      const host = String(((d.destination as Json | undefined)?.host as string | undefined) ?? '');
      if (host.split('.')[0]!.endsWith('-canary')) return Number(d.weight ?? 0);
    }
  }
  return undefined;
}
