// Starts one environment (control plane, CRDs, simulator, Prometheus) for the whole e2e run and writes
// its coordinates to e2e/.run/env.json for the tests. Plain ESM: jest loads global setup outside its transform.
import fs from 'node:fs';
import path from 'node:path';
import { startEnvironment } from '../dist/harness/environment.js';
import { ROOT } from '../dist/harness/paths.js';

export default async function globalSetup() {
  const runDir = path.join(ROOT, 'e2e', '.run');
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const env = await startEnvironment(path.join(runDir, 'environment'));
  fs.writeFileSync(path.join(runDir, 'env.json'), JSON.stringify({ kubeconfig: env.kubeconfig, prometheusUrl: env.prometheusUrl, simUrl: env.simUrl, dir: env.dir, external: env.external }));
  globalThis.__TOLLGATE_ENV__ = env;
}
