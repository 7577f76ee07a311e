#!/usr/bin/env node
// Compares the hooks service's built-in `load` generator (autocannon) with `hey` against the same local
// target, for the same duration, rate and concurrency. A benchmark, not a test: it prints numbers.
//
//   npm run build && node bench/load-vs-hey.mjs [--rate 200] [--duration 5s] [--concurrency 4]
//
// --rate 0 sends as fast as the target answers. The target runs in its own Node process on 127.0.0.1.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const generatorPath = new URL('../hooks/dist/load/generator.js', import.meta.url);

if (process.argv[2] === '--serve-target') serveTarget();
else await main();

/** The target: answers every request with a small body, in this child process. */
function serveTarget() {
  const body = Buffer.from('{"status":"ok"}');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

async function main() {
  const { values } = parseArgs({ options: { rate: { type: 'string', default: '200' }, duration: { type: 'string', default: '5s' }, concurrency: { type: 'string', default: '4' } } });
  const rate = Number(values.rate);
  const concurrency = Number(values.concurrency);
  const durationS = Number(values.duration.replace(/s$/, ''));
  if (![rate, concurrency, durationS].every(Number.isFinite) || concurrency < 1 || durationS <= 0 || rate < 0) {
    console.error('usage: node bench/load-vs-hey.mjs [--rate N (0 = unlimited)] [--duration Ns] [--concurrency N]');
    process.exit(2);
  }
  if (!existsSync(fileURLToPath(generatorPath))) {
    console.error('hooks is not built: run `npm run build` at the repository root first');
    process.exit(2);
  }
  const { runLoad } = await import(pathToFileURL(fileURLToPath(generatorPath)).href);
  const target = await startTarget();
  const url = `http://127.0.0.1:${target.port}/`;
  console.log(`target ${url} (own process); rate ${rate || 'unlimited'} req/s, ${durationS}s, concurrency ${concurrency}; 2 runs one after the other\n`);
  try {
    const builtIn = await runLoad({ url, rate, durationMs: durationS * 1000, concurrency }, new AbortController().signal);
    const heyResult = await runHey(url, rate, durationS, concurrency);
    printTable(builtIn, heyResult);
  } finally {
    target.child.kill('SIGTERM');
  }
}

function startTarget() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, '--serve-target'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
  });
}

/** Runs hey; undefined (with a hint) when it is not installed. hey's -q is per worker, so rate is divided by -c. */
function runHey(url, rate, durationS, concurrency) {
  const args = ['-z', `${durationS}s`, '-c', String(concurrency), ...(rate > 0 ? ['-q', String(rate / concurrency)] : []), url];
  return new Promise((resolve) => {
    execFile('hey', args, { maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
      if (err && err.code === 'ENOENT') {
        console.log('hey is not installed: `apt-get install hey` (Debian/Ubuntu) or `go install github.com/rakyll/hey@latest`\n');
        return resolve(undefined);
      }
      if (err) {
        console.log(`hey failed: ${err.message}\n`);
        return resolve(undefined);
      }
      resolve(parseHey(stdout));
    });
  });
}

function parseHey(text) {
  const num = (re) => Number(re.exec(text)?.[1] ?? NaN);
  const responses = [...text.matchAll(/\[(\d+)\]\s+(\d+) responses/g)].reduce((n, m) => n + Number(m[2]), 0);
  return {
    requests: responses,
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: num(/50% in ([\d.]+) secs/) * 1000,
    p99: num(/99% in ([\d.]+) secs/) * 1000,
    errors: /Error distribution:/.test(text) ? 'yes (see hey output)' : 0,
  };
}

function printTable(b, h) {
  const rows = [
    ['', 'built-in load (autocannon)', 'hey'],
    ['responses', b.requests, h?.requests ?? '-'],
    ['achieved req/s', b.rps.toFixed(1), h ? h.rps.toFixed(1) : '-'],
    ['p50 latency (ms)', b.latencyMs.p50.toFixed(2), h ? h.p50.toFixed(2) : '-'],
    ['p99 latency (ms)', b.latencyMs.p99.toFixed(2), h ? h.p99.toFixed(2) : '-'],
    ['errors', b.errors + b.non2xx, h?.errors ?? '-'],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('   '));
}
