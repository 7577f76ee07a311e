import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

/**
 * helm 4 and a kubectl within one minor version of the API server (1.35 for 1.34 to 1.36, 1.21 for 1.20), as
 * scripts/tools.sh installs them into the project cache. The server's minor version comes from
 * TOLLGATE_K8S_MINOR (set by the e2e global setup); without it, 1.35.
 */
export interface KubeTools {
  bin: string;
  helm: string;
  kubectl: string;
}

export const TOOLS_SCRIPT = path.join(ROOT, 'scripts', 'tools.sh');

let found: KubeTools | undefined;

/** Runs scripts/tools.sh once per process (it installs on first use, then only prints the cached folder). */
export function kubeTools(): KubeTools {
  if (found) return found;
  const bin = execFileSync(TOOLS_SCRIPT, [kubectlMinorFor(Number(process.env.TOLLGATE_K8S_MINOR ?? 36))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  })
    .trim()
    .split('\n')
    .pop()!;
  const tools = { bin, helm: path.join(bin, 'helm'), kubectl: path.join(bin, 'kubectl') };
  for (const t of [tools.helm, tools.kubectl])
    if (!fs.existsSync(t)) throw new Error(`${TOOLS_SCRIPT} printed ${bin}, which holds no ${path.basename(t)}`);
  found = tools;
  return tools;
}

/** The kubectl minor version scripts/tools.sh offers for an API server's minor version. */
export function kubectlMinorFor(serverMinor: number): string {
  return serverMinor < 23 ? '21' : '35';
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  kubeconfig?: string;
  /** Where helm keeps its cache, config and data (kept out of the user's home). */
  stateDir?: string;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Runs helm or kubectl with the arguments given and resolves with the exit code and output; never rejects on
 * a non-zero exit, so tests can assert on failures and their messages.
 */
export function runTool(tool: 'helm' | 'kubectl', args: string[], o: ToolOptions = {}): Promise<ToolResult> {
  const t = kubeTools();
  const state = o.stateDir ?? path.join(ROOT, 'e2e', '.run', 'tools-state');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CACHE_HOME: path.join(state, 'helm-cache'),
    HELM_CONFIG_HOME: path.join(state, 'helm-config'),
    HELM_DATA_HOME: path.join(state, 'helm-data'),
    KUBECACHEDIR: path.join(state, 'kube-cache'),
  };
  if (o.kubeconfig) env.KUBECONFIG = o.kubeconfig;
  else delete env.KUBECONFIG;
  return new Promise((resolve) => {
    execFile(
      tool === 'helm' ? t.helm : t.kubectl,
      args,
      { env, cwd: o.cwd ?? ROOT, timeout: o.timeoutMs ?? 180_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** runTool, but rejects with the command and its stderr when it exits non-zero. */
export async function tool(name: 'helm' | 'kubectl', args: string[], o: ToolOptions = {}): Promise<string> {
  const r = await runTool(name, args, o);
  if (r.code !== 0) throw new Error(`${name} ${args.join(' ')} exited ${r.code}:\n${r.stderr || r.stdout}`);
  return r.stdout;
}
