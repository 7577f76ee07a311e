import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../harness/paths.js';

/** The Kubernetes versions the local control plane runs: two prebuilt, one built from Debian's source. */
export const DEFAULT_PREBUILT = '1.36.2';
export const LEGACY = '1.20.2';

export function cacheDir(): string {
  return process.env.TOLLGATE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tollgate');
}

export function prebuiltDir(): string {
  return process.env.TOLLGATE_K8S_PREBUILT ?? path.join(ROOT, '..', 'shared', 'kubernetes');
}

/**
 * The version e2e/cluster/build-control-plane.sh provides, chosen the same way: TOLLGATE_K8S_VERSION, else
 * 1.36.2 when its prebuilt binaries are there (unpacked or not), else 1.20.2.
 */
export function chosenVersion(): string {
  const asked = process.env.TOLLGATE_K8S_VERSION;
  if (asked) return asked.replace(/^v/, '');
  const prebuilt = fs.existsSync(path.join(prebuiltDir(), `v${DEFAULT_PREBUILT}`, 'kube-apiserver.xz'))
    || fs.existsSync(path.join(cacheDir(), `k8s-v${DEFAULT_PREBUILT}`, 'kube-apiserver'));
  return prebuilt ? DEFAULT_PREBUILT : LEGACY;
}

/** Finds a binary in KUBEBUILDER_ASSETS, then the cache folder of the chosen version, then PATH. */
export function findBinary(name: string): string {
  const candidates = [
    process.env.KUBEBUILDER_ASSETS && path.join(process.env.KUBEBUILDER_ASSETS, name),
    path.join(cacheDir(), `k8s-v${chosenVersion()}`, name),
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, name)),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${name} not found (looked in ${candidates.slice(0, 2).join(', ')} and PATH): run e2e/cluster/build-control-plane.sh`);
  return found;
}

/** The minor version a Kubernetes binary reports with --version ("Kubernetes v1.36.2"). */
export function binaryMinor(binary: string): number {
  const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const m = /v1\.(\d+)\./.exec(out);
  if (!m) throw new Error(`${binary} --version printed no version: ${out.slice(0, 200)}`);
  return Number(m[1]);
}
