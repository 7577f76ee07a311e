/**
 * API server write capacity (a benchmark, not a test): how many writes per second the local control plane
 * takes with no operator running, the ceiling under every figure of the scale benchmark. K Canaries are
 * created (nobody reconciles them), then their status is replaced as fast as C concurrent writers can, for D
 * seconds per C; a Canary status PUT is the write the operator makes most, and one of the dearest (a CRD).
 *
 *   npx tsc -b && node e2e/dist/bench/api-capacity.js [--objects 500] [--concurrency 4,16,64] [--seconds 20]
 *
 * Prints a table and writes bench/results/apiserver-capacity.md (--out to change).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import { Resources } from '@tollgate/operator/kube/resources';
import { startEnvironment } from '../harness/environment.js';
import { canaryFor, createNamespace } from '../harness/fixtures.js';
import { ROOT } from '../harness/paths.js';
import { cpuCores, loadAvg, machineCpu, pool, quantile, readKcmPid, sampleAll, wholeNumber, type Pids } from './measure.js';

interface Options {
  objects: number;
  concurrency: number[];
  seconds: number;
  out: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      objects: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '4,16,64' },
      seconds: { type: 'string', default: '20' },
      out: { type: 'string', default: path.join(ROOT, 'bench', 'results', 'apiserver-capacity.md') },
    },
  });
  return {
    objects: wholeNumber('objects', values.objects, 1),
    concurrency: values.concurrency.split(',').map((c) => wholeNumber('concurrency', c.trim(), 1)),
    seconds: wholeNumber('seconds', values.seconds, 1),
    out: path.resolve(values.out),
  };
}

interface Row {
  concurrency: number;
  writes: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: Record<string, number>;
  machine: number;
}

/** C writers replace the status of the Canaries round-robin, each write starting from the last one's answer. */
async function measure(client: KubeClient, canaries: Canary[], concurrency: number, seconds: number, pids: Pids): Promise<Row> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const before = { procs: sampleAll(pids), machine: machineCpu(), at: Date.now() };
  const end = Date.now() + seconds * 1000;
  await pool(
    Array.from({ length: concurrency }, (_, i) => i),
    concurrency,
    async () => {
      while (Date.now() < end) {
        const i = next++ % canaries.length;
        const c = canaries[i]!;
        const t = performance.now();
        try {
          canaries[i] = await client.replaceStatus(Resources.canaries, {
            ...c,
            status: { ...c.status, lastAnalysisTime: new Date().toISOString() },
          });
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    },
  );
  const window = (Date.now() - before.at) / 1000;
  const cpu = Object.fromEntries(Object.entries(cpuCores(before.procs, sampleAll(pids), window)).map(([k, cores]) => [k, cores * 100]));
  return {
    concurrency,
    writes: latencies.length,
    perSecond: latencies.length / window,
    errors,
    p50: quantile(latencies, 0.5) ?? NaN,
    p99: quantile(latencies, 0.99) ?? NaN,
    cpu,
    machine: ((machineCpu().busy - before.machine.busy) / window) * 100,
  };
}

function report(o: Options, rows: Row[], started: Date, load: string): string {
  const procs = Object.keys(rows[0]?.cpu ?? {});
  return [
    '# API server write capacity',
    '',
    `Written by \`node e2e/dist/bench/api-capacity.js\` (see [../README.md](../README.md#api-server-capacity)). Started ${started.toISOString()}; ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}); load average at start ${load}; Node ${process.version}.`,
    '',
    `Settings: \`--objects ${o.objects} --concurrency ${o.concurrency.join(',')} --seconds ${o.seconds}\`; the local control plane ` +
      "(kube-apiserver and kube-controller-manager 1.20, etcd) on this machine, no operator; every write is a PUT of a Canary's status.",
    '',
    `| writers | writes | writes/s | latency p50 ms | latency p99 ms | errors | ${procs.map((p) => `${p} CPU %`).join(' | ')} | machine busy % |`,
    `| --- | --- | --- | --- | --- | --- | ${procs.map(() => '---').join(' | ')} | --- |`,
    ...rows.map(
      (r) =>
        `| ${r.concurrency} | ${r.writes} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${procs.map((p) => (r.cpu[p] ?? 0).toFixed(0)).join(' | ')} | ${r.machine.toFixed(0)} |`,
    ),
    '',
    'CPU % is of one core (200% is the whole machine).',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = options();
  const started = new Date();
  const load = loadAvg();
  const dir = path.join(ROOT, 'e2e', '.run', `bench-api-${started.toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  const env = await startEnvironment(path.join(dir, 'environment'), [], { simArgs: ['--no-apps', '--no-traffic'] });
  const client = await clientFromKubeConfig({ kubeconfig: env.kubeconfig, userAgent: 'tollgate-bench' });
  try {
    await createNamespace(client, 'capacity');
    const canaries: Canary[] = [];
    await pool(
      Array.from({ length: o.objects }, (_, i) => i),
      16,
      async (i) => {
        canaries.push(await client.create(Resources.canaries, canaryFor('istio', 'capacity', `app-${String(i).padStart(4, '0')}`)));
      },
    );
    const pids = { apiserver: env.pids.apiserver, etcd: env.pids.etcd, 'controller-manager': readKcmPid(env.dir), bench: process.pid };
    const rows: Row[] = [];
    for (const c of o.concurrency) {
      const row = await measure(client, canaries, c, o.seconds, pids);
      rows.push(row);
      process.stdout.write(
        `${c} writers: ${row.perSecond.toFixed(0)} writes/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, apiserver ${row.cpu.apiserver?.toFixed(0)}% CPU\n`,
      );
    }
    const md = report(o, rows, started, load);
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(o.out, md);
    process.stdout.write(`\n${md}`);
  } finally {
    client.close();
    await env.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`api-capacity benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
