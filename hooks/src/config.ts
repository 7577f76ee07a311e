import { durationMs } from './tasks/metadata.js';
import type { LevelWithSilent } from 'pino';
import { z } from 'zod';
import { DEFAULT_ALLOWED_COMMANDS } from './command/allowlist.js';
import type { TaskUser } from './command/exec.js';
import { DEFAULT_LOAD_LIMITS, type LoadLimits } from './load/limits.js';

export interface HooksConfig {
  readonly port: number;
  readonly logLevel: LevelWithSilent;
  readonly token?: string;
  readonly hmacKey?: string;
  readonly insecure: boolean;
  readonly metricsPublic: boolean;
  readonly allowedCommands: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxRunningTasks: number;
  readonly taskTimeoutMs: number;
  readonly blockingTimeoutMs: number;
  readonly namespacePattern?: RegExp;
  readonly gateStore: 'kubernetes' | 'memory';
  readonly gateNamespace: string;
  readonly kubeconfig?: string;
  readonly shutdownGraceMs: number;
  readonly loadLimits: LoadLimits;
  /** Run task processes under this uid and gid (TASK_UID, TASK_GID). */
  readonly taskUser?: TaskUser;
}

/** A setting is missing or invalid; the message names the variable. main exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** File reads the configuration needs (secret files, the service account's namespace). */
export interface ConfigIo {
  readFile(path: string): string;
  exists(path: string): boolean;
}

export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const FALLBACK_GATE_NAMESPACE = 'tollgate-system';
const MIN_SECRET_LENGTH = 16;
/** Variables holding the service's secrets: removed from process.env once read. */
const SECRET_VARIABLES = ['HOOKS_TOKEN', 'HOOKS_HMAC_KEY'] as const;

const bool = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
const whole = (min: number, max: number): z.ZodType<number, string> =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(min).max(max));
const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const regexp = z.string().transform((v, ctx) => {
  try {
    return new RegExp(`^(?:${v})$`);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
    return z.NEVER;
  }
});

/** Keyed by variable name, so every problem names its variable. Empty values mean the default. */
const schema = z.object({
  PORT: whole(0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  HOOKS_TOKEN: z.string().optional(),
  HOOKS_TOKEN_FILE: z.string().optional(),
  HOOKS_HMAC_KEY: z.string().optional(),
  HOOKS_HMAC_KEY_FILE: z.string().optional(),
  HOOKS_INSECURE: bool,
  METRICS_PUBLIC: bool,
  ALLOWED_COMMANDS: z
    .string()
    .transform(list)
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9._+-]+$/, 'program names only, no paths')).min(1)),
  MAX_BODY_BYTES: whole(1024, 16 * 1024 * 1024),
  MAX_RUNNING_TASKS: whole(1, 1000),
  TASK_TIMEOUT: durationMs,
  BLOCKING_TIMEOUT: durationMs,
  NAMESPACE_REGEXP: regexp.optional(),
  GATE_STORE: z.enum(['kubernetes', 'memory']),
  GATE_NAMESPACE: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'),
  KUBECONFIG: z.string().optional(),
  SHUTDOWN_GRACE_MS: whole(0, 3_600_000),
  MAX_LOAD_RATE: whole(1, 1_000_000),
  MAX_LOAD_CONCURRENCY: whole(1, 10_000),
  MAX_LOAD_DURATION: durationMs,
  MAX_LOAD_REQUESTS: whole(1, 1_000_000_000),
  TASK_UID: whole(1, 2 ** 31 - 1).optional(),
  TASK_GID: whole(1, 2 ** 31 - 1).optional(),
});

type Variable = keyof typeof schema.shape;

const DEFAULTS: Partial<Record<Variable, string>> = {
  PORT: '8080',
  LOG_LEVEL: 'info',
  HOOKS_INSECURE: 'false',
  METRICS_PUBLIC: 'false',
  ALLOWED_COMMANDS: DEFAULT_ALLOWED_COMMANDS.join(','),
  MAX_BODY_BYTES: '65536',
  MAX_RUNNING_TASKS: '10',
  TASK_TIMEOUT: '1h',
  BLOCKING_TIMEOUT: '60s',
  GATE_STORE: 'kubernetes',
  SHUTDOWN_GRACE_MS: '10000',
  MAX_LOAD_RATE: String(DEFAULT_LOAD_LIMITS.maxRate),
  MAX_LOAD_CONCURRENCY: String(DEFAULT_LOAD_LIMITS.maxConcurrency),
  MAX_LOAD_DURATION: `${DEFAULT_LOAD_LIMITS.maxDurationMs / 60_000}m`,
  MAX_LOAD_REQUESTS: String(DEFAULT_LOAD_LIMITS.maxRequests),
};

