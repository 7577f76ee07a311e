import type { CanaryStatus, Condition, KubeObject } from '../api/types.js';
import type { Readiness } from './target.js';

/** One entry of a Knative Service's spec.traffic (serving.knative.dev/v1 TrafficTarget). */
export interface KnativeTrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
  configurationName?: string;
}

/** The fields of a Knative Service (serving.knative.dev/v1) the operator reads and writes. */
export interface KnativeService extends KubeObject {
  spec?: { template?: unknown; traffic?: KnativeTrafficTarget[] };
  status?: {
    latestCreatedRevisionName?: string;
    latestReadyRevisionName?: string;
    conditions?: Condition[];
  };
}

/** The fields of a Knative Revision the operator reads. */
export interface KnativeRevision extends KubeObject {
  status?: { conditions?: Condition[] };
}

/** The key of a Knative Service target in the targets' table (targetKeyOf of a serving.knative.dev/v1 Service). */
export const KNATIVE_SERVICE_KEY = 'Service.serving.knative.dev';

/** The label Knative puts on a Revision's pods (and the Revision on its Service's name: serving.knative.dev/service). */
export const REVISION_LABEL = 'serving.knative.dev/revision';
export const SERVICE_LABEL = 'serving.knative.dev/service';

/** The phases in which the analysed revision has been promoted: it serves the primary's share. */
const PROMOTED_PHASES: ReadonlySet<string> = new Set(['Promoting', 'Finalising']);

/**
 * The Revision that serves the primary's share, from the Canary's status alone (so a restarted operator resumes):
 * the revision last promoted; while the analysed one is being promoted (Promoting, Finalising), that one; before
 * the first promotion is recorded (initialization), the latest created revision.
 */
export function primaryRevisionOf(status: CanaryStatus | undefined, latest: string): string {
  if (status?.phase && PROMOTED_PHASES.has(status.phase) && status.lastAppliedSpec) return status.lastAppliedSpec;
  return status?.lastPromotedSpec || latest;
}

/**
 * The Revision the canary's share goes to, from the Canary's status: the one under analysis (or last analysed: at
 * rest its share is 0); before the first is recorded (initialization), the latest created revision.
 */
export const canaryRevisionOf = (status: CanaryStatus | undefined, latest: string): string => status?.lastAppliedSpec || latest;

/** The revision under analysis: the latest one Knative created (undefined before it created any). */
export const latestRevisionOf = (svc: KnativeService | undefined): string | undefined =>
  svc?.status?.latestCreatedRevisionName || undefined;

/**
 * Whether a Revision serves, from its Ready condition; without the Revision object, from the Service's
 * latestReadyRevisionName. A Revision Knative reports as failed (Ready False) is not fatal at once: Knative keeps
 * trying, and the progress deadline ends the wait.
 */
export function revisionReadiness(name: string, revision: KnativeRevision | undefined, svc: KnativeService | undefined): Readiness {
  if (!revision) {
    if (svc?.status?.latestReadyRevisionName === name) return { ready: true };
    return { ready: false, reason: `revision ${name} not found`, fatal: false };
  }
  const ready = revision.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { ready: true };
  const why = [ready?.reason, ready?.message].filter(Boolean).join(': ');
  if (ready?.status === 'False') return { ready: false, reason: `revision ${name} failed${why ? ` (${why})` : ''}`, fatal: false };
  return { ready: false, reason: `revision ${name} is not ready yet${why ? ` (${why})` : ''}`, fatal: false };
}
