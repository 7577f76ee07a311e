import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration } from './api/duration.js';
import { CROSS_NAMESPACE_POLICIES } from './core/cross-namespace.js';
import { parseSecretTracking } from './targets/secret-scope.js';

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function durationIn(v: string, ctx: z.RefinementCtx): number {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2 };

/** A byte count: 65536, 64Ki, 1Mi (Kubernetes' binary suffixes). */
function sizeIn(v: string, ctx: z.RefinementCtx): number {
  const m = /^(\d+)(Ki|Mi)?$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a size such as 1Mi, 512Ki or 65536` });
    return z.NEVER;
  }
  return Number(m[1]) * SIZE_UNITS[m[2] ?? '']!;
}

const trueFalse = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');

const schema = z
  .object({
    kubeconfig: z.string().optional(),
    metricsServer: z.url({ message: 'must be a URL such as http://prometheus:9090' }),
    meshProvider: z.string().min(1),
    namespaces: z.string().transform(list),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    port: z.coerce.number().int().min(0).max(65535),
    workers: z.coerce.number().int().min(1).max(64),
    selectorLabels: z.string().transform(list).pipe(z.array(z.string()).min(1)),
    configTracking: trueFalse,
    secretTrackingNamespaces: z
      .string()
      .refine((v) => v.trim() === '*' || v.trim() === 'none' || /^[a-z0-9-]+(\s*,\s*[a-z0-9-]+)*$/.test(v.trim()), {
        message: 'must be *, none, or comma-separated namespace names',
      })
      .transform(parseSecretTracking),
    clusterName: z.string(),
    crossNamespaceRefs: z.enum(CROSS_NAMESPACE_POLICIES, { message: `must be one of ${CROSS_NAMESPACE_POLICIES.join(', ')}` }),
    leaderElect: trueFalse,
    leaderElectionNamespace: z.string(),
    shards: z.coerce.number().int().min(1).max(256),
    leaseDurationMs: z.string().transform(durationIn),
    renewDeadlineMs: z.string().transform(durationIn),
    retryPeriodMs: z.string().transform(durationIn),
    identity: z.string(),
    resyncMs: z.string().transform(durationIn),
    maxResponseBytes: z
      .string()
      .transform(sizeIn)
      .pipe(
        z
          .number()
          .min(1024, 'must be at least 1Ki')
          .max(64 * 1024 ** 2, 'must be at most 64Mi'),
      ),
    webhookMaxTimeoutMs: z.string().transform(durationIn).pipe(z.number().min(1000, 'must be at least 1s')),
    webhookMaxRetries: z.coerce.number().int().min(0).max(100),
    reconcileDeadlineMs: z.string().transform(durationIn).pipe(z.number().min(1000, 'must be at least 1s')),
    forbidInsecureTls: trueFalse,
    ambientCredentialsNamespaces: z.string().transform(list),
    kubeApiQps: z.coerce.number().positive('must be more than 0').max(100_000),
    kubeApiBurst: z.coerce.number().int().min(1).max(100_000),
    kubeWatchTimeoutMs: z
      .string()
      .transform(durationIn)
      .pipe(z.number().refine((ms) => ms === 0 || (ms >= 1000 && ms <= 3_600_000), 'must be 0 (4 to 5 minutes) or 1s to 1h')),
    flaggerCompatMetrics: trueFalse,
    eventsPerStep: trueFalse,
    maxConcurrentReleases: z.coerce.number().int().min(0).max(100_000),
    maxConcurrentReleasesPerNamespace: z.coerce.number().int().min(0).max(100_000),
  })
  .refine((c) => c.renewDeadlineMs < c.leaseDurationMs, { message: 'must be shorter than --lease-duration', path: ['renewDeadlineMs'] })
  .refine((c) => c.retryPeriodMs < c.renewDeadlineMs, { message: 'must be shorter than --renew-deadline', path: ['retryPeriodMs'] });

export type OperatorConfig = z.infer<typeof schema>;

/** Each setting: its flag, its environment variable and its default. The README lists the same. */
const SETTINGS = {
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG', default: undefined },
  metricsServer: { flag: 'metrics-server', env: 'METRICS_SERVER', default: 'http://prometheus:9090' },
  meshProvider: { flag: 'mesh-provider', env: 'MESH_PROVIDER', default: 'istio' },
  namespaces: { flag: 'namespace', env: 'WATCH_NAMESPACES', default: '' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', default: 'info' },
  port: { flag: 'port', env: 'PORT', default: '8080' },
  workers: { flag: 'workers', env: 'WORKERS', default: '16' },
  selectorLabels: { flag: 'selector-labels', env: 'SELECTOR_LABELS', default: 'app,name,app.kubernetes.io/name' },
  resyncMs: { flag: 'resync', env: 'RESYNC_INTERVAL', default: '5m' },
  configTracking: { flag: 'config-tracking', env: 'CONFIG_TRACKING', default: 'true' },
  secretTrackingNamespaces: { flag: 'secret-tracking-namespaces', env: 'SECRET_TRACKING_NAMESPACES', default: '*' },
  clusterName: { flag: 'cluster-name', env: 'CLUSTER_NAME', default: '' },
  crossNamespaceRefs: { flag: 'cross-namespace-refs', env: 'CROSS_NAMESPACE_REFS', default: 'opt-in' },
  leaderElect: { flag: 'leader-elect', env: 'LEADER_ELECT', default: 'false' },
  leaderElectionNamespace: { flag: 'leader-election-namespace', env: 'LEADER_ELECTION_NAMESPACE', default: '' },
  shards: { flag: 'shards', env: 'SHARDS', default: '1' },
  leaseDurationMs: { flag: 'lease-duration', env: 'LEASE_DURATION', default: '15s' },
  renewDeadlineMs: { flag: 'renew-deadline', env: 'RENEW_DEADLINE', default: '10s' },
  retryPeriodMs: { flag: 'retry-period', env: 'RETRY_PERIOD', default: '2s' },
  identity: { flag: 'identity', env: 'POD_NAME', default: '' },
  maxResponseBytes: { flag: 'max-response-size', env: 'MAX_RESPONSE_SIZE', default: '1Mi' },
  webhookMaxTimeoutMs: { flag: 'webhook-max-timeout', env: 'WEBHOOK_MAX_TIMEOUT', default: '2m' },
  webhookMaxRetries: { flag: 'webhook-max-retries', env: 'WEBHOOK_MAX_RETRIES', default: '5' },
  reconcileDeadlineMs: { flag: 'reconcile-deadline', env: 'RECONCILE_DEADLINE', default: '3m' },
  forbidInsecureTls: { flag: 'forbid-insecure-tls', env: 'FORBID_INSECURE_TLS', default: 'false' },
  ambientCredentialsNamespaces: { flag: 'ambient-credentials-namespaces', env: 'AMBIENT_CREDENTIALS_NAMESPACES', default: '' },
  kubeApiQps: { flag: 'kube-api-qps', env: 'KUBE_API_QPS', default: '100' },
  kubeApiBurst: { flag: 'kube-api-burst', env: 'KUBE_API_BURST', default: '250' },
  kubeWatchTimeoutMs: { flag: 'kube-watch-timeout', env: 'KUBE_WATCH_TIMEOUT', default: '0s' },
  flaggerCompatMetrics: { flag: 'flagger-compat-metrics', env: 'FLAGGER_COMPAT_METRICS', default: 'false' },
  eventsPerStep: { flag: 'events-per-step', env: 'EVENTS_PER_STEP', default: 'false' },
  maxConcurrentReleases: { flag: 'max-concurrent-releases', env: 'MAX_CONCURRENT_RELEASES', default: '0' },
  maxConcurrentReleasesPerNamespace: {
    flag: 'max-concurrent-releases-per-namespace',
    env: 'MAX_CONCURRENT_RELEASES_PER_NAMESPACE',
    default: '0',
  },
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads settings from flags (--metrics-server=...), then the environment, then defaults; validates them. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(
      `${(err as Error).message}; known flags: ${Object.values(SETTINGS)
        .map((s) => `--${s.flag}`)
        .join(' ')}`,
    );
  }
  const given = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const raw = Object.fromEntries(Object.entries(SETTINGS).map(([key, s]) => [key, given(flags[s.flag]) ?? given(env[s.env]) ?? s.default]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const s = SETTINGS[i.path[0] as keyof typeof SETTINGS];
      return `--${s.flag} / ${s.env}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
