import type { KubeObject, SloKind } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { InformerRegistry } from '../kube/informer-registry.js';
import { Resources } from '../kube/resources.js';

/** Reads an SLO object (Sloth, Pyrra) or a ConfigMap's data (OpenSLO); undefined when it does not exist. */
export interface SloReader {
  object(kind: Exclude<SloKind, 'OpenSLO'>, namespace: string, name: string): Promise<KubeObject | undefined>;
  configMap(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
}

const RESOURCES = { PrometheusServiceLevel: Resources.slothServiceLevels, ServiceLevelObjective: Resources.pyrraSlos } as const;

/**
 * Sloth and Pyrra objects from informer caches, started on the first Canary that refers to that kind (a CRD that is
 * not installed fails fast and is tried again later: InformerRegistry); an OpenSLO ConfigMap read when needed.
 */
export function sloReader(informers: InformerRegistry, client: KubeClient): SloReader {
  return {
    async object(kind: Exclude<SloKind, 'OpenSLO'>, namespace: string, name: string): Promise<KubeObject | undefined> {
      return (await informers.lister<KubeObject>(RESOURCES[kind])).get(namespace, name);
    },
    async configMap(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined> {
      try {
        return (await client.get<KubeObject & { data?: Record<string, string> }>(Resources.configMaps, namespace, name, signal)).data ?? {};
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  };
}