/** Reads and validates the settings from the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, io: ConfigIo): HooksConfig {
  const given = (name: string): string | undefined => (env[name]?.trim() ? env[name] : undefined);
  const raw = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, given(k) ?? DEFAULTS[k as Variable]]));
  raw.GATE_NAMESPACE ??= given('POD_NAMESPACE') ?? serviceAccountNamespace(io) ?? FALLBACK_GATE_NAMESPACE;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
  }
  const v = parsed.data;
  const token = secret('HOOKS_TOKEN', v.HOOKS_TOKEN, v.HOOKS_TOKEN_FILE, io);
  const hmacKey = secret('HOOKS_HMAC_KEY', v.HOOKS_HMAC_KEY, v.HOOKS_HMAC_KEY_FILE, io);
  if (!token && !hmacKey && !v.HOOKS_INSECURE) {
    throw new ConfigError(
      'no credentials: set HOOKS_TOKEN (or HOOKS_TOKEN_FILE) and/or HOOKS_HMAC_KEY (or HOOKS_HMAC_KEY_FILE); ' +
        'HOOKS_INSECURE=true serves every endpoint without authentication',
    );
  }
  return {
    port: v.PORT,
    logLevel: v.LOG_LEVEL,
    token,
    hmacKey,
    insecure: v.HOOKS_INSECURE,
    metricsPublic: v.METRICS_PUBLIC,
    allowedCommands: v.ALLOWED_COMMANDS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    maxRunningTasks: v.MAX_RUNNING_TASKS,
    taskTimeoutMs: v.TASK_TIMEOUT,
    blockingTimeoutMs: v.BLOCKING_TIMEOUT,
    namespacePattern: v.NAMESPACE_REGEXP,
    gateStore: v.GATE_STORE,
    gateNamespace: v.GATE_NAMESPACE,
    kubeconfig: v.KUBECONFIG,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    loadLimits: {
      maxRate: v.MAX_LOAD_RATE,
      maxConcurrency: v.MAX_LOAD_CONCURRENCY,
      maxDurationMs: v.MAX_LOAD_DURATION,
      maxRequests: v.MAX_LOAD_REQUESTS,
    },
    ...taskUser(v.TASK_UID, v.TASK_GID),
  };
}

function taskUser(uid: number | undefined, gid: number | undefined): { taskUser?: TaskUser } {
  if (uid === undefined && gid !== undefined) throw new ConfigError('TASK_GID: set together with TASK_UID');
  return uid === undefined ? {} : { taskUser: { uid, gid: gid ?? uid } };
}

/** A secret from its variable or from the file its _FILE variable names (surrounding whitespace trimmed). */
function secret(name: string, value: string | undefined, file: string | undefined, io: ConfigIo): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError(`set ${name} or ${name}_FILE, not both`);
  let text = value;
  if (file !== undefined) {
    try {
      text = io.readFile(file);
    } catch (err) {
      throw new ConfigError(`${name}_FILE: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const source = file !== undefined ? `${name}_FILE` : name;
  if (trimmed.length < MIN_SECRET_LENGTH) throw new ConfigError(`${source}: the secret must be at least ${MIN_SECRET_LENGTH} characters`);
  if (/\s/.test(trimmed)) throw new ConfigError(`${source}: the secret must not contain whitespace`);
  return trimmed;
}

function serviceAccountNamespace(io: ConfigIo): string | undefined {
  if (!io.exists(SERVICE_ACCOUNT_NAMESPACE_FILE)) return undefined;
  try {
    return io.readFile(SERVICE_ACCOUNT_NAMESPACE_FILE).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the secret variables from env (process.env once the settings are read), so that nothing this
 * process starts inherits them; returns the names that were set. The kernel's copy of the initial
 * environment (/proc/<pid>/environ) keeps them for the life of the process: hence the _FILE settings.
 */
export function scrubSecrets(env: NodeJS.ProcessEnv): string[] {
  const present = SECRET_VARIABLES.filter((k) => env[k] !== undefined);
  for (const k of present) delete env[k];
  return present;
}
