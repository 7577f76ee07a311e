import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { isAbout, sortEvents, type CoreEvent } from './canary.js';
import { CanaryNotFound, CliError, isNotFound, isNotServed } from './errors.js';

/** The flags every command accepts to find the cluster. */
export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /** --request-timeout: the deadline of each API request (watches aside); 0 for none. Unset: the client's 30 s. */
  requestTimeoutMs?: number;
}

interface Connection {
  kube: KubeClient;
  /** -n, else the namespace of the kubeconfig context, else "default". */
  namespace: string;
  /** The API server's address, for error messages. */
  server: string;
}

export type Connect = (o: ClusterOptions) => Promise<Connection>;

/**
 * Connects as kubectl does: --kubeconfig, else KUBECONFIG (a list of files), else ~/.kube/config, else the
 * in-cluster service account; --context, else the current context. Loaded lazily, so help and version stay fast.
 */
export const connect: Connect = async (o) => {
  const [{ KubeConfig }, { clientFromKubeConfig }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('@tollgate/operator/kube/config'),
  ]);
  const kc = new KubeConfig();
  try {
    if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(
      `cannot load the kubeconfig${o.kubeconfig ? ` ${o.kubeconfig}` : ''}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (o.context) {
    if (!kc.getContextObject(o.context)) {
      throw new CliError(
        `context "${o.context}" is not in the kubeconfig (contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    }
    kc.setCurrentContext(o.context);
  }
  const namespace = o.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  const server = kc.getCurrentCluster()?.server ?? '';
  try {
    const kube = await clientFromKubeConfig({
      kubeconfig: o.kubeconfig,
      context: o.context,
      userAgent: 'tollgate-cli',
      ...(o.requestTimeoutMs !== undefined ? { defaultTimeoutMs: o.requestTimeoutMs } : {}),
    });
    return { kube, namespace, server };
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
};

/** The Canary, or a not-found error that names the namespace (the usual mistake is the namespace). */
export async function getCanary(kube: KubeClient, namespace: string, name: string, signal?: AbortSignal): Promise<Canary> {
  try {
    return await kube.get<Canary>(Resources.canaries, namespace, name, signal);
  } catch (err) {
    if (isNotFound(err) && !isNotServed(err)) throw new CanaryNotFound(namespace, name);
    throw err;
  }
}

/** The Canary, or undefined when it does not exist. */
export async function findCanary(kube: KubeClient, namespace: string, name: string, signal?: AbortSignal): Promise<Canary | undefined> {
  try {
    return await kube.get<Canary>(Resources.canaries, namespace, name, signal);
  } catch (err) {
    if (isNotFound(err) && !isNotServed(err)) return undefined;
    throw err;
  }
}

/** core/v1 Events whose involvedObject is the Canary (of this uid when both carry one), oldest first. */
export async function canaryEvents(
  kube: KubeClient,
  namespace: string,
  name: string,
  uid?: string,
  signal?: AbortSignal,
): Promise<CoreEvent[]> {
  const fieldSelector = `involvedObject.kind=Canary,involvedObject.name=${name}`;
  const list = await kube.list<CoreEvent & KubeObject>(Resources.events, namespace, { fieldSelector }, signal);
  return sortEvents(list.items.filter((e) => isAbout(e, name, uid)));
}
