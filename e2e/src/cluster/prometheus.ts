import fs from 'node:fs';
import path from 'node:path';
import { freePort, startProcess, tail, waitFor, type ManagedProcess } from './processes.js';

export interface Prometheus {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian's package) scraping the given loopback targets every second, and evaluating the
 * given rule files (alerting and recording rules) every second.
 */
export async function startPrometheus(dir: string, targets: string[], ruleFiles: string[] = []): Promise<Prometheus> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(ruleFiles.length ? ['rule_files:', ...ruleFiles.map((f) => `  - '${f}'`)] : []),
    'scrape_configs:',
    '  - job_name: tollgate-e2e',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const logFile = path.join(dir, 'prometheus.log');
  const proc = startProcess(
    'prometheus',
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=2h',
    ],
    { logFile },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('prometheus ready', async () => (await fetch(`${url}/-/ready`)).ok, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${tail(logFile)}`);
  });
  return { url, process: proc, stop: () => proc.stop() };
}
