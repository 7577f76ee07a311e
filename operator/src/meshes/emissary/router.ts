import { LABELS, LAST_APPLIED } from '@tollgate/contract/metadata';
import type { Canary, KubeObject } from '../../api/types.js';
import { ensureObject, GITOPS_ANNOTATIONS, ownedBy } from '../../kube/ensure.js';
import type { Lister } from '../../kube/informer.js';
import { deleteIfThere, releaseGenerated } from '../apply.js';
import { Resources } from '../../kube/resources.js';
import { TargetError, type TargetInfo } from '../../targets/target.js';
import { routesFor, type Router, type RouterDeps, type RouterValidation, type Routes, type RouteStrategy } from '../router.js';
import {
  canaryMappingName,
  canaryMappingSpec,
  mappingNames,
  routesOfCanaryMapping,
  userMappingProblem,
  validateForEmissary,
} from './spec.js';

export type Mapping = KubeObject & { spec?: Record<string, unknown> };

const API_VERSION = 'getambassador.io/v3alpha1';

/**
 * Emissary-ingress: each user's Mapping (service.mappings, or the one named like the apex Service) is only read;
 * its clone `<mapping>-canary`, owned by the Canary, carries the canary's weight, match or shadow, and is deleted
 * when the canary has none. A Mapping of that name the Canary did not create is never taken over.
 */
export class EmissaryRouter implements Router {
  constructor(
    readonly provider: string,
    private readonly deps: RouterDeps,
  ) {}

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    return validateForEmissary(canary, strategy, this.provider);
  }

  async reconcile(canary: Canary, target: TargetInfo, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    await this.setRoutes(canary, target, (await this.getRoutes(canary)) ?? routesFor(0), strategy, signal);
  }

  async setRoutes(canary: Canary, _target: TargetInfo, routes: Routes, strategy: RouteStrategy, signal: AbortSignal): Promise<void> {
    const mappings = await this.lister();
    const users = mappingNames(canary).map((name) => this.user(canary, mappings, name));
    for (const user of users) {
      const name = canaryMappingName(user.metadata.name!);
      const live = mappings.get(canary.metadata.namespace, name);
      if (live && !ownedBy(live, canary)) throw notOurs(canary, name);
      const spec = canaryMappingSpec(user.spec ?? {}, canary, routes, strategy);
      if (spec) await this.write(canary, user, name, spec, mappings, signal);
      else if (live) await deleteIfThere(this.deps, Resources.emissaryMappings, canary.metadata.namespace, name, signal);
    }
  }

  /** The split of the first user's Mapping's clone (all are written alike); throws TargetError when that Mapping is missing. */
  async getRoutes(canary: Canary): Promise<Routes | undefined> {
    const mappings = await this.lister();
    const user = this.user(canary, mappings, mappingNames(canary)[0]!);
    const live = mappings.get(canary.metadata.namespace, canaryMappingName(user.metadata.name!));
    return routesOfCanaryMapping(live && ownedBy(live, canary) ? live.spec : undefined);
  }

  /** Deletes the clones this Canary created: the user's Mappings then send everything to the apex Service again. */
  async finalize(canary: Canary, signal: AbortSignal): Promise<void> {
    for (const name of mappingNames(canary).map(canaryMappingName))
      await releaseGenerated(this.deps, canary, Resources.emissaryMappings, name, signal);
  }

  private lister(): Promise<Lister<Mapping>> {
    return this.deps.informers.lister<Mapping>(Resources.emissaryMappings);
  }

  /** A user's Mapping; missing, or one that cannot be cloned, is TargetInvalid: the Canary is stalled saying so. */
  private user(canary: Canary, mappings: Lister<Mapping>, name: string): Mapping {
    const user = mappings.get(canary.metadata.namespace, name);
    if (!user) throw new TargetError('TargetInvalid', `Mapping ${canary.metadata.namespace}/${name} (service.mappings) not found`);
    const problem = userMappingProblem(name, user.spec, canary);
    if (problem) throw new TargetError('TargetInvalid', problem);
    return user;
  }

  /**
   * Creates or corrects the clone: the user's labels and annotations (kubectl's record aside) and ours, all
   * fingerprinted with the spec, so one the user removes goes from the clone too.
   */
  private async write(
    canary: Canary,
    user: Mapping,
    name: string,
    spec: Record<string, unknown>,
    mappings: Lister<Mapping>,
    signal: AbortSignal,
  ) {
    const labels = { ...user.metadata.labels, [LABELS.canary]: canary.metadata.name! };
    const kept = Object.entries(user.metadata.annotations ?? {}).filter(([k]) => k !== LAST_APPLIED);
    const annotations = { ...Object.fromEntries(kept), ...GITOPS_ANNOTATIONS };
    const ref = { namespace: canary.metadata.namespace!, name, fingerprinted: () => ({ labels, annotations, spec }) };
    const build = (live: Mapping | undefined): Mapping =>
      live
        ? { ...live, metadata: { ...live.metadata, labels, annotations }, spec }
        : {
            apiVersion: API_VERSION,
            kind: 'Mapping',
            metadata: { name, namespace: ref.namespace, labels, annotations, ownerReferences: [this.deps.ownerRef(canary)] },
            spec,
          };
    await ensureObject(this.deps.client, mappings, Resources.emissaryMappings, ref, build, signal);
  }
}

const notOurs = (canary: Canary, name: string): TargetError =>
  new TargetError(
    'TargetInvalid',
    `Mapping ${canary.metadata.namespace}/${name} exists and is not owned by this Canary: delete or rename it`,
  );
