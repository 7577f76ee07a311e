import type { Secret } from '../api/k8s.js';
import type { KubeClient } from './client.js';
import { Resources } from './resources.js';

const TTL_MS = 30_000;

/** Reads Secrets by name with a short cache, so a metric check per tick does not cost a GET per tick. */
export class SecretReader {
  private readonly cache = new Map<string, { at: number; data: Record<string, string> }>();

  constructor(private readonly client: KubeClient) {}

  async read(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string>> {
    const key = `${namespace}/${name}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.data;
    const secret = await this.client.get<Secret>(Resources.secrets, namespace, name, signal);
    const data: Record<string, string> = { ...secret.stringData };
    for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
    this.cache.set(key, { at: Date.now(), data });
    return data;
  }
}
