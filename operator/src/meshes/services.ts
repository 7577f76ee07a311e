import { ANNOTATIONS, LABELS, apexName, canaryName, primaryName } from '@tollgate/contract/metadata';
import type { Service, ServiceSpecPort } from '../api/k8s.js';
import type { Canary, MetadataOverlay } from '../api/types.js';
import { Resources } from '../kube/resources.js';
import type { TargetInfo } from '../targets/target.js';
import { ensureObject, mergeMetadata, ownedBy } from '../kube/ensure.js';
import type { RouterDeps } from './router.js';

export type ServiceRole = 'apex' | 'primary' | 'canary';

/** Names of the generated Services: the apex (service.name, or the target's name), -primary and -canary. */
export function serviceNames(canary: Canary): Record<ServiceRole, string> {
  const apex = apexName(canary.spec);
  return { apex, primary: primaryName(apex), canary: canaryName(apex) };
}

/** The ports of the generated Services: the main one plus discovered ones. */
export function servicePorts(canary: Canary, target: TargetInfo): ServiceSpecPort[] {
  const svc = canary.spec.service!;
  const main: ServiceSpecPort = {
    name: svc.portName || 'http',
    port: svc.port,
    targetPort: svc.targetPort ?? svc.port,
    protocol: 'TCP',
    ...(svc.appProtocol ? { appProtocol: svc.appProtocol } : {}),
  };
  return [main, ...target.extraPorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol }))];
}

/** Ports as the API server stores them: an existing nodePort is kept. */
function portsOver(live: ServiceSpecPort[] | undefined, ports: ServiceSpecPort[]): ServiceSpecPort[] {
  return ports.map((p) => {
    const prior = live?.find((l) => l.port === p.port && (l.protocol ?? 'TCP') === p.protocol);
    return prior?.nodePort ? { ...p, nodePort: prior.nodePort } : p;
  });
}

/**
 * What a generated Service selects: the target's own selectors (in-place targets: every pod, or one revision's), else
 * the selector label with the primary's value (apex, primary) or the target's (canary).
 */
export function selectorOf(target: TargetInfo, role: ServiceRole): Record<string, string> {
  if (target.podSelectors) return target.podSelectors[role];
  return { [target.selectorLabel]: role === 'canary' ? target.selectorValue : primaryName(target.selectorValue) };
}

/**
 * The three ClusterIP Services every provider stands on. primary and canary are created and owned;
 * an existing apex Service (the user's own) is adopted: only its selector and ports change.
 */
export class ServiceRouter {
  constructor(private readonly deps: RouterDeps) {}

  /** The -primary and -canary Services; the apex comes later, once the primary serves. */
  async ensureBackends(canary: Canary, target: TargetInfo, signal: AbortSignal): Promise<void> {
    const names = serviceNames(canary);
    const meta = canary.spec.service ?? { port: 0 };
    await this.ensure(canary, names.primary, selectorOf(target, 'primary'), target, meta.primary, signal);
    await this.ensure(canary, names.canary, selectorOf(target, 'canary'), target, meta.canary, signal);
  }

  /**
   * The apex selects the primary's pods; pooled (a replica-ratio release with canary weight), the pods of both the
   * primary and the canary (LABELS.pool), so each side's share of pods is its share of traffic.
   */
  async ensureApex(canary: Canary, target: TargetInfo, signal: AbortSignal, pooled = false): Promise<void> {
    const names = serviceNames(canary);
    const selector = pooled ? { [LABELS.pool]: target.selectorValue } : selectorOf(target, 'apex');
    await this.ensure(canary, names.apex, selector, target, canary.spec.service?.apex, signal);
  }

  /**
   * revertOnDeletion: an adopted apex Service gets its original selector back (the target's pods); one this
   * Canary created goes with it, like the -primary and -canary Services.
   */
  async releaseApex(canary: Canary, target: TargetInfo, signal: AbortSignal): Promise<void> {
    const lister = await this.deps.informers.lister<Service>(Resources.services);
    const live = lister.get(canary.metadata.namespace, serviceNames(canary).apex);
    if (!live || ownedBy(live, canary)) return;
    const original = live.metadata.annotations?.[ANNOTATIONS.originalSelector];
    const selector = original ? (JSON.parse(original) as Record<string, string>) : { [target.selectorLabel]: target.selectorValue };
    const annotations = Object.fromEntries(
      Object.entries(live.metadata.annotations ?? {}).filter(([k]) => k !== ANNOTATIONS.originalSelector && k !== ANNOTATIONS.applied),
    );
    await this.deps.client.replace(
      Resources.services,
      { ...live, metadata: { ...live.metadata, annotations }, spec: { ...live.spec, selector } },
      signal,
    );
  }

  private async ensure(
    canary: Canary,
    name: string,
    selector: Record<string, string>,
    target: TargetInfo,
    overlay: MetadataOverlay | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const lister = await this.deps.informers.lister<Service>(Resources.services);
    const ports = servicePorts(canary, target);
    const svc = canary.spec.service;
    await ensureObject(
      this.deps.client,
      lister,
      Resources.services,
      { namespace: canary.metadata.namespace!, name },
      // eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
      (live) => {
        const owned = !live || ownedBy(live, canary);
        // A Service that already selects the primary's pods (Flagger adopted it) has no original worth keeping:
        // releaseApex then points it at the target, as Flagger's own revert does.
        const adopting =
          !owned &&
          !live?.metadata.annotations?.[ANNOTATIONS.originalSelector] &&
          live?.spec.selector?.[target.selectorLabel] !== primaryName(target.selectorValue);
        const metadata = mergeMetadata(live?.metadata, canary, {
          name,
          owner: [this.deps.ownerRef(canary)],
          labels: { ...(owned ? { [target.selectorLabel]: name } : {}), ...overlay?.labels },
          annotations: {
            ...overlay?.annotations,
            ...(adopting ? { [ANNOTATIONS.originalSelector]: JSON.stringify(live?.spec.selector ?? {}) } : {}),
          },
        });
        const spec = { ...(live?.spec ?? { type: 'ClusterIP' }), selector, ports: portsOver(live?.spec.ports, ports) };
        if (owned && svc?.headless && !live) spec.clusterIP = 'None';
        if (svc?.trafficDistribution) spec.trafficDistribution = svc.trafficDistribution;
        return { apiVersion: 'v1', kind: 'Service', ...live, metadata, spec } as Service;
      },
      signal,
    );
  }
}
