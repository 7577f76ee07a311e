/** tollgate dashboard: the web UI on a loopback address, with the user's kubeconfig. */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Context } from '../context.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { Hub, resolveScope } from './hub.js';
import { dashboardApp } from './server.js';

export interface DashboardOptions {
  port: number;
  address: string;
  allowRemote: boolean;
  /** -n when given: that namespace alone; else every namespace the user may list. */
  namespace?: string;
}

export const DEFAULT_PORT = 3100;
export const DEFAULT_ADDRESS = '127.0.0.1';

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1') return true;
  return net.isIPv4(address) && address.startsWith('127.');
}

/** The wildcard addresses: a browser reaching them by another address sends a Host the guard refuses (hostsFor). */
const UNSPECIFIED = new net.BlockList();
UNSPECIFIED.addAddress('0.0.0.0', 'ipv4');
UNSPECIFIED.addAddress('::', 'ipv6');
const isUnspecified = (ip: string): boolean => net.isIP(ip) !== 0 && UNSPECIFIED.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4');

/** The address is a literal IP or localhost (not a wildcard), and loopback unless --allow-remote. */
export function checkAddress(address: string, allowRemote: boolean): void {
  if (address !== 'localhost' && !net.isIP(address))
    throw new UsageError(`--address must be an IP address or localhost, not "${address}"`, 'dashboard');
  if (isUnspecified(address))
    throw new UsageError(
      `--address ${address} is every address of the machine, and the dashboard accepts only a Host header naming the address it is reached at: give that one`,
      'dashboard',
    );
  if (!isLoopback(address) && !allowRemote)
    throw new UsageError(
      `--address ${address} is not a loopback address: anyone who reaches it acts with your credentials; add --allow-remote to bind it anyway`,
      'dashboard',
    );
}

/** The Host headers a browser sends for the bound address: the address itself, and the loopback names for loopback. */
export function hostsFor(address: string, port: number): Set<string> {
  const names = isLoopback(address) ? ['127.0.0.1', 'localhost', '[::1]'] : [address.includes(':') ? `[${address}]` : address];
  if (isLoopback(address) && !['127.0.0.1', 'localhost', '::1'].includes(address)) names.unshift(address);
  return new Set(names.map((h) => `${h}:${port}`));
}

function listen(server: http.Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(err.code === 'EADDRINUSE' ? `port ${port} on ${address} is in use: choose another with --port` : err.message)),
    );
    server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function dashboard(ctx: Context, o: DashboardOptions): Promise<number> {
  const scope = await resolveScope(ctx.kube, o.namespace, ctx.namespace, ctx.signal);
  const hub = new Hub({ kube: ctx.kube, scope, now: ctx.io.now });
  let hosts = new Set<string>();
  const app = dashboardApp({
    hub,
    actions: { kube: ctx.kube, cache: hub, io: ctx.io, feed: ctx.feed, prog: ctx.prog },
    csrf: randomBytes(32).toString('base64url'),
    allowedHosts: () => hosts,
    signal: ctx.signal,
    now: ctx.io.now,
  });
  const server = http.createServer(app);
  try {
    await hub.start(ctx.signal);
    const port = await listen(server, o.port, o.address);
    hosts = hostsFor(o.address, port);
    const shown = o.address.includes(':') ? `[${o.address}]` : o.address;
    ctx.io.stdout(
      `Tollgate dashboard on http://${shown}:${port}/ (${scope.namespaces.length ? `namespace ${scope.namespaces.join(', ')}` : 'all namespaces'}; Ctrl-C to stop)`,
    );
    if (scope.note) ctx.io.stdout(`Note: ${scope.note}.`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return EXIT.OK;
  } finally {
    server.closeAllConnections();
    server.close();
    hub.stop();
  }
}
