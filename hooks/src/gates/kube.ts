import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import { Informer } from '@tollgate/operator/kube/informer';
import { Resources } from '@tollgate/operator/kube/resources';
import type { Logger } from 'pino';
import { messageOf } from '../errors.js';
import { ConfigMapGateStore, type ConfigMap } from './configmap-store.js';
import { GATE_SELECTOR } from './names.js';
import { checkGateNamespace, GateStoreSetupError } from './preflight.js';

export interface StartedGateStore {
  readonly store: ConfigMapGateStore;
  stop(): void;
}

const SYNC_TIMEOUT_MS = 30_000;

/**
 * Connects to the cluster (KUBECONFIG, ~/.kube/config or in-cluster), checks access to the gate namespace,
 * and starts an informer on the labelled ConfigMaps there. Throws KubeConfigError or GateStoreSetupError.
 */
export async function startConfigMapGateStore(opts: {
  kubeconfig?: string;
  namespace: string;
  logger: Logger;
  userAgent: string;
}): Promise<StartedGateStore> {
  const client = await clientFromKubeConfig({ kubeconfig: opts.kubeconfig, userAgent: opts.userAgent }).catch((err: unknown) => {
    throw new GateStoreSetupError(
      `cannot load the cluster configuration (${messageOf(err)}): set KUBECONFIG to a valid kubeconfig file, or run in a pod with a service account`,
      { cause: err },
    );
  });
  const informer = new Informer<ConfigMap>({
    client,
    resource: Resources.configMaps,
    namespaces: [opts.namespace],
    labelSelector: GATE_SELECTOR,
    logger: opts.logger,
  });
  const stop = (): void => {
    informer.stop();
    client.close();
  };
  try {
    await checkGateNamespace(client, opts.namespace);
    await withTimeout(
      informer.start(),
      SYNC_TIMEOUT_MS,
      `the ConfigMaps of namespace ${opts.namespace} could not be listed within ${SYNC_TIMEOUT_MS / 1000}s`,
    );
  } catch (err) {
    stop();
    throw err;
  }
  return { store: new ConfigMapGateStore({ client, namespace: opts.namespace, cache: informer, logger: opts.logger }), stop };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GateStoreSetupError(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
