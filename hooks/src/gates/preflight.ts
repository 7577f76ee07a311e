import type { KubeClient } from '@tollgate/operator/kube/client';
import { isAlreadyExists, isNotFound, KubeApiError, KubeConnectionError } from '@tollgate/operator/kube/errors';
import { resourcePath, Resources } from '@tollgate/operator/kube/resources';
import { messageOf } from '../errors.js';
import { MANAGED_BY, MANAGED_BY_LABEL } from './names.js';

/** The gate store cannot work: the message says what to fix. */
export class GateStoreSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GateStoreSetupError';
  }
}

export type PreflightClient = Pick<KubeClient, 'request'>;

const VERBS = ['get', 'list', 'watch', 'create', 'update'] as const;
const TIMEOUT_MS = 10_000;
const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/**
 * Checks at start that the API server answers, that this identity may get, list, watch, create and update
 * ConfigMaps in the gate namespace, and that the namespace exists (a dry-run create). Throws GateStoreSetupError.
 */
export async function checkGateNamespace(client: PreflightClient, namespace: string): Promise<void> {
  let denied: string[];
  try {
    denied = await deniedVerbs(client, namespace);
  } catch (err) {
    throw explain(err, namespace);
  }
  if (denied.length > 0) {
    throw new GateStoreSetupError(
      `this identity may not ${denied.join(', ')} configmaps in namespace ${namespace}: grant it a Role with get, list, watch, ` +
        `create and update on configmaps in ${namespace}, or set GATE_NAMESPACE to a namespace where it has them`,
    );
  }
  try {
    await client.request('POST', resourcePath(Resources.configMaps, namespace), {
      query: { dryRun: 'All' },
      body: probe(namespace),
      timeoutMs: TIMEOUT_MS,
    });
  } catch (err) {
    if (isAlreadyExists(err)) return;
    if (isNotFound(err)) {
      throw new GateStoreSetupError(
        `namespace ${namespace} does not exist: create it (kubectl create namespace ${namespace}) or set GATE_NAMESPACE to an existing namespace`,
      );
    }
    throw explain(err, namespace);
  }
}

async function deniedVerbs(client: PreflightClient, namespace: string): Promise<string[]> {
  const answers = await Promise.all(
    VERBS.map(async (verb) => {
      const review = await client.request<{ status?: { allowed?: boolean } }>('POST', SSAR_PATH, {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb, resource: 'configmaps' } },
        },
        timeoutMs: TIMEOUT_MS,
      });
      return review.status?.allowed === true ? undefined : verb;
    }),
  );
  return answers.filter((v): v is (typeof VERBS)[number] => v !== undefined);
}

function probe(namespace: string): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'tollgate-hooks-preflight', namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    data: {},
  };
}

function explain(err: unknown, namespace: string): GateStoreSetupError {
  if (err instanceof KubeConnectionError) {
    const cause = err.cause instanceof Error ? err.cause.message : err.message;
    return new GateStoreSetupError(
      `cannot reach the Kubernetes API server (${cause}): set KUBECONFIG to a reachable cluster, or run in a pod with a service account`,
      { cause: err },
    );
  }
  if (err instanceof KubeApiError && err.status === 401) {
    return new GateStoreSetupError(
      'the Kubernetes API server rejected the credentials (401 Unauthorized): check KUBECONFIG or the service account token',
      { cause: err },
    );
  }
  if (err instanceof KubeApiError && err.status === 403) {
    return new GateStoreSetupError(
      `permission denied on configmaps in namespace ${namespace} (${err.message}): grant get, list, watch, create and update on configmaps there`,
      { cause: err },
    );
  }
  return new GateStoreSetupError(`the Kubernetes API server refused the gate store check: ${messageOf(err)}`, { cause: err });
}
