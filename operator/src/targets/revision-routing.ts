import type { CanaryAnalysis, Phase } from '../api/types.js';
import { runStepWeights } from '../core/analysis.js';
import { REVISION_LABEL } from './partition.js';

/**
 * An in-place target (a StatefulSet) routed by a mesh, as pure decisions. The provider's router sends each side's
 * share to the -primary and -canary Services (capability routesByService), which select pods by
 * controller-revision-hash: the weight is the mesh's, not the share of pods on the new revision. So the partition is
 * lowered once, at the start of the run, to give the new revision enough pods for the highest weight, and stays
 * there while the weights move; promotion widens -primary to every pod before the partition goes to 0, so -primary
 * never loses its endpoints while it still takes traffic.
 */

/** How an in-place target's traffic is split: by its pods behind the apex Service, or by a mesh's weights. */
export type RevisionRouting = { by: 'pods' } | { by: 'mesh'; maxWeight: number };

/**
 * The highest canary weight of a run: maxWeight (100 when unset) with stepWeight, else the highest of steps or
 * stepWeights (as core/analysis.ts resolves them), else maxWeight. Reads no duration, so it cannot throw.
 */
export function runMaxWeight(a: CanaryAnalysis): number {
  const steps = runStepWeights(a);
  return steps.length > 0 ? Math.min(100, Math.max(...steps)) : a.maxWeight || 100;
}

/**
 * The pods that run the new revision during a mesh-routed run: enough to serve the highest weight,
 * ceil(replicas x maxWeight / 100), at least 1 and at most replicas - 1 (the primary keeps a pod).
 */
export function meshCanaryPods(replicas: number, maxWeight: number): number {
  const wanted = Math.ceil((replicas * Math.min(100, Math.max(0, maxWeight))) / 100);
  return Math.max(1, Math.min(replicas - 1, wanted));
}

/** Why a StatefulSet cannot be routed by a mesh; undefined when it can. */
export function meshRefusal(name: string, replicas: number): string | undefined {
  if (replicas >= 2) return undefined;
  return (
    `StatefulSet ${name} has ${replicas} replica(s): routed by a mesh, each revision needs a pod of its own while both ` +
    'take traffic; give it at least 2 replicas, or use provider kubernetes'
  );
}

/** The selectors of the generated Services of an in-place target. */
export type RevisionSelectors = Record<'apex' | 'primary' | 'canary', Record<string, string>>;

/**
 * What the apex, -primary and -canary Services select. By pods: the apex selects every pod (the share on the new
 * revision is the weight); -primary the current revision, -canary the update one. By a mesh: the apex selects what
 * -primary does (traffic that bypasses the mesh goes to the stable side), and while Promoting -primary selects every
 * pod, so it keeps endpoints as the old pods are replaced; once promoted the current revision is the new one.
 */
export function revisionSelectors(
  all: Record<string, string>,
  revisions: { current: string; update: string },
  phase: Phase | undefined,
  by: RevisionRouting['by'],
): RevisionSelectors {
  const canary = { ...all, [REVISION_LABEL]: revisions.update };
  if (by === 'pods') return { apex: all, primary: { ...all, [REVISION_LABEL]: revisions.current }, canary };
  const primary = phase === 'Promoting' ? all : { ...all, [REVISION_LABEL]: revisions.current };
  return { apex: primary, primary, canary };
}

/** Whether a live -primary selector selects every pod (no revision label): the partition may then go to 0. */
export const selectsEveryRevision = (selector: Record<string, string> | undefined): boolean =>
  selector !== undefined && !(REVISION_LABEL in selector);
