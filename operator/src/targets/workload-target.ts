import { ANNOTATIONS, primaryName } from '@tollgate/contract/metadata';
import type { Pod, Workload } from '../api/k8s.js';
import { problemsOfPods, selectorMatches, type PodProblem } from '../core/pods.js';
import type { Canary, OwnerReference } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { ownersAfterTakeover } from '../kube/takeover.js';
import type { Lister } from '../kube/informer.js';
import type { Autoscaler } from './autoscaler.js';
import { refKey } from './config-refs.js';
import type { ConfigTracker } from './config-tracker.js';
import { discoveredPorts, primaryTemplateOf, primaryWorkloadOf, selectorLabelOf, templateRevision } from './deployment-spec.js';
import { TargetError, type Readiness, type Target, type TargetInfo } from './target.js';
import { fullReplicasOf, type WorkloadKind } from './workload-kinds.js';
import { effectiveWeight, ratioPlan } from '../core/replica-ratio.js';

export interface WorkloadTargetDeps<W extends Workload> {
  client: KubeClient;
  workloads: Lister<W>;
  selectorLabels: readonly string[];
  ownerRef: (canary: Canary) => OwnerReference;
  fieldManager: string;
  /** Absent when config tracking is off. */
  configs?: ConfigTracker;
  /** The Pods cache (metadata and status, see kube/pods.ts). */
  pods: Lister<Pod>;
  /** Deployments only: the -primary HorizontalPodAutoscaler or KEDA ScaledObject. */
  autoscaler?: Autoscaler;
}

/** Releases a workload (Deployment, DaemonSet): the target is the canary, `<name>-primary` serves stable traffic. */
export class WorkloadTarget<W extends Workload> implements Target {
  readonly kind: string;
  readonly routesThroughServices = true;
  readonly model = 'primary-copy';

  constructor(
    private readonly k: WorkloadKind<W>,
    private readonly deps: WorkloadTargetDeps<W>,
  ) {
    this.kind = k.kind;
  }

  private target(canary: Canary): W {
    const w = this.deps.workloads.get(canary.metadata.namespace, canary.spec.targetRef.name);
    if (!w) throw new TargetError('TargetNotFound', `${this.kind} ${canary.metadata.namespace}/${canary.spec.targetRef.name} not found`);
    return w;
  }

  private primary(canary: Canary): W | undefined {
    return this.deps.workloads.get(canary.metadata.namespace, primaryName(canary.spec.targetRef.name));
  }

  async describe(canary: Canary, signal: AbortSignal): Promise<TargetInfo> {
    const w = this.target(canary);
    const sel = selectorLabelOf(w, this.deps.selectorLabels);
    const template = this.k.revisionTemplate(w);
    const configs = this.deps.configs
      ? await this.deps.configs.describe(canary.metadata.namespace!, template.spec, signal)
      : { refs: [], checksums: {} };
    return {
      name: w.metadata.name!,
      primaryName: primaryName(w.metadata.name!),
      selectorLabel: sel.key,
      selectorValue: sel.value,
      revision: templateRevision(template, configs.checksums),
      configs,
      extraPorts: canary.spec.service?.portDiscovery ? discoveredPorts(w, canary.spec.service) : [],
    };
  }

  private primaryTemplate(w: W, info: TargetInfo): W['spec']['template'] {
    const tracked = new Set(info.configs.refs.map(refKey));
    return primaryTemplateOf(this.k.revisionTemplate(w), { key: info.selectorLabel, value: info.selectorValue }, info.revision, tracked);
  }

