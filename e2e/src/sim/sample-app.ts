import http from 'node:http';

/**
 * The sample workload the simulated kubelet runs for each pod: answers every request, failing a share
 * of them (ERROR_RATE, 0..1) and adding latency (LATENCY_MS), so a test can release a bad revision by
 * changing the Deployment's env. ERROR_SPREAD=even fails exactly that share, spread evenly (request n fails when
 * floor((n + 1) × rate) > floor(n × rate): every 50th at 0.02), so a test of a rate threshold is not left to chance.
 * Exits when its parent (the simulator) goes away.
 */
const port = Number(process.env.PORT ?? 0);
const errorRate = Number(process.env.ERROR_RATE ?? 0);
const latencyMs = Number(process.env.LATENCY_MS ?? 0);
const evenly = process.env.ERROR_SPREAD === 'even';
let served = 0;
const version = process.env.VERSION ?? 'v1';
const pod = process.env.POD_NAME ?? 'unknown';

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200).end('ok');
    return;
  }
  const n = served++;
  const fail = evenly ? Math.floor((n + 1) * errorRate) > Math.floor(n * errorRate) : Math.random() < errorRate;
  const answer = (): void => {
    res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version, pod, ok: !fail }));
  };
  if (latencyMs > 0) setTimeout(answer, latencyMs * (0.8 + Math.random() * 0.4));
  else answer();
});

server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
