import type https from 'node:https';
import type { Cluster, User } from '@kubernetes/client-node';
import { KubeClient, type RequestLimiter, type RequestObserver } from './client.js';
import {
  KubeConfigError,
  loadKubeConfig,
  needsClientNode,
  refreshingHeaders,
  staticConnection,
  type ClientConnection,
  type KubeConfigSelection,
  type KubeConfigSources,
  type RefreshOptions,
} from './kubeconfig.js';

export { KubeConfigError };

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  observer?: RequestObserver;
  userAgent?: string;
  /** Deadline of each request (watches aside), e.g. the CLI's --request-timeout; 0 for none. Unset: the client's default. */
  defaultTimeoutMs?: number;
  /** A token per request (the operator's --kube-api-qps and --kube-api-burst); none when unset. */
  limiter?: RequestLimiter;
}

/** Seams for tests: where the kubeconfig is looked for, the refresh clock, and the client-node fallback. */
export interface KubeConfigInternals extends RefreshOptions {
  sources?: KubeConfigSources;
  clientNode?: (sel: KubeConfigSelection, o: RefreshOptions) => Promise<ClientConnection>;
}

/**
 * Builds a KubeClient from a kubeconfig file (KUBECONFIG or ~/.kube/config) or, inside a pod,
 * from the in-cluster service account. Authentication headers are refreshed every minute so
 * rotated service-account tokens and exec-plugin credentials keep working.
 *
 * The kubeconfig is read by a small loader (./kubeconfig.ts); @kubernetes/client-node, which costs
 * ~80 MB of RSS to import, is loaded only for users with `exec` or `auth-provider` credentials.
 */
export function clientFromKubeConfig(opts: KubeConfigOptions): Promise<KubeClient> {
  return clientFromKubeConfigWith(opts, {});
}

/** @internal clientFromKubeConfig with injectable sources, clock and fallback. */
export async function clientFromKubeConfigWith(opts: KubeConfigOptions, internals: KubeConfigInternals): Promise<KubeClient> {
  const sel = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context }, internals.sources);
  const refresh: RefreshOptions = { refreshMs: internals.refreshMs, now: internals.now };
  const conn = needsClientNode(sel.user)
    ? await (internals.clientNode ?? clientNodeConnection)(sel, refresh)
    : await staticConnection(sel, refresh);
  return new KubeClient({
    ...conn,
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(opts.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: opts.defaultTimeoutMs } : {}),
    ...(opts.limiter ? { limiter: opts.limiter } : {}),
    userAgent: opts.userAgent ?? 'tollgate',
  });
}

/**
 * The former implementation, for plugin credentials (`exec`, `auth-provider`): @kubernetes/client-node
 * computes TLS options and headers from the selected cluster and user. File paths are already absolute.
 */
export async function clientNodeConnection(sel: KubeConfigSelection, o: RefreshOptions = {}): Promise<ClientConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { cluster: c, user: u } = sel;
  const cluster: Cluster = {
    name: c.name,
    server: c.server,
    skipTLSVerify: c.insecureSkipTlsVerify,
    ...(c.caData !== undefined ? { caData: c.caData } : {}),
    ...(c.caFile !== undefined ? { caFile: c.caFile } : {}),
    ...(c.tlsServerName !== undefined ? { tlsServerName: c.tlsServerName } : {}),
  };
  const users: User[] = u
    ? [
        {
          name: u.name,
          exec: u.exec,
          authProvider: u.authProvider,
          ...(u.token !== undefined ? { token: u.token } : {}),
          ...(u.certData !== undefined ? { certData: u.certData } : {}),
          ...(u.certFile !== undefined ? { certFile: u.certFile } : {}),
          ...(u.keyData !== undefined ? { keyData: u.keyData } : {}),
          ...(u.keyFile !== undefined ? { keyFile: u.keyFile } : {}),
          ...(u.username !== undefined ? { username: u.username } : {}),
          ...(u.password !== undefined ? { password: u.password } : {}),
          ...(u.impersonateUser !== undefined ? { impersonateUser: u.impersonateUser } : {}),
        },
      ]
    : [];
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users,
    contexts: [{ name: sel.context, cluster: c.name, user: u?.name ?? '' }],
    currentContext: sel.context,
  });
  const apply = async (): Promise<https.RequestOptions> => {
    const options: https.RequestOptions = { headers: {} };
    try {
      await kc.applyToHTTPSOptions(options);
    } catch (err) {
      throw new KubeConfigError(
        `cannot get credentials of user "${u?.name}" (${u?.origin}): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return options;
  };
  const base = await apply();
  let first: https.RequestOptions | undefined = base;
  const authHeaders = await refreshingHeaders(async () => {
    const options = first ?? (await apply());
    first = undefined;
    const headers = headersOf(options);
    if (u?.impersonateUid) headers['impersonate-uid'] = u.impersonateUid;
    return headers;
  }, o);
  return {
    server: c.server,
    tls: { ca: base.ca, cert: base.cert, key: base.key, rejectUnauthorized: base.rejectUnauthorized, servername: base.servername },
    authHeaders,
  };
}

function headersOf(o: https.RequestOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = String(v);
  if (o.auth) out.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  return out;
}
