import { LABELS } from '@tollgate/contract/metadata';
import type { Canary, KubeObject, OwnerReference } from '../api/types.js';
import { ensureObject, GITOPS_ANNOTATIONS, ownedBy } from '../kube/ensure.js';
import { ownersAfterTakeover } from '../kube/takeover.js';
import type { Lister } from '../kube/informer.js';
import { Resources } from '../kube/resources.js';
import { TargetError, type TargetInfo } from '../targets/target.js';
import { releaseGenerated } from './apply.js';
import {
  notAppliedNotice,
  routesFor,
  type Router,
  type RouterDeps,
  type Routes,
  type RouterValidation,
  type RouteStrategy,
  routingFieldsExcept,
} from './router.js';
import { serviceNames } from './services.js';

/*
 * The providers that route with a clone of the user's Ingress (nginx, skipper; Flagger's model): the Ingress
 * spec.ingressRef names is only read, and a clone `<ingress>-canary`, owned by the Canary, carries the split.
 * IngressCloneRouter is their router; each provider's spec.ts brings a CloneProvider.
 */

type Json = Record<string, unknown>;

export type Ingress = KubeObject & { spec?: Json };

/** The name of the Ingress spec.ingressRef names; undefined when it names none. */
export function ingressRefName(canary: Canary): string | undefined {
  const name = canary.spec.ingressRef?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The clone's name, as Flagger names it: after the user's Ingress, not the workload. */
const canaryIngressName = (ingress: string): string => `${ingress}-canary`;

/** The message of a Canary without spec.ingressRef. */
const needsIngressRef = (provider: string): string => `provider ${provider} needs spec.ingressRef: the Ingress to clone as <name>-canary`;

/** service fields an Ingress router (a clone, or ALB's annotations) has no place for: the user's Ingress carries hosts, paths and policies. */
const NOT_APPLIED = routingFieldsExcept('mirror', 'backendTimeout');

/** The notice of service fields an Ingress router does not apply; none when none is set. */
export const ingressNotices = (provider: string, canary: Canary): string[] =>
  notAppliedNotice(canary, provider, NOT_APPLIED, 'the Ingress named in spec.ingressRef carries the routing');

/** Each path's backend of an Ingress spec (and the defaultBackend), to read or change in place. */
export function ingressBackends(spec: Json): { service?: { name?: unknown } }[] {
  const rules = (spec.rules ?? []) as { http?: { paths?: { backend?: { service?: { name?: unknown } } }[] } }[];
  const paths = rules.flatMap((r) => r.http?.paths ?? []).map((p) => p.backend ?? {});
  return spec.defaultBackend ? [spec.defaultBackend as { service?: { name?: unknown } }, ...paths] : paths;
}

/**
 * The clone of the user's Ingress with the given spec and annotations: owned by the Canary, labelled like the
 * user's Ingress plus the Canary's label.
 */
export function cloneOf(user: Ingress, canary: Canary, spec: Json, annotations: Record<string, string>, owner: OwnerReference): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(user.metadata.name!),
      namespace: canary.metadata.namespace!,
      labels: { ...user.metadata.labels, [LABELS.canary]: canary.metadata.name! },
      annotations: { ...annotations, ...GITOPS_ANNOTATIONS },
      ownerReferences: [owner],
    },
    spec,
  };
}

/** What one provider brings to the clone router: the clone as it must be, and the split read back from it. */
export interface CloneProvider {
  /** The clone as it must be; undefined when the user's Ingress has no backend naming the apex Service. */
  desired(user: Ingress, canary: Canary, routes: Routes, strategy: RouteStrategy, owner: OwnerReference): Ingress | undefined;
  /** The split the live clone carries; undefined when there is none. */
  routesOf(canary: Canary, live: Ingress | undefined): Routes | undefined;
  /** What in an A/B match the clone cannot carry (none when the capability record refuses match altogether). */
  matchErrors?(match: RouteStrategy['match']): string[];
}

/**
 * The router of the providers that clone the user's Ingress (Flagger's nginx and skipper): the Ingress
 * spec.ingressRef names is only read; its clone `<ingress>-canary`, owned by the Canary, follows it (hosts, paths,
 * TLS, annotations) and carries the split as the provider spells it.
 */
