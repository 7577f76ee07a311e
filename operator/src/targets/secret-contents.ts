import type { ConfigObject } from '../api/k8s.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { Resources } from '../kube/resources.js';
import { configChecksum } from './config-refs.js';

/** What config tracking needs of a Secret's content: its type and the checksum of its data. */
export interface SecretSummary {
  type: string | undefined;
  checksum: string;
}

/** Bound of the summaries kept; beyond it the oldest go (they are read again if still used). */
const MAX_ENTRIES = 10_000;

/**
 * The content of the Secrets pod templates use, read on demand: one GET per resourceVersion of a Secret, of
 * which only the type and the checksum are kept (never the data). A Secret nobody references is never read;
 * read() gives promotion a whole Secret to copy, and keeps nothing of it.
 */
export class SecretContents {
  private readonly byKey = new Map<string, { resourceVersion: string; summary: SecretSummary }>();

  constructor(private readonly client: Pick<KubeClient, 'get'>) {}

  /** The summary of namespace/name at resourceVersion (the informer's); undefined when the Secret is gone. */
  async summary(namespace: string, name: string, resourceVersion: string, signal: AbortSignal): Promise<SecretSummary | undefined> {
    const key = `${namespace}/${name}`;
    const hit = this.byKey.get(key);
    if (hit && hit.resourceVersion === resourceVersion && resourceVersion) return hit.summary;
    const secret = await this.read(namespace, name, signal);
    this.byKey.delete(key);
    if (!secret) return undefined;
    const summary = { type: secret.type, checksum: configChecksum(secret) };
    if (this.byKey.size >= MAX_ENTRIES) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(key, { resourceVersion: secret.metadata.resourceVersion ?? resourceVersion, summary });
    return summary;
  }

  /** The whole Secret, read now (never kept); undefined when it does not exist. */
  async read(namespace: string, name: string, signal: AbortSignal): Promise<ConfigObject | undefined> {
    try {
      return await this.client.get<ConfigObject>(Resources.secrets, namespace, name, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  forget(namespace: string, name: string): void {
    this.byKey.delete(`${namespace}/${name}`);
  }
}
