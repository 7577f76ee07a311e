import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A free TCP port on loopback (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a long-running process with its output in logFile; stop() sends SIGTERM, then SIGKILL after graceMs. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  o: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; graceMs?: number },
): ManagedProcess {
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  const out = fs.openSync(o.logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out], env: o.env ?? process.env, cwd: o.cwd });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  return {
    name,
    child,
    logFile: o.logFile,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), o.graceMs ?? 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls check() until it resolves true, or throws after timeoutMs with the last error. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`,
  );
}

/** Last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
