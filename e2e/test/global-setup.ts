import fs from 'node:fs';
import path from 'node:path';
import { startEnvironment, type Environment } from '../src/harness/environment.js';
import { ENV_FILE, RUN_DIR } from './env.js';

/** Starts one environment for the whole e2e run; tests read its coordinates from env.json. */
export default async function globalSetup(): Promise<void> {
  fs.rmSync(RUN_DIR, { recursive: true, force: true });
  fs.mkdirSync(RUN_DIR, { recursive: true });
  const env: Environment = await startEnvironment(path.join(RUN_DIR, 'environment'));
  fs.writeFileSync(ENV_FILE, JSON.stringify({ kubeconfig: env.kubeconfig, prometheusUrl: env.prometheusUrl, dir: env.dir, external: env.external }));
  (globalThis as { __TOLLGATE_ENV__?: Environment }).__TOLLGATE_ENV__ = env;
}