  async ensurePrimary(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<void> {
    const existing = this.primary(canary);
    if (existing) await this.takeOver(canary, info, existing, signal);
    await this.deps.autoscaler?.ensurePrimary(canary, signal);
    if (existing) return;
    const w = this.target(canary);
    await this.deps.configs?.promote(canary, info.configs, this.deps.ownerRef(canary), signal);
    const primary = primaryWorkloadOf(
      this.kind,
      w,
      canary,
      { key: info.selectorLabel, value: info.selectorValue },
      this.deps.ownerRef(canary),
      this.primaryTemplate(w, info),
      this.k.primarySpec(w),
    );
    await this.deps.client.create(this.k.resource, primary, signal);
  }

  /**
   * A primary a flagger.app Canary controls (and its config copies) moves to this Canary when it names that Canary
   * in its takeover annotation (kube/takeover.ts): only the ownerReferences change, never the pod template, so no
   * pod restarts. Refused (TakeoverRefused) otherwise.
   */
  private async takeOver(canary: Canary, info: TargetInfo, primary: W, signal: AbortSignal): Promise<void> {
    const owners = ownersAfterTakeover(primary.metadata, canary, this.deps.ownerRef(canary), `${this.kind} ${info.primaryName}`);
    if (owners) {
      const patch = { metadata: { resourceVersion: primary.metadata.resourceVersion, ownerReferences: owners } };
      await this.deps.client.patch(this.k.resource, primary.metadata.namespace, primary.metadata.name!, patch, {
        type: 'merge',
        signal,
        fieldManager: this.deps.fieldManager,
      });
    }
    await this.deps.configs?.takeOver(canary, info.configs, this.deps.ownerRef(canary), signal);
  }

  async promote(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<void> {
    const w = this.target(canary);
    const primary = this.primary(canary);
    if (!primary) throw new TargetError('TargetNotFound', `primary ${this.kind} ${info.primaryName} not found`);
    await this.deps.configs?.promote(canary, info.configs, this.deps.ownerRef(canary), signal);
    await this.deps.autoscaler?.ensurePrimary(canary, signal);
    // A replica-ratio release promotes to the primary's full size (the canary keeps its pods until Finalising).
    const replicas = fullReplicasOf(primary) ?? this.k.promotedReplicas?.(w, primary, Boolean(this.deps.autoscaler?.applies(canary)));
    // A replace of the object read (its resourceVersion): the template is replaced whole, and only on the object
    // we read; a change in between is a 409 (a JSON patch's failed test is a 422 on 1.20, like an invalid object).
    const body = {
      ...primary,
      spec: { ...primary.spec, template: this.primaryTemplate(w, info), ...(replicas !== undefined ? { replicas } : {}) },
    };
    await this.deps.client.replace<W>(this.k.resource, body, signal);
  }

  primaryRevision(canary: Canary): string | undefined {
    return this.primary(canary)?.spec.template.metadata?.annotations?.[ANNOTATIONS.revision];
  }

  primaryReadiness(canary: Canary, thresholdPct: number): Readiness {
    const p = this.primary(canary);
    if (p && p.spec.replicas === 0) return { ready: false, reason: `${p.metadata.name} is scaled to zero`, fatal: true };
    return this.k.readiness(p, thresholdPct);
  }

  canaryReadiness(canary: Canary, thresholdPct: number): Readiness {
    return this.k.readiness(this.target(canary), thresholdPct);
  }

  podProblems(canary: Canary, of: 'canary' | 'primary'): PodProblem[] {
    const w = of === 'canary' ? this.target(canary) : this.primary(canary);
    if (!w) return [];
    const pods = this.deps.pods.list(canary.metadata.namespace);
    return problemsOfPods(pods.filter((p) => selectorMatches(w.spec.selector, p.metadata.labels)));
  }

  canaryRunning(canary: Canary): boolean {
    return this.k.scalePatch(this.target(canary), true, this.primary(canary)) === undefined;
  }

  // The user's autoscaler is let go before the target scales up, and held before it scales down (KEDA).
  async scaleCanary(canary: Canary, up: boolean, signal: AbortSignal): Promise<void> {
    const w = this.target(canary);
    if (up) await this.deps.autoscaler?.hold(canary, false, signal);
    await this.write(w, this.k.scalePatch(w, up, this.primary(canary)), signal);
    if (!up) await this.deps.autoscaler?.hold(canary, true, signal);
  }

  syncAutoscaler(canary: Canary, signal: AbortSignal): Promise<void> {
    return this.deps.autoscaler?.ensurePrimary(canary, signal) ?? Promise.resolve();
  }

  async scaleToWeight(canary: Canary, weight: number, phase: { running: boolean; promoting: boolean }, signal: AbortSignal): Promise<void> {
    const ratioPatch = this.k.ratioPatch?.bind(this.k);
    const primary = this.primary(canary);
    const recorded = fullReplicasOf(primary);
    if (!ratioPatch || !primary || (weight === 0 && !phase.running && recorded === undefined))
      return this.scaleCanary(canary, weight > 0 || phase.running, signal);
    const w = this.target(canary);
    const total = recorded ?? primary.spec.replicas ?? 1;
    const bounds = (await this.deps.autoscaler?.bounds(canary)) ?? {};
    const plan = ratioPlan({ weight, total, ...phase, ...bounds });
    const pool = selectorLabelOf(w, this.deps.selectorLabels).value;
    await this.write(
      primary,
      ratioPatch(primary, plan.primary, pool, { [ANNOTATIONS.fullReplicas]: weight > 0 ? String(total) : null }),
      signal,
    );
    if (plan.canary > 0) await this.deps.autoscaler?.hold(canary, false, signal);
    await this.write(w, ratioPatch(w, plan.canary, pool, {}), signal);
    if (plan.canary === 0) await this.deps.autoscaler?.hold(canary, true, signal);
  }

  readyShare(canary: Canary): number {
    const ready = (w: W | undefined): number => (w?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
    return effectiveWeight(ready(this.target(canary)), ready(this.primary(canary)));
  }

  private async write(w: W, patch: unknown, signal: AbortSignal): Promise<void> {
    if (patch === undefined) return;
    await this.deps.client.patch(this.k.resource, w.metadata.namespace, w.metadata.name!, patch, {
      signal,
      fieldManager: this.deps.fieldManager,
      replaces: w.metadata.resourceVersion,
    });
  }
}
