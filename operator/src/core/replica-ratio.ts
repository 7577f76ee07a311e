/**
 * Replica-ratio releases (provider kubernetes, no mesh): the apex Service selects the pods of both the primary
 * and the canary, so the canary's share of traffic is its share of ready pods. These pure functions decide the
 * two Deployments' sizes for a requested weight, and read the effective weight back from ready replicas.
 */

/** Replica bounds of one side (its autoscaler's minReplicas and maxReplicas); absent: unbounded. */
export interface ReplicaBounds {
  min?: number;
  max?: number;
}

export interface RatioInput {
  /** The canary weight the release asks for (status.canaryWeight), 0 to 100. */
  weight: number;
  /** The primary's full size: what it ran before the release scaled it down, restored when the release ends. */
  total: number;
  /**
   * A run is on (status phase Progressing, WaitingPromotion or Promoting): at weight 0 (before the first step) the
   * canary runs one pod, which the apex Service does not select yet, for the readiness check and pre-rollout hooks.
   */
  running: boolean;
  /** Promoting: the primary runs the analysed revision and goes back to its full size; the canary keeps its share. */
  promoting: boolean;
  /** The primary's autoscaler bounds (its -primary HPA or ScaledObject). */
  primary?: ReplicaBounds;
  /** The canary's autoscaler bounds (the user's HPA or ScaledObject, which scales the target). */
  canary?: ReplicaBounds;
}

export interface RatioPlan {
  canary: number;
  primary: number;
}

const clamp = (n: number, b: ReplicaBounds | undefined, floor: number): number =>
  Math.max(floor, b?.min ?? 0, Math.min(n, b?.max ?? Number.POSITIVE_INFINITY));

/**
 * The sizes for a weight. Weight 0: the primary at its full size, the canary at zero (one pod while a run is on).
 * Otherwise the canary runs
 * round(total * weight / 100) pods, at least one (a weight with no pod measures nothing), and the primary the rest,
 * never fewer than one pod (its minimum availability: a canary never takes all traffic off the primary) nor outside
 * its autoscaler's bounds; the canary stays within its own autoscaler's bounds, which would otherwise undo the
 * ratio. When a floor applies, the total grows by what the floor adds. Promoting: the primary is back at full size.
 */
export function ratioPlan(i: RatioInput): RatioPlan {
  const total = Math.max(1, Math.floor(i.total));
  const weight = Math.min(100, Math.max(0, i.weight));
  if (weight === 0) return { canary: i.running ? clamp(1, i.canary, 1) : 0, primary: clamp(total, i.primary, 1) };
  const canary = clamp(Math.round((total * weight) / 100), i.canary, 1);
  const primary = clamp(i.promoting ? total : total - canary, i.primary, 1);
  return { canary, primary };
}

/** The canary's share of the ready pods behind the apex Service, as a percentage; 0 when none is ready. */
export function effectiveWeight(canaryReady: number, primaryReady: number): number {
  const all = Math.max(0, canaryReady) + Math.max(0, primaryReady);
  return all === 0 ? 0 : Math.round((100 * Math.max(0, canaryReady)) / all);
}
