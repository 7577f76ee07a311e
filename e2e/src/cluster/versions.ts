import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness/paths.js';

/** The script that chooses, unpacks or builds the control plane's binaries and prints their folder. */
export const CONTROL_PLANE_SCRIPT = path.join(ROOT, 'e2e', 'cluster', 'build-control-plane.sh');

let binDir: string | undefined;

/**
 * The folder of kube-apiserver and kube-controller-manager: what e2e/cluster/build-control-plane.sh prints
 * (it alone picks the version: TOLLGATE_K8S_VERSION, KUBEBUILDER_ASSETS, the prebuilt binaries, or 1.20
 * built from source). Run once per process; with the binaries in its cache it only prints the folder.
 */
function controlPlaneBinDir(): string {
  binDir ??=
    execFileSync(CONTROL_PLANE_SCRIPT, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 })
      .trim()
      .split('\n')
      .pop() ?? '';
  return binDir;
}

/** A control-plane binary from the script's folder, or (etcd) from PATH. */
export function findBinary(name: string): string {
  const candidates = [
    ...(name.startsWith('kube-') ? [path.join(controlPlaneBinDir(), name)] : []),
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, name)),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${name} not found (looked in ${candidates[0]} and PATH): run ${CONTROL_PLANE_SCRIPT}`);
  return found;
}

/** The minor version a Kubernetes binary reports with --version ("Kubernetes v1.36.2"). */
export function binaryMinor(binary: string): number {
  const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const m = /v1\.(\d+)\./.exec(out);
  if (!m) throw new Error(`${binary} --version printed no version: ${out.slice(0, 200)}`);
  return Number(m[1]);
}
