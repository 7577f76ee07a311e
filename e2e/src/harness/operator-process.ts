import path from 'node:path';
import { startProcess, type ManagedProcess } from '../cluster/processes.js';
import { OPERATOR_LAUNCHER } from './paths.js';

export interface OperatorOptions {
  kubeconfig: string;
  prometheusUrl: string;
  namespaces: string[];
  logDir: string;
  provider?: string;
  extraEnv?: Record<string, string>;
  /** Names the log file (several replicas watching the same namespaces). */
  label?: string;
}

/**
 * The operator as a real process, started the way its README says: `npm start` runs operator/bin/tollgate-operator
 * (dist/main.js with the memory settings) with this process's Node.js first on PATH, and env settings.
 */
export class OperatorProcess {
  private proc: ManagedProcess | undefined;
  private starts = 0;

  constructor(private readonly o: OperatorOptions) {}

  start(): void {
    this.starts += 1;
    this.proc = startProcess('operator', OPERATOR_LAUNCHER, [], {
      logFile: path.join(
        this.o.logDir,
        `operator-${this.o.label ?? this.o.namespaces[0] ?? 'all'}${this.o.namespaces.length > 1 ? `-and-${this.o.namespaces.length - 1}` : ''}-${this.starts}.log`,
      ),
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
        KUBECONFIG: this.o.kubeconfig,
        METRICS_SERVER: this.o.prometheusUrl,
        MESH_PROVIDER: this.o.provider ?? 'istio',
        WATCH_NAMESPACES: this.o.namespaces.join(','),
        PORT: '0',
        LOG_LEVEL: 'debug',
        ...this.o.extraEnv,
      },
    });
  }

  /** The process id while it runs (for /proc sampling). */
  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  /** SIGKILL: no chance to clean up, as in a node crash. */
  async kill(): Promise<void> {
    await this.proc?.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGTERM');
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return Boolean(this.proc && this.proc.child.exitCode === null && this.proc.child.signalCode === null);
  }

  get logFile(): string | undefined {
    return this.proc?.logFile;
  }
}
