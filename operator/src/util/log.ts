import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The root logger: JSON lines on stdout, ISO timestamps, errors serialised with their cause. */
export function createLogger(level: LevelWithSilent = 'info', name = 'tollgate'): Logger {
  return pino({
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.errWithCause },
  });
}

/** A logger bound to one canary: every line carries canary=<name>.<namespace> as Flagger's do, plus the two fields. */
export function canaryLogger(root: Logger, namespace: string, name: string): Logger {
  return root.child({ canary: `${name}.${namespace}`, namespace, name });
}

/** A logger that drops everything, for tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
