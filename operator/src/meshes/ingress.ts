import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject, OwnerReference } from '../api/types.js';
import { revisionOf } from '../core/revision.js';
import { covers, GITOPS_ANNOTATIONS, ownedBy } from '../kube/ensure.js';
import type { Lister } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import { TargetError } from '../targets/target.js';
import { releaseGenerated } from './apply.js';
import type { RouterDeps } from './router.js';

/*
 * The providers that route with a clone of the user's Ingress (nginx, skipper; Flagger's model): the Ingress
 * spec.ingressRef names is only read, and a clone `<ingress>-canary`, owned by the Canary, carries the split.
 */

type Json = Record<string, unknown>;

export type Ingress = KubeObject & { spec?: Json };

/** Not copied to a clone: kubectl's record of the user's Ingress would make kubectl apply treat the clone as its own. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The name of the Ingress spec.ingressRef names; undefined when it names none. */
export function ingressRefName(canary: Canary): string | undefined {
  const name = canary.spec.ingressRef?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The clone's name, as Flagger names it: after the user's Ingress, not the workload. */
const canaryIngressName = (ingress: string): string => `${ingress}-canary`;

/** The message of a Canary without spec.ingressRef. */
export const needsIngressRef = (provider: string): string =>
  `provider ${provider} needs spec.ingressRef: the Ingress to clone as <name>-canary`;

/** service fields an Ingress clone has no place for: the user's Ingress carries hosts, paths and policies. */
const NOT_APPLIED = [
  'hosts',
  'gateways',
  'gatewayRefs',
  'match',
  'rewrite',
  'headers',
  'corsPolicy',
  'retries',
  'timeout',
  'trafficPolicy',
];

/** The notice of service fields an Ingress clone does not apply; none when none is set. */
export function ingressNotices(provider: string, canary: Canary): string[] {
  const ignored = NOT_APPLIED.filter((k) => (canary.spec.service as Record<string, unknown> | undefined)?.[k] !== undefined);
  return ignored.length
    ? [`service.${ignored.join(', service.')} not applied by ${provider}: the Ingress named in spec.ingressRef carries the routing`]
    : [];
}

/** Each path's backend of an Ingress spec (and the defaultBackend), to read or change in place. */
export function ingressBackends(spec: Json): { service?: { name?: unknown } }[] {
  const rules = (spec.rules ?? []) as { http?: { paths?: { backend?: { service?: { name?: unknown } } }[] } }[];
  const paths = rules.flatMap((r) => r.http?.paths ?? []).map((p) => p.backend ?? {});
  return spec.defaultBackend ? [spec.defaultBackend as { service?: { name?: unknown } }, ...paths] : paths;
}

/**
 * The clone of the user's Ingress with the given spec and annotations: owned by the Canary, labelled like the
 * user's Ingress plus the Canary's label, and fingerprinted (annotations and spec), so removals count as changes.
 */
export function cloneOf(user: Ingress, canary: Canary, spec: Json, annotations: Record<string, string>, owner: OwnerReference): Ingress {
  const all = { ...annotations, ...GITOPS_ANNOTATIONS };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(user.metadata.name!),
      namespace: canary.metadata.namespace!,
      labels: { ...user.metadata.labels, [LABELS.canary]: canary.metadata.name! },
      annotations: { ...all, [ANNOTATIONS.applied]: revisionOf({ annotations: all, spec }) },
      ownerReferences: [owner],
    },
    spec,
  };
}

/**
 * Whether the live clone already is the desired one: it carries the desired annotations (their fingerprint
 * among them, so a removed one counts as a change), labels and every desired spec field (server defaults aside).
 */
export function isUpToDate(live: Ingress, desired: Ingress): boolean {
  return (
    covers(live.metadata.annotations ?? {}, desired.metadata.annotations) &&
    covers(live.metadata.labels ?? {}, desired.metadata.labels) &&
    covers(live.spec, desired.spec)
  );
}

/** Reads the user's Ingress and writes its clone for one provider's router. */
export class IngressClones {
  constructor(
    private readonly provider: string,
    private readonly deps: RouterDeps,
  ) {}

  lister(): Promise<Lister<Ingress>> {
    return this.deps.informers.lister<Ingress>(Resources.ingresses);
  }

  /**
   * The Ingress spec.ingressRef names. A missing one is TargetInvalid, as a missing autoscalerRef (TargetNotFound
   * would alert that the workload is missing).
   */
  user(canary: Canary, ingresses: Lister<Ingress>): Ingress {
    const name = ingressRefName(canary);
    if (!name) throw new TargetError('TargetInvalid', needsIngressRef(this.provider));
    const user = ingresses.get(canary.metadata.namespace, name);
    if (!user) throw new TargetError('TargetInvalid', `Ingress ${canary.metadata.namespace}/${name} (spec.ingressRef) not found`);
    return user;
  }

  /** The live clone of the user's Ingress, from the cache. */
  live(user: Ingress, ingresses: Lister<Ingress>): Ingress | undefined {
    return ingresses.get(user.metadata.namespace, canaryIngressName(user.metadata.name!));
  }

  /** Creates or replaces the clone; one someone else owns is never taken over. */
  async write(canary: Canary, desired: Ingress, ingresses: Lister<Ingress>, signal: AbortSignal): Promise<void> {
    const live = ingresses.get(canary.metadata.namespace, desired.metadata.name!);
    if (live && !ownedBy(live, canary))
      throw new TargetError(
        'TargetInvalid',
        `Ingress ${canary.metadata.namespace}/${desired.metadata.name} exists and is not owned by this Canary: delete or rename it`,
      );
    if (!live) {
      await this.deps.client.create(Resources.ingresses, desired, signal);
      return;
    }
    if (isUpToDate(live, desired)) return;
    const metadata = { ...live.metadata, labels: desired.metadata.labels, annotations: desired.metadata.annotations };
    await this.deps.client.replace(Resources.ingresses, { ...live, metadata, spec: desired.spec }, signal);
  }

  /** No backend names the apex Service: the clone would route nothing. */
  noBackend(canary: Canary, user: Ingress, apex: string): TargetError {
    return new TargetError(
      'TargetInvalid',
      `Ingress ${canary.metadata.namespace}/${user.metadata.name} has no backend naming Service ${apex}: nothing to send to the canary`,
    );
  }

  /** Deletes the clone the Canary created; the user's Ingress then sends everything to the apex Service again. */
  async release(canary: Canary, signal: AbortSignal): Promise<void> {
    const name = ingressRefName(canary);
    if (name) await releaseGenerated(this.deps, canary, Resources.ingresses, canaryIngressName(name), signal);
  }
}
