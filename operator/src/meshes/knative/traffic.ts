import type { KnativeTrafficTarget } from '../../targets/knative.js';
import { routesOfWeights, type Routes } from '../router.js';

/**
 * The Knative Service's spec.traffic for a split: the primary Revision first, then the canary Revision, each named
 * (not `latestRevision: true`, so a Revision created mid-run gets no traffic before its own analysis starts). Both
 * entries stay when they name the same Revision (idle, promotion): the split then reads back as written.
 */
export const trafficFor = (primary: string, canary: string, routes: Routes): KnativeTrafficTarget[] => [
  { revisionName: primary, percent: routes.primaryWeight },
  { revisionName: canary, percent: routes.canaryWeight },
];

/**
 * The split read back from spec.traffic: the first entry naming the primary Revision, and another naming the
 * canary one (or following the latest Revision, as Flagger writes it). Undefined when either is missing: the
 * block is not one this router wrote.
 */
export function routesOfTraffic(traffic: readonly KnativeTrafficTarget[] | undefined, primary: string, canary: string): Routes | undefined {
  const list = traffic ?? [];
  const p = list.findIndex((t) => t.revisionName === primary && t.latestRevision !== true);
  const c = list.findIndex((t, i) => i !== p && (t.revisionName === canary || (t.latestRevision === true && !t.revisionName)));
  if (p < 0 || c < 0) return undefined;
  return routesOfWeights(list[p]!.percent ?? 0, list[c]!.percent ?? 0);
}
