/** What the benchmarks measure the same way: /proc samples of processes and the machine, quantiles, bounded concurrency. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcSample {
  cpuSeconds: number;
  rssMb: number;
  hwmMb: number;
}

/** Process ids by the name they are reported under. */
export type Pids = Record<string, number | undefined>;

export function procSample(pid: number | undefined): ProcSample | undefined {
  if (!pid) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (/proc/stat), to tell our processes from everything else. */
export function machineCpu(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** A sample of each named process (undefined for one that is gone). */
export function sampleAll(pids: Pids): Record<string, ProcSample | undefined> {
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procSample(pid)]));
}

/** CPU each process used between two samples, in cores (1 is one whole core). */
export function cpuCores(
  before: Record<string, ProcSample | undefined>,
  after: Record<string, ProcSample | undefined>,
  seconds: number,
): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k]?.cpuSeconds ?? 0) - (before[k]?.cpuSeconds ?? 0)) / seconds]));
}

/** A whole-number command-line value of at least min, or an error naming the flag. */
export function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number >= ${min} (got ${value})`);
  return n;
}

export const loadAvg = (): string => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The controller-manager's pid, from the local control plane's pid file. */
export function readKcmPid(envDir: string): number | undefined {
  try {
    const line = fs
      .readFileSync(path.join(envDir, 'control-plane', 'pids'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('kube-controller-manager '));
    return line ? Number(line.split(' ')[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The q-quantile of the values (nearest rank). */
export function quantile(values: number[], q: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      if (stop()) return;
      await fn(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
