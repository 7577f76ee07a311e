import { ANNOTATIONS, LABELS, primaryName } from '@tollgate/contract/metadata';
import type { ConfigObject, PodSpec } from '../api/k8s.js';
import type { Canary, OwnerReference } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { ownersAfterTakeover } from '../kube/takeover.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import { Resources } from '../kube/resources.js';
import { configChecksum, configRefs, refKey, type ConfigKind, type ConfigRef } from './config-refs.js';
import { SecretContents } from './secret-contents.js';
import { isForeignKey } from './foreign-keys.js';

/** ConfigMaps and Secrets a target uses, with the checksum of each one's content. */
export interface TrackedConfigs {
  refs: ConfigRef[];
  checksums: Record<string, string>;
}

/** An object annotated with either key is never tracked (the only annotations of a Secret config tracking reads). */
export const CONFIG_TRACKING_OPT_OUT: readonly string[] = [ANNOTATIONS.configTracking, ANNOTATIONS.flaggerConfigTracking];
/** Secret types worth tracking (service-account tokens and registry credentials are not the release's). */
const TRACKED_SECRET_TYPES = new Set([undefined, 'Opaque', 'kubernetes.io/basic-auth', 'kubernetes.io/ssh-auth', 'kubernetes.io/tls']);

const resourceOf = (kind: ConfigKind): typeof Resources.configMaps => (kind === 'configmap' ? Resources.configMaps : Resources.secrets);

export interface ConfigTrackerDeps {
  client: KubeClient;
  informers: InformerRegistry;
  /** Whether the Secrets of a namespace are tracked (the operator may list, watch and write Secrets there). */
  tracksSecretsIn: (namespace: string) => boolean;
}

/**
 * Config tracking: a change to a ConfigMap or Secret the pod template uses is a new revision, analysed like
 * any other; the primary runs on `-primary` copies, updated only when a revision is promoted. ConfigMaps are
 * read from their informer; the Secrets' informer holds metadata alone, and the content of a Secret a pod
 * template uses is read when its resourceVersion is one not seen yet (SecretContents).
 */
export class ConfigTracker {
  private readonly secrets: SecretContents;

  constructor(private readonly deps: ConfigTrackerDeps) {
    this.secrets = new SecretContents(deps.client);
  }

  async describe(namespace: string, spec: PodSpec, signal: AbortSignal): Promise<TrackedConfigs> {
    const tracked: TrackedConfigs = { refs: [], checksums: {} };
    for (const ref of configRefs(spec)) {
      const checksum = await this.checksumOf(namespace, ref, signal);
      if (checksum === undefined) continue;
      tracked.refs.push(ref);
      tracked.checksums[refKey(ref)] = checksum;
    }
    return tracked;
  }

  /** The checksum of a tracked config; undefined when it is absent or not tracked. */
  private async checksumOf(namespace: string, ref: ConfigRef, signal: AbortSignal): Promise<string | undefined> {
    if (ref.kind === 'secret' && !this.deps.tracksSecretsIn(namespace)) return undefined;
    const meta = await this.get(namespace, ref);
    if (!meta && ref.kind === 'secret') this.secrets.forget(namespace, ref.name);
    if (!meta || optedOut(meta)) return undefined;
    if (ref.kind === 'configmap') return configChecksum(meta);
    const content = await this.secrets.summary(namespace, ref.name, meta.metadata.resourceVersion ?? '', signal);
    return content && TRACKED_SECRET_TYPES.has(content.type) ? content.checksum : undefined;
  }

  /** Creates or updates the -primary copy of every tracked config; a copy shared by Canaries lists them all as owners. */
  async promote(canary: Canary, tracked: TrackedConfigs, owner: OwnerReference, signal: AbortSignal): Promise<void> {
    const ns = canary.metadata.namespace!;
    for (const ref of tracked.refs) {
      const source = ref.kind === 'secret' ? await this.secrets.read(ns, ref.name, signal) : await this.get(ns, ref);
      if (!source) continue;
      const resource = resourceOf(ref.kind);
      const live = await this.get(ns, { ...ref, name: primaryName(ref.name) });
      const copy = primaryCopyOf(ref.kind, source, live, canary, owner);
      if (!live) await this.deps.client.create(resource, copy, signal);
      else await this.deps.client.replace(resource, copy, signal);
    }
  }

  /**
   * The -primary copies a flagger.app Canary controls move to this Canary (kube/takeover.ts); their content is left as
   * it is. A replace of the object read (the verbs the copies need anyway): a ConfigMap from its cache, a Secret by a
   * GET (its cache holds no content).
   */
  async takeOver(canary: Canary, tracked: TrackedConfigs, owner: OwnerReference, signal: AbortSignal): Promise<void> {
    const ns = canary.metadata.namespace!;
    for (const ref of tracked.refs) {
      const name = primaryName(ref.name);
      const cached = await this.get(ns, { ...ref, name });
      const owners =
        cached && ownersAfterTakeover(cached.metadata, canary, owner, `${ref.kind === 'secret' ? 'Secret' : 'ConfigMap'} ${name}`);
      if (!owners) continue;
      const resource = resourceOf(ref.kind);
      const live = ref.kind === 'secret' ? await this.deps.client.get<ConfigObject>(resource, ns, name, signal) : cached;
      await this.deps.client.replace(resource, { ...live, metadata: { ...live.metadata, ownerReferences: owners } }, signal);
    }
  }

  /** The cached object: a ConfigMap whole, a Secret's metadata alone (the informer of Secrets caches no content). */
  private async get(namespace: string, ref: { kind: ConfigKind; name: string }): Promise<ConfigObject | undefined> {
    const lister = await this.deps.informers.lister<ConfigObject>(resourceOf(ref.kind));
    return lister.get(namespace, ref.name);
  }
}

const optedOut = (obj: ConfigObject): boolean => CONFIG_TRACKING_OPT_OUT.some((k) => obj.metadata.annotations?.[k]?.startsWith('disabled'));

function primaryCopyOf(
  kind: ConfigKind,
  source: ConfigObject,
  live: ConfigObject | undefined,
  canary: Canary,
  owner: OwnerReference,
): ConfigObject {
  const owners = live?.metadata.ownerReferences ?? [];
  const mine = owners.some((o) => o.uid === owner.uid);
  const ownerReferences = mine ? owners : [...owners, { ...owner, controller: owners.some((o) => o.controller) ? false : true }];
  const labels = Object.fromEntries(Object.entries(source.metadata.labels ?? {}).filter(([k]) => !isForeignKey(k)));
  return {
    apiVersion: 'v1',
    kind: kind === 'secret' ? 'Secret' : 'ConfigMap',
    metadata: {
      name: primaryName(source.metadata.name!),
      namespace: source.metadata.namespace,
      labels: { ...labels, [LABELS.canary]: canary.metadata.name! },
      ownerReferences,
      ...(live?.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}),
    },
    ...(source.type !== undefined ? { type: source.type } : {}),
    ...(source.data ? { data: source.data } : {}),
    ...(source.binaryData ? { binaryData: source.binaryData } : {}),
  };
}
