/*
 * The annotations, labels and object names the operator writes or reads, and the CLI and hooks/ rely on.
 * Defined once here; every workspace imports them.
 */

/**
 * Imperative controls, as annotations on the Canary (set by the `tollgate` CLI or kubectl annotate).
 * Annotations, not spec fields, so a GitOps tool re-applying the manifest does not undo them.
 * retry, promote and abort are one-shot: each new value is acted upon once (status.handledRequests);
 * paused holds the analysis while its value is "true".
 */
export const REQUEST_ANNOTATIONS = {
  retry: 'tollgate.dev/retry',
  promote: 'tollgate.dev/promote',
  abort: 'tollgate.dev/abort',
  paused: 'tollgate.dev/paused',
} as const;

export type OneShot = 'retry' | 'promote' | 'abort';

/** The annotations the operator writes on the objects it manages, and those a user sets to steer it. */
export const ANNOTATIONS = {
  /** On a workload: the revision (pod template hash) the operator computed. */
  revision: 'tollgate.dev/revision',
  /** On an object the operator writes: a fingerprint of the spec it last wrote. */
  applied: 'tollgate.dev/applied',
  /** On an object a Canary adopted (it existed before): its original spec, restored on deletion. */
  originalSpec: 'tollgate.dev/original-spec',
  /** On a Service a Canary adopted as its apex: its original selector, restored on deletion. */
  originalSelector: 'tollgate.dev/original-selector',
  /** On a primary Deployment a replica-ratio release scaled down: its full size, restored when the release ends. */
  fullReplicas: 'tollgate.dev/full-replicas',
  /** On a ConfigMap or Secret: "disabled" opts it out of config tracking (Flagger's spelling is also read). */
  configTracking: 'tollgate.dev/config-tracking',
  flaggerConfigTracking: 'flagger.app/config-tracking',
  /**
   * On a MetricTemplate or AlertProvider: the namespaces whose Canaries may use it, comma-separated, or "*" for
   * every namespace. Its own namespace may always use it.
   */
  allowCrossNamespace: 'tollgate.dev/allow-cross-namespace',
  /**
   * On a cluster-scoped object a Canary wrote (Kuma's TrafficRoute), which cannot carry an ownerReference to a
   * namespaced Canary: `<namespace>/<name>/<uid>` of that Canary.
   */
  owner: 'tollgate.dev/owner',
  /**
   * On a Canary: its place in the release queue (--max-concurrent-releases). "urgent" goes ahead of every
   * "normal" release (the default); any other value is reported and queues as normal.
   */
  priority: 'tollgate.dev/priority',
  /**
   * On a Canary: the name of the flagger.app Canary of the same namespace whose generated objects (the -primary
   * workload, its config copies and autoscaler, the Services, the mesh objects) this Canary takes over: their
   * controller ownerReference moves to it. Without it, an object a flagger.app Canary controls is never written.
   * Set it only once Flagger no longer runs (`tollgate migrate flagger` checks, sets it and removes Flagger's Canary).
   */
  takeover: 'tollgate.dev/takeover',
} as const;

/** What Flagger puts on the objects it generates and on its Canaries (fluxcd/flagger: pkg/apis/flagger, pkg/controller/finalizer.go). */
export const FLAGGER = {
  group: 'flagger.app',
  apiVersion: 'flagger.app/v1beta1',
  finalizer: 'finalizer.flagger.app',
} as const;

export const LABELS = {
  /** On the objects the operator writes for a Canary (workloads, config copies, Services, mesh objects): its name. */
  canary: 'tollgate.dev/canary',
  /** A DaemonSet is scaled to zero by a node selector on this label, which no node carries (as in Flagger). */
  scaleToZero: 'tollgate.dev/scale-to-zero',
  /**
   * On the pods of a target and of its primary (replica-ratio releases, provider kubernetes): the target's selector
   * value. The apex Service selects it while a release runs, so each side's share of pods is its share of traffic.
   */
  pool: 'tollgate.dev/pool',
  /** On every ownership Lease of one operator deployment (value: the prefix). */
  leaseOf: 'tollgate.dev/lease-of',
  /** On the member Leases among them. */
  member: 'tollgate.dev/member',
} as const;

/** The API group of Tollgate's kinds, and the apiVersion they are served at. */
export const GROUP = 'tollgate.dev';
export const API_VERSION = `${GROUP}/v1beta1`;

/** The finalizer the operator puts on a Canary to restore routes and scale on deletion. */
export const FINALIZER = 'tollgate.dev/finalizer';

/** A Canary in logs and messages: <name>.<namespace>, as Flagger's logs and the gate keys of hooks/ spell it. */
export const canaryKey = (ref: { name: string; namespace: string }): string => `${ref.name}.${ref.namespace}`;

/** The copy that serves stable traffic: `<name>-primary` (a workload, its configs, its autoscaler, a Service, a label value). */
export const primaryName = (name: string): string => `${name}-primary`;
/** The apex Service's name: the Canary's service.name, else its target's name. */
export const apexName = (spec: { service?: { name?: string }; targetRef: { name: string } }): string =>
  spec.service?.name || spec.targetRef.name;
/** kubectl's copy of the whole applied manifest (kubectl apply), an annotation no generated object should carry. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** The Service (and mesh objects) that reach only the canary pods: `<apex>-canary`. */
export const canaryName = (apex: string): string => `${apex}-canary`;
