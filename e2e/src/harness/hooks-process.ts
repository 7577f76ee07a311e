import path from 'node:path';
import { freePort, startProcess, waitFor, type ManagedProcess } from '../cluster/processes.js';
import { HOOKS_MAIN } from './paths.js';

export interface HooksOptions {
  kubeconfig: string;
  gateNamespace: string;
  token: string;
  hmacKey: string;
  logDir: string;
}

/** The hooks service as a real process, started the way its README says, with its gate state in the cluster. */
export class HooksProcess {
  private proc: ManagedProcess | undefined;
  private starts = 0;
  port = 0;

  constructor(private readonly o: HooksOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.starts += 1;
    if (!this.port) this.port = await freePort();
    this.proc = startProcess('hooks', process.execPath, [HOOKS_MAIN], {
      logFile: path.join(this.o.logDir, `hooks-${this.starts}.log`),
      env: {
        ...process.env,
        KUBECONFIG: this.o.kubeconfig,
        PORT: String(this.port),
        GATE_NAMESPACE: this.o.gateNamespace,
        HOOKS_TOKEN: this.o.token,
        HOOKS_HMAC_KEY: this.o.hmacKey,
        LOG_LEVEL: 'debug',
      },
    });
    await waitFor('hooks /readyz', async () => (await fetch(`${this.url}/readyz`)).ok, 30_000);
  }

  async kill(): Promise<void> {
    await this.proc?.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGTERM');
  }
}
