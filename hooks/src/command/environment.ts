import { chmodSync, chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';

/**
 * The only variables of the service's environment that task processes get: the search path, locale and
 * time zone, how to reach the cluster (in-cluster variables, or KUBECONFIG when the service uses one), and
 * proxy and CA settings. Everything else (HOOKS_TOKEN, HOOKS_HMAC_KEY, any other secret, HELM_*, KUBECTL_*,
 * CURL_HOME, ...) stays out.
 */
const TASK_ENV_NAMES = [
  'PATH',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'KUBERNETES_SERVICE_HOST',
  'KUBERNETES_SERVICE_PORT',
  'KUBECONFIG',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
] as const;

/** The environment of task processes: the allowed variables of `env`, and HOME set to the read-only task home. */
export function taskEnvironment(env: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of TASK_ENV_NAMES) if (env[name] !== undefined) out[name] = env[name];
  out.HOME = home;
  return out;
}

/**
 * Makes the home and working directory of task processes: a new directory under `parent`, mode 0555, so
 * nothing can be created there (no ~/.kube/config, no helm plugin under ~/.local, no ~/.curlrc, no ~/.jq),
 * holding one writable directory, `.cache` (mode 0700, owned by `owner` when given), where helm keeps the
 * repository indexes and charts it downloads. A task under TASK_UID cannot change the mode of the home; a
 * task under the service's own uid could only with a program that calls chmod, and no allowed program does.
 */
export function makeTaskHome(parent: string, owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync(path.join(parent, 'tollgate-task-home-'));
  const cache = path.join(dir, '.cache');
  mkdirSync(cache, { mode: 0o700 });
  if (owner) chownSync(cache, owner.uid, owner.gid);
  chmodSync(dir, 0o555);
  return dir;
}
