import fs from 'node:fs';
import path from 'node:path';
import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { startControlPlane, type ControlPlane } from '../cluster/control-plane.js';
import { installCrds, serverMinorVersion } from '../cluster/crds.js';
import { freePort, startProcess, waitFor, type ManagedProcess } from '../cluster/processes.js';
import { startPrometheus, type Prometheus } from '../cluster/prometheus.js';
import { ISTIO_CRDS, OUR_CRDS, SIM_MAIN } from './paths.js';

/** What tests and the demo need to know about a running environment; written to env.json for jest. */
export interface EnvInfo {
  kubeconfig: string;
  prometheusUrl: string;
  /** The simulator: /metrics, and /svc/<namespace>/<service>/ to reach a Service as through the mesh. */
  simUrl: string;
  dir: string;
  /** The API server's minor version (36 for v1.36.2). */
  minor: number;
  /** Processes a fault test may pause and resume (absent for an external cluster). */
  pids: { apiserver?: number; etcd?: number; prometheus?: number; simulator?: number };
  external: boolean;
}

export interface Environment extends EnvInfo {
  client: KubeClient;
  stop(): Promise<void>;
}

/** Optional settings of startEnvironment. */
export interface EnvironmentOptions {
  /** Extra simulator flags, e.g. ['--no-apps', '--no-traffic'] for benchmarks (pods only marked Ready, no traffic). */
  simArgs?: string[];
}

/**
 * Brings up everything an end-to-end run needs: the local control plane (or the cluster in KUBECONFIG),
 * the project's and Istio's CRDs, the simulator (kubelet and data-plane stand-ins) and a real Prometheus
 * scraping the simulator's Istio-style metrics.
 */
export async function startEnvironment(dir: string, extraCrds: string[] = [], opts: EnvironmentOptions = {}): Promise<Environment> {
  fs.mkdirSync(dir, { recursive: true });
  const external = Boolean(process.env.KUBECONFIG);
  let cp: ControlPlane | undefined;
  const stops: (() => Promise<void>)[] = [];
  try {
    if (!external) {
      cp = await startControlPlane(path.join(dir, 'control-plane'));
      stops.push(() => cp!.stop());
    }
    const kubeconfig = external ? process.env.KUBECONFIG!.split(':')[0]! : cp!.kubeconfig;
    const client = await clientFromKubeConfig({ kubeconfig, userAgent: 'tollgate-e2e' });
    const minor = await serverMinorVersion(client);
    await installCrds(client, [...OUR_CRDS, ISTIO_CRDS, ...extraCrds]);
    const simPort = await freePort();
    const sim = startSim(kubeconfig, simPort, path.join(dir, 'sim.log'), opts.simArgs ?? []);
    stops.push(() => sim.stop());
    await waitFor('simulator', async () => (await fetch(`http://127.0.0.1:${simPort}/healthz`)).ok, 30_000);
    const prom: Prometheus = await startPrometheus(path.join(dir, 'prometheus'), [`127.0.0.1:${simPort}`]);
    stops.push(() => prom.stop());
    const stop = async (): Promise<void> => {
      client.close();
      for (const s of stops.reverse()) await s();
    };
    const pids = {
      ...(cp ? { apiserver: cp.pids.apiserver, etcd: cp.pids.etcd } : {}),
      prometheus: prom.process.child.pid,
      simulator: sim.child.pid,
    };
    return { kubeconfig, prometheusUrl: prom.url, simUrl: `http://127.0.0.1:${simPort}`, dir, minor, external, client, stop, pids };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw err;
  }
}

function startSim(kubeconfig: string, port: number, logFile: string, extraArgs: string[]): ManagedProcess {
  return startProcess('simulator', process.execPath, [SIM_MAIN, '--kubeconfig', kubeconfig, '--metrics-port', String(port), ...extraArgs], {
    logFile,
  });
}
