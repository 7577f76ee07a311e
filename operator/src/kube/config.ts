import { KubeConfig } from '@kubernetes/client-node';
import type https from 'node:https';
import { KubeClient, type RequestObserver } from './client.js';

export class KubeConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

const AUTH_REFRESH_MS = 60_000;

/**
 * Builds a KubeClient from a kubeconfig file (KUBECONFIG or ~/.kube/config) or, inside a pod,
 * from the in-cluster service account. Authentication headers are refreshed every minute so
 * rotated service-account tokens and exec-plugin credentials keep working.
 */
export async function clientFromKubeConfig(opts: { kubeconfig?: string; context?: string; observer?: RequestObserver; userAgent?: string }): Promise<KubeClient> {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context) kc.setCurrentContext(opts.context);
  } catch (err) {
    throw new KubeConfigError(`cannot load kubeconfig: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError('kubeconfig has no current cluster: set KUBECONFIG or run inside a pod');
  const base: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(base);
  let cached = { at: Date.now(), headers: headersOf(base) };
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (Date.now() - cached.at > AUTH_REFRESH_MS) {
      const fresh: https.RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(fresh);
      cached = { at: Date.now(), headers: headersOf(fresh) };
    }
    return cached.headers;
  };
  return new KubeClient({
    server: cluster.server,
    tls: { ca: base.ca, cert: base.cert, key: base.key, rejectUnauthorized: base.rejectUnauthorized, servername: base.servername },
    authHeaders,
    ...(opts.observer ? { observer: opts.observer } : {}),
    userAgent: opts.userAgent ?? 'tollgate',
  });
}

function headersOf(o: https.RequestOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = String(v);
  if (o.auth) out.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  return out;
}
