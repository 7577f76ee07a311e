#!/usr/bin/env node
// What loading the kubeconfig costs in resident memory: each case runs in a fresh `node` process, which
// prints process.memoryUsage().rss after settling for ~200 ms (no forced GC). A benchmark, not a test.
//
//   npx tsc -b && node bench/kubeconfig-memory.mjs [--runs 5]
//
// Cases: a bare node process; importing operator/dist/kube/config.js; that import plus building a client
// from a token kubeconfig (the small loader; @kubernetes/client-node stays unloaded); importing
// @kubernetes/client-node alone. Each figure is the median of --runs processes.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = fileURLToPath(new URL('..', import.meta.url));
const configJs = path.join(repo, 'operator/dist/kube/config.js');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/kubeconfig-memory.mjs [--runs N]');
  process.exit(2);
}
if (!existsSync(configJs)) {
  console.error(`${configJs} not found: run npx tsc -b first`);
  process.exit(2);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-kubeconfig-memory-'));
const kubeconfig = path.join(tmp, 'kubeconfig');
writeFileSync(kubeconfig, [
  'apiVersion: v1', 'kind: Config', 'current-context: bench',
  'clusters: [{name: bench, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]',
  'users: [{name: bench, user: {token: bench-token}}]',
  'contexts: [{name: bench, context: {cluster: bench, user: bench}}]', '',
].join('\n'));

const settle = 'await new Promise((r) => setTimeout(r, 200)); process.stdout.write(String(process.memoryUsage().rss));';
const configUrl = JSON.stringify(pathToFileURL(configJs).href);
const cases = [
  ['bare node', ''],
  ['import operator/dist/kube/config.js', `await import(${configUrl});`],
  ['config.js + clientFromKubeConfig (token user)',
    `const { clientFromKubeConfig } = await import(${configUrl}); globalThis.client = await clientFromKubeConfig({ kubeconfig: ${JSON.stringify(kubeconfig)} });`],
  ['import @kubernetes/client-node', `await import('@kubernetes/client-node');`],
];

/** RSS in bytes of one fresh process running `code`; cwd is operator/ so the bare specifier resolves. */
function measure(code) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code + settle], { cwd: path.join(repo, 'operator') }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(Number(stdout));
    });
  });
}

const mb = (b) => (b / 1024 / 1024).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  console.log(`node ${process.version}, ${runs} processes per case, RSS after ~200 ms\n`);
  const rows = [];
  let bare;
  for (const [name, code] of cases) {
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await measure(code));
    const m = median(samples);
    bare ??= m;
    rows.push([name, mb(m), `${m === bare ? '' : '+'}${mb(m - bare)}`, `${mb(Math.min(...samples))}–${mb(Math.max(...samples))}`]);
  }
  const head = ['case', 'RSS MB (median)', 'vs bare', 'min–max'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
