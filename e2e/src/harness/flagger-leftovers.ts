import { randomUUID } from 'node:crypto';
import type { Deployment, Service } from '@tollgate/operator/api/k8s';
import type { Canary, KubeObject, OwnerReference } from '@tollgate/operator/api/types';
import type { ResourceType } from '@tollgate/operator/kube/resources';
import { Resources } from '@tollgate/operator/kube/resources';

/*
 * The objects Flagger leaves for an initialized Istio Canary, written as Flagger writes them (fluxcd/flagger):
 * - `<target>-primary` Deployment: pkg/canary/deployment_controller.go createPrimaryDeployment: labels
 *   makePrimaryLabels(includeLabelsByPrefix(target labels, -include-label-prefix: none by default), ...) so only
 *   `app: <value>-primary`; annotations filterMetadata(target's); the controller ownerReference
 *   metav1.NewControllerRef(canary, flagger.app/v1beta1 Canary) (controller and blockOwnerDeletion true); selector
 *   of the one selector label; pod template labels makePrimaryLabels(template labels), annotations
 *   makeAnnotations(template annotations) = those plus a random `flagger-id` (pkg/canary/util.go).
 * - the target scaled to 0 (ScaleToZero: spec.replicas only).
 * - Services `<apex>`, `<apex>-primary`, `<apex>-canary`: pkg/router/kubernetes_default.go reconcileService: label
 *   `<selector label>: <service name>`, annotations filterMetadata (pkg/router/util.go: the Flux and Helm
 *   opt-outs), the controller ownerReference, one TCP port `http` (portName default) with targetPort = port.
 * - DestinationRules `<apex>-primary`, `<apex>-canary` (spec.host) and VirtualService `<apex>` (hosts: the apex,
 *   gateways: mesh, one http route primary 100 / canary 0, annotations filterMetadata): pkg/router/istio.go, with
 *   the controller ownerReference (setOwnerRefs, Flagger's default when the mesh is in the same cluster).
 * - the Canary: finalizer `finalizer.flagger.app` (pkg/controller/finalizer.go, revertOnDeletion), status as
 *   pkg/canary/status.go writes it for Initialized (lastAppliedSpec = lastPromotedSpec, condition Promoted True).
 */

export const FLAGGER_CANARIES: ResourceType = {
  group: 'flagger.app',
  version: 'v1beta1',
  plural: 'canaries',
  kind: 'Canary',
  namespaced: true,
};

const GITOPS = { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled', 'helm.toolkit.fluxcd.io/driftDetection': 'disabled' };

/** A flagger.app Canary of the same spec as a Tollgate one, with Flagger's finalizer. */
export function flaggerCanary(tollgate: Canary): Canary {
  const { metadata, spec } = tollgate;
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: metadata.name, namespace: metadata.namespace, finalizers: ['finalizer.flagger.app'] },
    spec: { ...spec, revertOnDeletion: true },
  };
}

/** The status of a release in progress at a weight (pkg/canary/status.go setStatusWeight, MakeStatusConditions). */
export function progressingStatus(hash: string, promotedHash: string, canaryWeight: number): Canary['status'] {
  const now = new Date().toISOString();
  return {
    phase: 'Progressing',
    canaryWeight,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: hash,
    lastPromotedSpec: promotedHash,
    lastTransitionTime: now,
    conditions: [
      {
        type: 'Promoted',
        status: 'Unknown',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: 'Progressing',
        message: 'New revision detected, progressing canary analysis.',
      },
    ],
  } as Canary['status'];
}

/** The status Flagger writes once initialized (pkg/canary/status.go syncCanaryStatus, MakeStatusConditions). */
export function initializedStatus(hash: string): Canary['status'] {
  const now = new Date().toISOString();
  return {
    phase: 'Initialized',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: hash,
    lastPromotedSpec: hash,
    lastTransitionTime: now,
    conditions: [
      {
        type: 'Promoted',
        status: 'True',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: 'Initialized',
        message: 'Deployment initialization completed.',
      },
    ],
  } as Canary['status'];
}

const controllerRef = (c: Canary): OwnerReference => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  name: c.metadata.name!,
  uid: c.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});

/**
 * Every object Flagger generated for the Canary (created after it, so that they carry its uid): the primary runs the
 * promoted revision (`promoted`: the target as it was when promoted), the routes give the canary `canaryWeight`.
 */
export function flaggerLeftovers(c: Canary, promoted: Deployment, canaryWeight = 0): { resource: ResourceType; body: KubeObject }[] {
  const target = promoted;
  const ns = c.metadata.namespace!;
  const owner = [controllerRef(c)];
  const app = target.spec.selector.matchLabels!.app!;
  const port = c.spec.service!.port;
  const primary: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `${target.metadata.name}-primary`,
      namespace: ns,
      labels: { app: `${app}-primary` },
      annotations: {},
      ownerReferences: owner,
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: `${app}-primary` } },
      template: {
        metadata: {
          labels: { ...target.spec.template.metadata?.labels, app: `${app}-primary` },
          annotations: { ...target.spec.template.metadata?.annotations, 'flagger-id': randomUUID() },
        },
        spec: target.spec.template.spec,
      },
    },
  };
  const service = (name: string, selector: string): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: { app: name }, annotations: { ...GITOPS }, ownerReferences: owner },
    spec: { type: 'ClusterIP', selector: { app: selector }, ports: [{ name: 'http', protocol: 'TCP', port, targetPort: port }] },
  });
  const meta = (name: string, annotations?: Record<string, string>): KubeObject['metadata'] => ({
    name,
    namespace: ns,
    ...(annotations ? { annotations } : {}),
    ownerReferences: owner,
  });
  const apex = c.spec.service?.name || c.spec.targetRef.name;
  const destination = (host: string, weight: number): Record<string, unknown> => ({
    destination: { host, port: { number: port } },
    weight,
  });
  return [
    { resource: Resources.deployments, body: primary },
    { resource: Resources.services, body: service(`${apex}-canary`, app) },
    { resource: Resources.services, body: service(`${apex}-primary`, `${app}-primary`) },
    { resource: Resources.services, body: service(apex, `${app}-primary`) },
    ...[`${apex}-canary`, `${apex}-primary`].map((host) => ({
      resource: Resources.destinationRules,
      body: { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: meta(host), spec: { host } } as KubeObject,
    })),
    {
      resource: Resources.virtualServices,
      body: {
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'VirtualService',
        metadata: meta(apex, { ...GITOPS }),
        spec: {
          hosts: [apex],
          gateways: ['mesh'],
          http: [{ route: [destination(`${apex}-primary`, 100 - canaryWeight), destination(`${apex}-canary`, canaryWeight)] }],
        },
      } as KubeObject,
    },
  ];
}
