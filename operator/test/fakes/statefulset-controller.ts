import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ControllerRevision, Pod, StatefulSet } from '../../src/api/k8s.js';
import { Resources } from '../../src/kube/resources.js';
import type { FakeKube } from './fake-kube.js';

const REVISION = 'controller-revision-hash';

/**
 * Plays the StatefulSet controller and kubelet over a FakeKube, converging at once: the update revision is a
 * ControllerRevision named after the template's hash (its data the template, as the real controller records it);
 * each pod with an ordinal >= partition runs the update revision, the others keep theirs; every pod is Ready; the
 * current revision becomes the update revision once every pod runs it.
 */
export function playStatefulSet(kube: FakeKube, ns: string, name: string): void {
  const sts = kube.get<StatefulSet>(Resources.statefulSets, ns, name);
  if (!sts) return;
  const update = `${name}-${createHash('sha256').update(JSON.stringify(sts.spec.template)).digest('hex').slice(0, 10)}`;
  if (!kube.get(Resources.controllerRevisions, ns, update)) kube.put(Resources.controllerRevisions, revisionOf(sts, update));
  const current = sts.status?.currentRevision ?? update;
  const replicas = sts.spec.replicas ?? 1;
  const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const revisions = Array.from({ length: replicas }, (_, i) => {
    const pod = kube.get<Pod>(Resources.pods, ns, `${name}-${i}`);
    return i >= partition ? update : (pod?.metadata.labels?.[REVISION] ?? current);
  });
  revisions.forEach((rev, i) => putPod(kube, sts, i, rev));
  const updated = revisions.filter((r) => r === update).length;
  const status: StatefulSet['status'] = {
    observedGeneration: sts.metadata.generation,
    replicas,
    readyReplicas: replicas,
    updatedReplicas: updated,
    currentRevision: updated === replicas ? update : current,
    updateRevision: update,
  };
  if (!isDeepStrictEqual(sts.status, status)) kube.put(Resources.statefulSets, { ...sts, status });
}

function revisionOf(sts: StatefulSet, name: string): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name, namespace: sts.metadata.namespace },
    data: { spec: { template: { ...sts.spec.template, $patch: 'replace' } } },
  };
}

function putPod(kube: FakeKube, sts: StatefulSet, ordinal: number, revision: string): void {
  const name = `${sts.metadata.name}-${ordinal}`;
  const live = kube.get<Pod>(Resources.pods, sts.metadata.namespace, name);
  if (live?.metadata.labels?.[REVISION] === revision) return;
  kube.put<Pod>(Resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: sts.metadata.namespace, labels: { ...sts.spec.template.metadata?.labels, [REVISION]: revision } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
}
