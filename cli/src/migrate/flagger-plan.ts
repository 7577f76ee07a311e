/**
 * tollgate migrate flagger, without I/O: whether Flagger may still run, whether the Canary can be taken over in
 * its phase, and the manifest of the tollgate.dev Canary that takes it over. The steps and their order are in
 * docs/migrating-from-flagger.md.
 */
import { ANNOTATIONS, API_VERSION } from '@tollgate/contract/metadata';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';

/** The labels Flagger's installs put on its Deployment: the Helm chart's, and the Kustomize base's. */
export const FLAGGER_SELECTORS = ['app.kubernetes.io/name=flagger', 'app=flagger'] as const;

export type Workload = KubeObject & { spec?: { replicas?: number }; status?: { replicas?: number; readyReplicas?: number } };

/** What is known of the Flagger Deployments of the cluster. */
export type FlaggerScan = { forbidden: true } | { forbidden: false; deployments: Workload[] };

export interface FlaggerVerdict {
  /** A Flagger Deployment that runs or may run: the migration must not go on. */
  refuse?: string;
  /** Flagger's state could not be verified: said, and the migration goes on. */
  warn?: string;
  /** What was found, for the plan. */
  info?: string;
}

const where = (d: Workload): string => `${d.metadata.namespace}/${d.metadata.name}`;

/** Whether Flagger is scaled to zero, from the Deployments its labels select. */
export function flaggerVerdict(scan: FlaggerScan): FlaggerVerdict {
  const hint = 'Flagger could still write the same objects; scale it to zero first (kubectl scale deployment --replicas=0)';
  if (scan.forbidden) return { warn: 'cannot list Deployments across namespaces (403 Forbidden): make sure Flagger is scaled to zero' };
  if (scan.deployments.length === 0)
    return { warn: `no Flagger Deployment found (labels ${FLAGGER_SELECTORS.join(' or ')}): make sure Flagger does not run elsewhere` };
  const running = scan.deployments.filter((d) => (d.spec?.replicas ?? 1) > 0 || (d.status?.replicas ?? 0) > 0);
  if (running.length) {
    const list = running.map((d) => `${where(d)} (${d.status?.readyReplicas ?? 0} ready of ${d.spec?.replicas ?? 1})`).join(', ');
    return { refuse: `Flagger runs: ${list}. ${hint}` };
  }
  return { info: `Flagger is scaled to zero: ${scan.deployments.map(where).join(', ')}` };
}

/**
 * Phases taken over: at rest (a promoted revision, all traffic on the primary), or Progressing, which the operator
 * resumes at the weight the routes carry.
 */
const TAKEN_OVER = new Set(['Initialized', 'Succeeded', 'Progressing']);

/** Why the Flagger Canary cannot be taken over in its phase; undefined when it can. */
export function phaseRefusal(flagger: Canary): string | undefined {
  const phase = flagger.status?.phase ?? '';
  if (TAKEN_OVER.has(phase)) return undefined;
  const weight = flagger.status?.canaryWeight ?? 0;
  if (phase === 'Failed')
    return `the flagger.app Canary is Failed: its target carries a revision the primary does not run. Set the target back to the primary's revision (kubectl rollout undo, or your GitOps source), or take over after a release Flagger promoted`;
  return `the flagger.app Canary is ${phase || 'not initialized'}${weight ? ` at canary weight ${weight}` : ''}: only an Initialized, Succeeded or Progressing Canary is taken over; scale Flagger up until the phase is one of them, then down again`;
}

/** Metadata of Flagger's Canary that is not the user's: kubectl's and Flux's records, Flagger's finalizer. */
const DROPPED_ANNOTATION = /^(kubectl\.kubernetes\.io\/last-applied-configuration|.*toolkit\.fluxcd\.io\/.*)$/;

/**
 * The manifest to convert: the flagger.app Canary as its user wrote it (spec, labels, annotations), without what
 * the API server and the tools added (status, uid, managed fields, kubectl's and Flux's records).
 */
export function flaggerManifest(flagger: Canary): Canary {
  const { name, namespace, labels, annotations } = flagger.metadata;
  const kept = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => !DROPPED_ANNOTATION.test(k)));
  return {
    apiVersion: flagger.apiVersion ?? 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace, ...(labels ? { labels } : {}), ...(Object.keys(kept).length ? { annotations: kept } : {}) },
    spec: flagger.spec,
  };
}

/** The converted Canary, marked to take over the flagger.app Canary of that name. */
export function takeoverCanary(converted: Canary, flaggerName: string): Canary {
  return {
    ...converted,
    apiVersion: API_VERSION,
    metadata: { ...converted.metadata, annotations: { ...converted.metadata.annotations, [ANNOTATIONS.takeover]: flaggerName } },
  };
}
