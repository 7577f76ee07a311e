import type { Canary } from '../api/types.js';
import type { PodProblem } from '../core/pods.js';
import type { TrackedConfigs } from './config-tracker.js';

export type Readiness = { ready: true } | { ready: false; reason: string; fatal: boolean };

export interface ServicePort {
  name: string;
  port: number;
  targetPort: number | string;
  protocol: string;
  appProtocol?: string;
}

/** What the routers need to know about a target workload. */
export interface TargetInfo {
  name: string;
  primaryName: string;
  /** Label used to tell primary pods (value-primary) from canary pods (value). */
  selectorLabel: string;
  selectorValue: string;
  /** Revision of the target's pod template. */
  revision: string;
  /** Container ports other than the main one, when service.portDiscovery is on. */
  extraPorts: ServicePort[];
  /** Tracked ConfigMaps and Secrets (empty when config tracking is off). */
  configs: TrackedConfigs;
  /** In-place targets: the generated Services' selectors (apex: every pod; primary, canary: by revision label). */
  podSelectors?: Record<'apex' | 'primary' | 'canary', Record<string, string>>;
  /** In-place targets: the StatefulSet's stable (current) and update revisions, ControllerRevision names. */
  controllerRevisions?: { current: string; update: string };
}

/**
 * How a target releases. primary-copy: the stable revision runs in a `<name>-primary` copy and the target is the
 * canary (Deployment, DaemonSet). in-place: one workload runs both revisions, its pods moved from one to the other
 * (StatefulSet: the partition), so there is no primary copy and a rollback puts the old template back.
 */
type TargetModel = 'primary-copy' | 'in-place';

export class TargetError extends Error {
  constructor(
    readonly reason: 'TargetNotFound' | 'TargetInvalid',
    message: string,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}

/** A kind of workload that can be released progressively (Deployment now; DaemonSet later). */
export interface Target {
  readonly kind: string;
  readonly model: TargetModel;
  /**
   * The routers send traffic to the -primary and -canary Services the operator generates (and the apex selects the
   * primary's pods). False: the target routes between its own revisions (Knative), no Service is generated.
   */
  readonly routesThroughServices: boolean;
  /**
   * Reads the target (and its tracked configs) from the caches, and the content of a tracked Secret that changed
   * with a GET ended by `signal`; throws TargetError when the target is missing or unusable.
   */
  describe(canary: Canary, signal: AbortSignal): Promise<TargetInfo>;
  /** Creates the primary copy when it does not exist yet. */
  ensurePrimary(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<void>;
  /** Copies the target's pod template (revision info.revision) to the primary. */
  promote(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<void>;
  /** Revision the primary runs (stamped on its pod template). */
  primaryRevision(canary: Canary): string | undefined;
  primaryReadiness(canary: Canary, thresholdPct: number): Readiness;
  canaryReadiness(canary: Canary, thresholdPct: number): Readiness;
  /**
   * Why the pods of the canary (the target) or of the primary do not serve, worst first (core/pods.ts), from the
   * Pods cache; empty when every pod serves.
   */
  podProblems(canary: Canary, of: 'canary' | 'primary'): PodProblem[];
  /** Whether the target runs (is not scaled to zero): the canary of a release in progress. */
  canaryRunning(canary: Canary): boolean;
  /** Scales the target up for a run (to the primary's size) or down to zero; a no-op when already there. */
  scaleCanary(canary: Canary, up: boolean, signal: AbortSignal): Promise<void>;
  /** Keeps the -primary autoscaler in step with the user's, outside a run. */
  syncAutoscaler(canary: Canary, signal: AbortSignal): Promise<void>;
  /**
   * In-place targets, after a rollback (status.restoring): one step of putting the promoted revision back (its
   * template, then its pods); done once every pod runs it again, or when someone changed the template since.
   */
  restore?(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<{ done: boolean; detail: string }>;
  /**
   * Kinds with replicas (replica-ratio releases, core/replica-ratio.ts): sizes the target and the primary for a
   * canary weight, the primary's full size recorded on it while it is scaled down and restored at weight 0.
   */
  scaleToWeight?(canary: Canary, weight: number, phase: { running: boolean; promoting: boolean }, signal: AbortSignal): Promise<void>;
  /** Replica-ratio releases: the canary's share of the ready pods of both workloads, as a percentage. */
  readyShare?(canary: Canary): number;
}
