#!/usr/bin/env node
// What the operator's cache of Secrets costs in memory, whole objects (before security finding 7) against
// metadata only (now). A benchmark, not a test.
//
//   npx tsc -b && node bench/secret-cache-memory.mjs --kubeconfig <file> [--count 2000] [--size 4096] [--runs 3]
//
// Creates --count Opaque Secrets of --size bytes of data each in namespace tollgate-bench-secrets (kept for a
// rerun; delete the namespace afterwards), then, in fresh `node --expose-gc` processes, lists and watches
// them with the operator's Informer (operator/dist/kube/informer.js), once caching whole Secrets and once
// with metadataOnly, and reports heapUsed and RSS after a forced GC, minus the same process's figures
// before the informer started. Each figure is the median of --runs processes. Talks to the given cluster only.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dist = (f) => path.join(repo, 'operator/dist', f);
const NS = 'tollgate-bench-secrets';

const { values } = parseArgs({ options: {
  kubeconfig: { type: 'string' }, count: { type: 'string', default: '2000' }, size: { type: 'string', default: '4096' }, runs: { type: 'string', default: '3' },
} });
const [count, size, runs] = [Number(values.count), Number(values.size), Number(values.runs)];
if (!values.kubeconfig || ![count, size, runs].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: node bench/secret-cache-memory.mjs --kubeconfig FILE [--count N] [--size BYTES] [--runs N]');
  process.exit(2);
}
if (!existsSync(dist('kube/informer.js'))) {
  console.error('operator/dist not found: run npx tsc -b first');
  process.exit(2);
}

async function createSecrets() {
  const { clientFromKubeConfig } = await import(pathToFileURL(dist('kube/config.js')).href);
  const { Resources } = await import(pathToFileURL(dist('kube/resources.js')).href);
  const client = await clientFromKubeConfig({ kubeconfig: values.kubeconfig });
  const exists = (err) => err?.code === 409;
  await client.create(Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch((e) => { if (!exists(e)) throw e; });
  const have = new Set((await client.list(Resources.secrets, NS)).items.map((s) => s.metadata.name));
  const data = { payload: Buffer.alloc(size, 'x').toString('base64') };
  const names = Array.from({ length: count }, (_, i) => `s-${i}`).filter((n) => !have.has(n));
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((name) => client.create(Resources.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'Opaque', data })));
  }
  client.close();
}

/** One fresh process: heap and RSS growth from a synced informer over the namespace's Secrets. */
function measure(metadataOnly) {
  const code = `
    const { clientFromKubeConfig } = await import(${JSON.stringify(pathToFileURL(dist('kube/config.js')).href)});
    const { Informer } = await import(${JSON.stringify(pathToFileURL(dist('kube/informer.js')).href)});
    const { Resources } = await import(${JSON.stringify(pathToFileURL(dist('kube/resources.js')).href)});
    const { silentLogger } = await import(${JSON.stringify(pathToFileURL(dist('util/log.js')).href)});
    const client = await clientFromKubeConfig({ kubeconfig: ${JSON.stringify(values.kubeconfig)} });
    const settle = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 100)); } return process.memoryUsage(); };
    const before = await settle();
    const informer = new Informer({ client, resource: Resources.secrets, namespaces: [${JSON.stringify(NS)}], logger: silentLogger(), metadataOnly: ${metadataOnly} });
    await informer.start();
    const after = await settle();
    process.stdout.write(JSON.stringify({ objects: informer.list().length, heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss }));
    informer.stop(); client.close();`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { cwd: path.join(repo, 'operator') }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => (b / 1024 / 1024).toFixed(1);

await createSecrets();
console.log(`${count} Secrets of ${size} bytes of data in ${NS}; median of ${runs} processes`);
console.log('cache              objects  heap growth (MiB)  RSS growth (MiB)');
for (const [label, metadataOnly] of [['whole Secrets', false], ['metadata only', true]]) {
  const r = [];
  for (let i = 0; i < runs; i++) r.push(await measure(metadataOnly));
  console.log(`${label.padEnd(18)} ${String(r[0].objects).padStart(7)}  ${mb(median(r.map((x) => x.heap))).padStart(17)}  ${mb(median(r.map((x) => x.rss))).padStart(16)}`);
}
