import type { ContainerStatus, Pod } from '../api/k8s.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceOverride } from './informer-registry.js';

/** A container status with only what explains a failure (no image ids, no timestamps but none are read). */
const trimmedContainer = (cs: ContainerStatus): ContainerStatus => ({
  name: cs.name,
  ...(cs.ready !== undefined ? { ready: cs.ready } : {}),
  ...(cs.restartCount !== undefined ? { restartCount: cs.restartCount } : {}),
  ...(cs.state ? { state: cs.state } : {}),
  ...(cs.lastState?.terminated ? { lastState: { terminated: cs.lastState.terminated } } : {}),
});

type PodCondition = NonNullable<NonNullable<Pod['status']>['conditions']>[number];
const trimmedCondition = ({ type, status, reason, message }: PodCondition): PodCondition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

/**
 * A Pod as the operator caches it: name, namespace, labels, resourceVersion, deletionTimestamp and the status the
 * kubelet and scheduler write (phase, conditions, container states); no spec, annotations or owner references.
 * The operator reads pods only to tell why a workload's pods do not become ready (core/pods.ts).
 */
export function trimPod(obj: KubeObject): KubeObject {
  const p = obj as Pod;
  const { name, namespace, labels, resourceVersion, deletionTimestamp, uid } = p.metadata;
  const st = p.status ?? {};
  const status: NonNullable<Pod['status']> = {
    ...(st.phase ? { phase: st.phase } : {}),
    ...(st.reason ? { reason: st.reason } : {}),
    ...(st.message ? { message: st.message } : {}),
    ...(st.conditions ? { conditions: st.conditions.map(trimmedCondition) } : {}),
    ...(st.containerStatuses ? { containerStatuses: st.containerStatuses.map(trimmedContainer) } : {}),
    ...(st.initContainerStatuses ? { initContainerStatuses: st.initContainerStatuses.map(trimmedContainer) } : {}),
  };
  const metadata = { name, namespace, labels, resourceVersion, uid, ...(deletionTimestamp ? { deletionTimestamp } : {}) };
  return { apiVersion: 'v1', kind: 'Pod', metadata, status } as Pod;
}

/** How the Pods informer differs from the others: each Pod cached trimmed (trimPod). */
export const PODS_INFORMER: ResourceOverride = { transform: trimPod };
