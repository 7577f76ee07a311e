import type { DaemonSet, Deployment, Pod, Service, StatefulSet } from '../api/k8s.js';
import type { Canary, OwnerReference } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import type { Lister } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import { AutoscalerReconciler, Autoscalers } from './autoscaler.js';
import { ScaledObjectReconciler } from './scaled-object.js';
import { ConfigTracker } from './config-tracker.js';
import { KNATIVE_SERVICE_KEY, type KnativeRevision, type KnativeService } from './knative.js';
import { KnativeTarget } from './knative-target.js';
import { StatefulSetTarget } from './statefulset-target.js';
import type { Target } from './target.js';
import { DAEMONSET, DEPLOYMENT, STATEFULSET_KIND } from './workload-kinds.js';
import { WorkloadTarget } from './workload-target.js';

export interface TargetsDeps {
  client: KubeClient;
  informers: InformerRegistry;
  deployments: Lister<Deployment>;
  daemonSets: Lister<DaemonSet>;
  statefulSets: Lister<StatefulSet>;
  /** The Pods cache (metadata and status), to tell why a workload's pods are not ready. */
  pods: Lister<Pod>;
  selectorLabels: readonly string[];
  ownerRef: (canary: Canary) => OwnerReference;
  fieldManager: string;
  configTracking: boolean;
  /** Whether config tracking copies the Secrets of a namespace (see secretScope). */
  tracksSecretsIn: (namespace: string) => boolean;
  /** The operator's provider, for a Canary that names none (an in-place target routes by it). */
  defaultProvider: string;
}

/** The workload kinds a Canary can release, by targetKeyOf(targetRef) (TARGET_KINDS). One line per kind. */
export function createTargets(d: TargetsDeps): Readonly<Record<string, Target>> {
  const configs = d.configTracking
    ? new ConfigTracker({ client: d.client, informers: d.informers, tracksSecretsIn: d.tracksSecretsIn })
    : undefined;
  const common = {
    client: d.client,
    selectorLabels: d.selectorLabels,
    ownerRef: d.ownerRef,
    fieldManager: d.fieldManager,
    pods: d.pods,
    ...(configs ? { configs } : {}),
  };
  return {
    [DEPLOYMENT.kind]: new WorkloadTarget(DEPLOYMENT, {
      ...common,
      workloads: d.deployments,
      autoscaler: new Autoscalers([
        new AutoscalerReconciler({ client: d.client, informers: d.informers, ownerRef: d.ownerRef }),
        new ScaledObjectReconciler({ client: d.client, informers: d.informers, ownerRef: d.ownerRef, fieldManager: d.fieldManager }),
      ]),
    }),
    [DAEMONSET.kind]: new WorkloadTarget(DAEMONSET, { ...common, workloads: d.daemonSets }),
    // Watched on first use: a cluster without Knative never starts these informers.
    [KNATIVE_SERVICE_KEY]: new KnativeTarget({
      services: () => d.informers.lister<KnativeService>(Resources.knativeServices),
      revisions: () => d.informers.lister<KnativeRevision>(Resources.knativeRevisions),
      pods: d.pods,
    }),
    [STATEFULSET_KIND]: new StatefulSetTarget({
      ...common,
      statefulSets: d.statefulSets,
      defaultProvider: d.defaultProvider,
      services: () => d.informers.lister<Service>(Resources.services),
    }),
  };
}
