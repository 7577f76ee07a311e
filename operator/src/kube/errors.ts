/** A non-2xx answer of the Kubernetes API, with its Status reason. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly verb: string,
    readonly path: string,
  ) {
    super(`${verb} ${path}: ${status} ${reason}: ${message}`);
    this.name = 'KubeApiError';
  }
}

/** The API server could not be reached or the connection broke. */
export class KubeConnectionError extends Error {
  constructor(verb: string, path: string, cause: unknown) {
    super(`${verb} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'KubeConnectionError';
  }
}

/** A watch delivered nothing, not even a bookmark, for idleMs: the connection is taken for dead and closed. */
export class WatchStalledError extends Error {
  constructor(
    readonly path: string,
    readonly idleMs: number,
  ) {
    super(`WATCH ${path}: nothing received for ${idleMs}ms (stalled)`);
    this.name = 'WatchStalledError';
  }
}

const hasStatus = (err: unknown, status: number): boolean => err instanceof KubeApiError && err.status === status;
export const isNotFound = (err: unknown): boolean => hasStatus(err, 404);
export const isConflict = (err: unknown): boolean => hasStatus(err, 409);
export const isAlreadyExists = (err: unknown): boolean => isConflict(err) && (err as KubeApiError).reason === 'AlreadyExists';
export const isGone = (err: unknown): boolean => hasStatus(err, 410);
