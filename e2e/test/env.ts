import fs from 'node:fs';
import path from 'node:path';
import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import type { KubeClient } from '@tollgate/operator/kube/client';
import type { EnvInfo } from '../src/harness/environment.js';
import { ROOT } from '../src/harness/paths.js';

/** This run's directory (logs, env.json), set by global-setup.mjs. */
export const RUN_DIR = process.env.TOLLGATE_E2E_RUN_DIR ?? path.join(ROOT, 'e2e', '.run', 'unknown');
export const ENV_FILE = path.join(RUN_DIR, 'env.json');

export function envInfo(): EnvInfo {
  return JSON.parse(fs.readFileSync(ENV_FILE, 'utf8')) as EnvInfo;
}

export function client(): Promise<KubeClient> {
  return clientFromKubeConfig({ kubeconfig: envInfo().kubeconfig, userAgent: 'tollgate-e2e-test' });
}

/** A namespace name unique to this run. */
export const uniqueNs = (prefix: string): string => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

/**
 * The compatibility pass (`make test-e2e-compat`, TOLLGATE_E2E_COMPAT=1) reruns the version-sensitive suites on
 * another Kubernetes version. Within them, a test that makes no API request an earlier test of the suite has not
 * made (the same objects, the same verbs: a rollback, Prometheus' fault, a restart) proves nothing new about the
 * version: it is declared with `itOnMainPass`, which is `it` in the main pass and `it.skip` in the compatibility pass.
 */
/** False in the compatibility pass: for such a check run inside a test rather than as one (providers.e2e's pooled cases). */
export const onMainPass = !process.env.TOLLGATE_E2E_COMPAT;
export const itOnMainPass: jest.It = onMainPass ? it : it.skip;
