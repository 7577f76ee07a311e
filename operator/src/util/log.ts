import { canaryKey } from '@tollgate/contract/metadata';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

/** An error as a log line carries it (the `err` field) */
interface LoggedError {
  type: string;
  message: string;
  code?: unknown;
  status?: unknown;
  stack?: string;
  cause?: LoggedError | string;
}

/**
 * The `err` field: type, message, code and status, stack, and the cause chain (3 deep). Only these: other own
 * properties of an error (a client's request config with its headers, a response body) never reach the log.
 */
function serializeError(err: unknown, depth = 0): LoggedError | string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown; status?: unknown };
  return {
    type: e.name,
    message: e.message,
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(e.stack ? { stack: e.stack } : {}),
    ...(e.cause !== undefined && depth < 3 ? { cause: serializeError(e.cause, depth + 1) } : {}),
  };
}

/** The root logger: JSON lines on stdout (or a test's stream), ISO timestamps, errors serialised with their cause. */
export function createLogger(level: LevelWithSilent = 'info', name = 'tollgate', stream?: DestinationStream): Logger {
  const options = {
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: (err: unknown) => serializeError(err) },
  };
  return stream ? pino(options, stream) : pino(options);
}

/** A logger bound to one canary: every line carries canary=<name>.<namespace> as Flagger's do, plus the two fields. */
export function canaryLogger(root: Logger, namespace: string, name: string): Logger {
  return root.child({ canary: canaryKey({ name, namespace }), namespace, name });
}

/** A logger that drops everything, for tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
