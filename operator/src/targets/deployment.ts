import type { Deployment } from '../api/k8s.js';
import type { Canary, OwnerReference } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import type { Lister } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import {
  deploymentReadiness, discoveredPorts, primaryDeploymentOf, primaryTemplateOf, selectorLabelOf, templateRevision,
} from './deployment-spec.js';
import { REVISION_ANNOTATION, TargetError, type Readiness, type Target, type TargetInfo } from './target.js';

export interface DeploymentTargetDeps {
  client: KubeClient;
  deployments: Lister<Deployment>;
  selectorLabels: readonly string[];
  ownerRef: (canary: Canary) => OwnerReference;
  fieldManager: string;
}

/** Releases a Deployment: the target is the canary, `<name>-primary` serves stable traffic. */
export class DeploymentTarget implements Target {
  readonly kind = 'Deployment';

  constructor(private readonly deps: DeploymentTargetDeps) {}

  private target(canary: Canary): Deployment {
    const d = this.deps.deployments.get(canary.metadata.namespace, canary.spec.targetRef.name);
    if (!d) throw new TargetError('TargetNotFound', `Deployment ${canary.metadata.namespace}/${canary.spec.targetRef.name} not found`);
    return d;
  }

  private primary(canary: Canary): Deployment | undefined {
    return this.deps.deployments.get(canary.metadata.namespace, `${canary.spec.targetRef.name}-primary`);
  }

  describe(canary: Canary): TargetInfo {
    const d = this.target(canary);
    const sel = selectorLabelOf(d, this.deps.selectorLabels);
    return {
      name: d.metadata.name!,
      primaryName: `${d.metadata.name}-primary`,
      selectorLabel: sel.key,
      selectorValue: sel.value,
      revision: templateRevision(d),
      extraPorts: canary.spec.service?.portDiscovery ? discoveredPorts(d, canary.spec.service) : [],
    };
  }

  async ensurePrimary(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<void> {
    if (this.primary(canary)) return;
    const d = this.target(canary);
    const primary = primaryDeploymentOf(d, canary, { key: info.selectorLabel, value: info.selectorValue }, this.deps.ownerRef(canary));
    await this.deps.client.create(Resources.deployments, primary, signal);
  }

  async promote(canary: Canary, info: TargetInfo, signal: AbortSignal): Promise<void> {
    const d = this.target(canary);
    const primary = this.primary(canary);
    if (!primary) throw new TargetError('TargetNotFound', `primary Deployment ${info.primaryName} not found`);
    const template = primaryTemplateOf(d, { key: info.selectorLabel, value: info.selectorValue }, info.revision);
    const replicas = d.spec.replicas && d.spec.replicas > 0 ? d.spec.replicas : primary.spec.replicas;
    // A JSON patch with a test on resourceVersion: the template is replaced whole, and only on the object we read.
    await this.deps.client.patch(Resources.deployments, primary.metadata.namespace, info.primaryName, [
      { op: 'test', path: '/metadata/resourceVersion', value: primary.metadata.resourceVersion },
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/spec/replicas', value: replicas },
    ], { type: 'json', signal, fieldManager: this.deps.fieldManager });
  }

  primaryRevision(canary: Canary): string | undefined {
    return this.primary(canary)?.spec.template.metadata?.annotations?.[REVISION_ANNOTATION];
  }

  primaryReadiness(canary: Canary, thresholdPct: number): Readiness {
    const p = this.primary(canary);
    if (p && (p.spec.replicas ?? 1) === 0) return { ready: false, reason: `${p.metadata.name} is scaled to zero`, fatal: true };
    return deploymentReadiness(p, thresholdPct);
  }

  canaryReadiness(canary: Canary, thresholdPct: number): Readiness {
    return deploymentReadiness(this.target(canary), thresholdPct);
  }

  async scaleCanary(canary: Canary, up: boolean, signal: AbortSignal): Promise<void> {
    const d = this.target(canary);
    const current = d.spec.replicas ?? 1;
    let want = 0;
    if (up) want = current > 0 ? current : Math.max(1, this.primary(canary)?.spec.replicas ?? 1);
    if (want === current) return;
    await this.deps.client.patch(Resources.deployments, d.metadata.namespace, d.metadata.name!, { spec: { replicas: want } }, {
      signal, fieldManager: this.deps.fieldManager,
    });
  }

  isCanaryScaledDown(canary: Canary): boolean {
    const d = this.target(canary);
    return (d.spec.replicas ?? 1) === 0 && (d.status?.replicas ?? 0) === 0;
  }
}
