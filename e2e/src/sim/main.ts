import http from 'node:http';
import { parseArgs } from 'node:util';
import { clientFromKubeConfig } from '@tollgate/operator/kube/config';
import { createLogger } from '@tollgate/operator/util/log';
import { SimulatedKubelet } from './kubelet.js';
import { TrafficDriver } from './traffic.js';

/**
 * The simulator process used by e2e tests and the demo: a kubelet stand-in and the data-plane stand-in.
 * node dist/sim/main.js --kubeconfig FILE --metrics-port N [--no-apps] [--no-traffic]
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'metrics-port': { type: 'string', default: '0' },
      'no-apps': { type: 'boolean', default: false },
      'no-traffic': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const log = createLogger(values['log-level'] as 'info', 'tollgate-sim');
  const client = await clientFromKubeConfig({ kubeconfig: values.kubeconfig, userAgent: 'tollgate-sim' });
  const kubelet = new SimulatedKubelet(client, log.child({ part: 'kubelet' }), !values['no-apps']);
  await kubelet.start();
  const driver = values['no-traffic'] ? undefined : new TrafficDriver(client, log.child({ part: 'traffic' }));
  await driver?.start();
  const server = http.createServer((req, res) => {
    const svc = /^\/svc\/([a-z0-9-]+)\/([a-z0-9-]+)(\/.*)?$/.exec(req.url ?? '');
    if (svc && driver) {
      void driver
        .forward(svc[1]!, svc[2]!, { path: svc[3] ?? '/', method: req.method ?? 'GET', headers: {} })
        .then((code) => res.writeHead(code).end());
      return;
    }
    if (req.url === '/metrics' && driver) {
      void driver.metrics.registry
        .metrics()
        .then((m) => res.writeHead(200, { 'content-type': driver.metrics.registry.contentType }).end(m));
    } else res.writeHead(req.url === '/healthz' ? 200 : 404).end();
  });
  server.listen(Number(values['metrics-port']), '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    log.info({ port }, 'simulator ready');
  });
  const stop = (): void => {
    driver?.stop();
    void kubelet.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`simulator failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
