import { primaryName } from '@tollgate/contract/metadata';
import { parseDuration } from '../../api/duration.js';
import type { Canary, StringMatch } from '../../api/types.js';
import type { TargetInfo } from '../../targets/target.js';
import type { Routes, RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

type Json = Record<string, unknown>;

const RETRY_EVENTS = new Set(['server-error', 'gateway-error', 'client-error', 'stream-error']);

export const protocolOf = (canary: Canary): 'http' | 'http2' => (canary.spec.service?.portName === 'http2' ? 'http2' : 'http');
const routeKey = (canary: Canary): string => `${protocolOf(canary)}Route`;
const fqdn = (canary: Canary, name: string): string => `${name}.${canary.metadata.namespace}.svc.cluster.local`;

function appMeshDuration(text: string): Json {
  const ms = parseDuration(text);
  return ms % 1000 === 0 ? { unit: 's', value: ms / 1000 } : { unit: 'ms', value: Math.round(ms) };
}

/** The VirtualNode of the primary or the canary pods, discovered through their ClusterIP Service's DNS name. */
export function virtualNodeSpec(canary: Canary, target: TargetInfo, role: 'primary' | 'canary'): Json {
  const s = canary.spec.service!;
  const names = serviceNames(canary);
  const value = role === 'primary' ? primaryName(target.selectorValue) : target.selectorValue;
  const listener: Json = { portMapping: { port: s.port, protocol: protocolOf(canary) } };
  if (s.timeout) listener.timeout = { [protocolOf(canary)]: { perRequest: appMeshDuration(s.timeout) } };
  const backends = (s.backends ?? []).map((b) =>
    b.startsWith('arn:') ? { virtualService: { virtualServiceARN: b } } : { virtualService: { virtualServiceRef: { name: b } } },
  );
  return {
    podSelector: { matchLabels: { [target.selectorLabel]: value } },
    listeners: [listener],
    serviceDiscovery: { dns: { hostname: fqdn(canary, role === 'primary' ? names.primary : names.canary) } },
    ...(backends.length ? { backends } : {}),
  };
}

function routeExtras(canary: Canary): Json {
  const s = canary.spec.service!;
  const out: Json = {};
  if (s.retries?.attempts) {
    const events = (s.retries.retryOn ?? 'server-error,gateway-error')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => RETRY_EVENTS.has(e));
    out.retryPolicy = {
      maxRetries: s.retries.attempts,
      perRetryTimeout: appMeshDuration(s.retries.perTryTimeout ?? '5s'),
      httpRetryEvents: events.length ? events : ['server-error'],
    };
  }
  if (s.timeout) out.timeout = { perRequest: appMeshDuration(s.timeout) };
  return out;
}

const target = (name: string, weight: number): Json => ({ virtualNodeRef: { name }, weight });

function headerMatches(strategy: RouteStrategy): Json[] {
  const first = strategy.match[0] as { headers?: Record<string, StringMatch> } | undefined;
  return Object.entries(first?.headers ?? {}).map(([name, m]) => {
    const match =
      m.exact !== undefined
        ? { exact: m.exact }
        : m.prefix !== undefined
          ? { prefix: m.prefix }
          : m.suffix !== undefined
            ? { suffix: m.suffix }
            : { regex: m.regex ?? '.*' };
    return { name, match };
  });
}

/** The routes of the apex VirtualRouter: weighted, or for A/B a header-matched route before the default one. */
export function virtualRouterSpec(canary: Canary, routes: Routes, strategy: RouteStrategy): Json {
  const names = serviceNames(canary);
  const s = canary.spec.service!;
  const prefix = (s.match?.[0] as { uri?: StringMatch } | undefined)?.uri?.prefix ?? '/';
  const listeners = [{ portMapping: { port: s.port, protocol: protocolOf(canary) } }];
  const weighted = { weightedTargets: [target(names.primary, routes.primaryWeight), target(names.canary, routes.canaryWeight)] };
  const key = routeKey(canary);
  if (strategy.strategy !== 'ab-testing') {
    return { listeners, routes: [{ name: names.apex, [key]: { match: { prefix }, action: weighted, ...routeExtras(canary) } }] };
  }
  return {
    listeners,
    routes: [
      {
        name: `${names.apex}-a`,
        priority: 10,
        [key]: { match: { prefix, headers: headerMatches(strategy) }, action: weighted, ...routeExtras(canary) },
      },
      {
        name: `${names.apex}-b`,
        priority: 20,
        [key]: { match: { prefix }, action: { weightedTargets: [target(names.primary, 100)] }, ...routeExtras(canary) },
      },
    ],
  };
}

/** The router that sends everything to the canary, so tests can reach it through the mesh. */
export function canaryRouterSpec(canary: Canary): Json {
  const names = serviceNames(canary);
  const s = canary.spec.service!;
  return {
    listeners: [{ portMapping: { port: s.port, protocol: protocolOf(canary) } }],
    routes: [
      { name: names.canary, [routeKey(canary)]: { match: { prefix: '/' }, action: { weightedTargets: [target(names.canary, 100)] } } },
    ],
  };
}

export function virtualServiceSpec(canary: Canary, name: string, routerName: string): Json {
  return { awsName: fqdn(canary, name), provider: { virtualRouter: { virtualRouterRef: { name: routerName } } } };
}

/** Reads the split back from the route that targets both virtual nodes. */
export function routesOfVirtualRouter(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  for (const route of (spec?.routes ?? []) as Json[]) {
    const body = (route.httpRoute ?? route.http2Route) as Json | undefined;
    const targets = ((body?.action as Json | undefined)?.weightedTargets ?? []) as {
      virtualNodeRef?: { name?: string };
      weight?: number;
    }[];
    const p = targets.find((t) => t.virtualNodeRef?.name === names.primary);
    const c = targets.find((t) => t.virtualNodeRef?.name === names.canary);
    if (p && c) return { primaryWeight: Number(p.weight ?? 0), canaryWeight: Number(c.weight ?? 0), mirrored: false };
  }
  return undefined;
}
