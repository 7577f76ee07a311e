// Starts one environment (control plane, CRDs, simulator, Prometheus) for the whole e2e run and writes
// its coordinates to <run dir>/env.json for the tests. Each run has its own directory under e2e/.run, so two
// runs on one machine do not disturb each other. Plain ESM: jest loads global setup outside its transform.
import fs from 'node:fs';
import path from 'node:path';
import { startEnvironment } from '../dist/harness/environment.js';
import { ROOT } from '../dist/harness/paths.js';

export default async function globalSetup() {
  const runDir = path.join(ROOT, 'e2e', '.run', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  fs.mkdirSync(runDir, { recursive: true });
  process.env.TOLLGATE_E2E_RUN_DIR = runDir;
  const env = await startEnvironment(path.join(runDir, 'environment'));
  fs.writeFileSync(
    path.join(runDir, 'env.json'),
    JSON.stringify({
      kubeconfig: env.kubeconfig,
      prometheusUrl: env.prometheusUrl,
      simUrl: env.simUrl,
      dir: env.dir,
      minor: env.minor,
      external: env.external,
      pids: env.pids,
    }),
  );
  // helm/kubectl (e2e/src/harness/tools.ts) pick a kubectl within one minor version of this server.
  process.env.TOLLGATE_K8S_MINOR = String(env.minor);
  console.log(`\n[e2e] Kubernetes API server v1.${env.minor} (${env.external ? 'KUBECONFIG' : 'local control plane'})`);
  globalThis.__TOLLGATE_ENV__ = env;
}
