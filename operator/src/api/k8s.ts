import type { KubeObject, ObjectMeta } from './types.js';

/** The parts of core Kubernetes types the operator reads or writes. */
interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}
export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  env?: { name: string; value?: string }[];
  [k: string]: unknown;
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  [k: string]: unknown;
}
export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}

export interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
}

/** A workload that runs a pod template selected by labels: Deployment, DaemonSet. */
export interface Workload extends KubeObject {
  spec: { selector: LabelSelector; template: PodTemplate; replicas?: number; [k: string]: unknown };
  status?: Record<string, unknown>;
}

export interface DaemonSet extends Workload {
  spec: Workload['spec'] & { updateStrategy?: unknown; minReadySeconds?: number; revisionHistoryLimit?: number };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberReady?: number;
  };
}

export interface StatefulSet extends Workload {
  spec: Workload['spec'] & {
    serviceName?: string;
    podManagementPolicy?: string;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** A StatefulSet's revision history entry: data holds the patch of spec.template (`$patch: replace`). */
export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

export interface ConfigObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    strategy?: unknown;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    progressDeadlineSeconds?: number;
    paused?: boolean;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
}

export interface ServiceSpecPort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec: {
    type?: string;
    selector?: Record<string, string>;
    ports?: ServiceSpecPort[];
    clusterIP?: string;
    trafficDistribution?: string;
    [k: string]: unknown;
  };
}

export interface Secret extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; message?: string; exitCode?: number };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** A Pod as the operator caches it (metadata and status alone, see trimPod). */
export interface Pod extends KubeObject {
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}
