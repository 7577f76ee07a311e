import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { kubeconfigYaml } from '../cluster/control-plane.js';
import { ROOT } from './paths.js';
import { tool } from './tools.js';

const CHART = path.join(ROOT, 'charts', 'tollgate');

/**
 * A token for a ServiceAccount from the TokenRequest API (served since 1.20; from 1.24 on, no token Secret is
 * created for a ServiceAccount any more), as the kubelet mounts one into a pod.
 */
export async function serviceAccountToken(kube: KubeClient, namespace: string, name: string, seconds = 7200): Promise<string> {
  const res = await kube.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: seconds } },
  });
  return res.status.token;
}

/** Writes a kubeconfig that authenticates as the ServiceAccount (mode 0600) and returns its path. */
export async function serviceAccountKubeconfig(
  kube: KubeClient,
  adminKubeconfig: string,
  o: { namespace: string; name: string; file: string },
): Promise<string> {
  const token = await serviceAccountToken(kube, o.namespace, o.name);
  const docs = loadAll(fs.readFileSync(adminKubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }[];
  const server = docs[0]!.clusters[0]!.cluster.server;
  fs.mkdirSync(path.dirname(o.file), { recursive: true });
  fs.writeFileSync(o.file, kubeconfigYaml(server, token, { user: o.name, namespace: o.namespace }), { mode: 0o600 });
  return o.file;
}

const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

/**
 * Renders the chart's operator with the values given (release `release` in `namespace`), applies only its
 * ServiceAccount and RBAC objects, and returns a kubeconfig of that ServiceAccount: an operator run with it
 * has exactly the rights the chart grants.
 */
export async function chartOperatorCredentials(
  kube: KubeClient,
  adminKubeconfig: string,
  o: { release: string; namespace: string; values: string[]; dir: string },
): Promise<string> {
  const rendered = await tool('helm', [
    'template',
    o.release,
    CHART,
    '--namespace',
    o.namespace,
    '--set',
    'hooks.enabled=false',
    ...o.values.flatMap((v) => ['--set', v]),
  ]);
  const rbac = (loadAll(rendered) as (KubeObject | null)[]).filter((d): d is KubeObject => Boolean(d && RBAC_KINDS.has(d.kind ?? '')));
  const file = path.join(o.dir, `${o.release}-rbac.yaml`);
  fs.mkdirSync(o.dir, { recursive: true });
  fs.writeFileSync(
    file,
    rbac
      .map((d) =>
        JSON.stringify({
          ...d,
          metadata: { ...d.metadata, namespace: d.metadata.namespace ?? (d.kind?.startsWith('Cluster') ? undefined : o.namespace) },
        }),
      )
      .join('\n---\n'),
  );
  await tool('kubectl', ['apply', '--server-side', '-f', file], { kubeconfig: adminKubeconfig });
  const sa = rbac.find((d) => d.kind === 'ServiceAccount');
  if (!sa) throw new Error(`the chart rendered no ServiceAccount with ${o.values.join(' ')}`);
  return serviceAccountKubeconfig(kube, adminKubeconfig, {
    namespace: o.namespace,
    name: sa.metadata.name!,
    file: path.join(o.dir, `${o.release}.kubeconfig`),
  });
}