export class IngressCloneRouter implements Router {
  constructor(
    readonly provider: string,
    private readonly clone: CloneProvider,
    private readonly deps: RouterDeps,
  ) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    const errors = ingressRefName(canary) ? [] : [needsIngressRef(this.provider)];
    // match without iterations is refused before the router is asked (match-needs-iterations).
    if (strategy.strategy === 'ab-testing' && this.clone.matchErrors) errors.push(...this.clone.matchErrors(strategy.match));
    return { errors, notices: ingressNotices(this.provider, canary) };
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const ingresses = await this.lister();
    const user = this.user(canary, ingresses);
    const desired = this.clone.desired(user, canary, routes, strategy, this.deps.ownerRef(canary));
    if (!desired) throw noBackend(canary, user);
    await this.write(canary, desired, ingresses, signal);
  }

  /** The clone's split; throws TargetError when the user's Ingress is missing, so the Canary is stalled saying so. */
  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const ingresses = await this.lister();
    const user = this.user(canary, ingresses);
    return this.clone.routesOf(canary, ingresses.get(user.metadata.namespace, canaryIngressName(user.metadata.name!)));
  }

  /** Deletes the clone the Canary created; the user's Ingress then sends everything to the apex Service again. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    const name = ingressRefName(canary);
    if (name) await releaseGenerated(this.deps, canary, Resources.ingresses, canaryIngressName(name), signal);
  }

  private lister(): Promise<Lister<Ingress>> {
    return ingressLister(this.deps);
  }

  private user(canary: Canary, ingresses: Lister<Ingress>): Ingress {
    return userIngress(canary, ingresses, needsIngressRef(this.provider));
  }

  /**
   * Creates or corrects the clone (ensureObject); one someone else owns is never taken over. Its labels and
   * annotations are all the user's Ingress's and ours, so they are fingerprinted with the spec: one the user
   * removes goes from the clone too.
   */
  private async write(canary: Canary, desired: Ingress, ingresses: Lister<Ingress>, signal: AbortSignal): Promise<void> {
    const { labels, annotations } = desired.metadata;
    const fingerprinted = (): unknown => ({ labels, annotations, spec: desired.spec });
    const ref = { namespace: canary.metadata.namespace!, name: desired.metadata.name!, fingerprinted };
    const build = (live: Ingress | undefined): Ingress => {
      if (live && !ownedBy(live, canary))
        throw new TargetError(
          'TargetInvalid',
          `Ingress ${ref.namespace}/${ref.name} exists and is not owned by this Canary: delete or rename it`,
        );
      if (!live) return desired;
      const ownerReferences =
        ownersAfterTakeover(live.metadata, canary, this.deps.ownerRef(canary), ref.name) ?? live.metadata.ownerReferences;
      return { ...live, metadata: { ...live.metadata, labels, annotations, ownerReferences }, spec: desired.spec };
    };
    await ensureObject(this.deps.client, ingresses, Resources.ingresses, ref, build, signal);
  }
}

/**
 * The Ingress spec.ingressRef names, from the cache. None named, or none there, is TargetInvalid (as a missing
 * autoscalerRef: TargetNotFound would alert that the workload is missing); `noRef` says what the provider needs.
 */
export function userIngress(canary: Canary, ingresses: Lister<Ingress>, noRef: string): Ingress {
  const name = ingressRefName(canary);
  if (!name) throw new TargetError('TargetInvalid', noRef);
  const user = ingresses.get(canary.metadata.namespace, name);
  if (!user) throw new TargetError('TargetInvalid', `Ingress ${canary.metadata.namespace}/${name} (spec.ingressRef) not found`);
  return user;
}

/** The Ingresses cache of a router. */
export const ingressLister = (deps: Pick<RouterDeps, 'informers'>): Promise<Lister<Ingress>> =>
  deps.informers.lister<Ingress>(Resources.ingresses);

/** No backend names the apex Service: the clone would route nothing. */
const noBackend = (canary: Canary, user: Ingress): TargetError =>
  new TargetError(
    'TargetInvalid',
    `Ingress ${canary.metadata.namespace}/${user.metadata.name} has no backend naming Service ${serviceNames(canary).apex}: nothing to send to the canary`,
  );
