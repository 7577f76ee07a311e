import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './harness/paths.js';
import { kubeTools } from './harness/tools.js';

export interface DemoDashboard {
  /** The page of the demo's Canary. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `kubectl tollgate dashboard -n <namespace> --port <port>` as a user would: kubectl (the e2e tools' one) finds
 * the plugin `kubectl-tollgate` that npm linked into node_modules/.bin, and the dashboard uses the demo's kubeconfig.
 * Resolves once the dashboard prints its address.
 */
export function startDemoDashboard(kubeconfig: string, namespace: string, canary: string, port: string): Promise<DemoDashboard> {
  const tools = kubeTools();
  const child = spawn(tools.kubectl, ['tollgate', 'dashboard', '-n', namespace, '--port', port], {
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      PATH: [path.join(ROOT, 'node_modules', '.bin'), tools.bin, process.env.PATH ?? ''].join(path.delimiter),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the dashboard did not start within 60 s: ${out}`)), 60_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(err);
    };
    const read = (d: Buffer): void => {
      out += d.toString();
      const base = /Tollgate dashboard on (http:\/\/\S+\/)/.exec(out)?.[1];
      if (!base) return;
      clearTimeout(timer);
      child.stdout.off('data', read);
      resolve({ url: `${base}canaries/${namespace}/${canary}`, stop: () => stopChild(child) });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`kubectl tollgate dashboard exited (${code}): ${out}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}
