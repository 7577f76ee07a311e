/** Exit codes shared by every command (see README). */
export const EXIT = {
  OK: 0,
  /** The request was refused, or the Canary failed (wait, status --until-done). */
  FAILED: 1,
  /** wait: the timeout passed first. */
  TIMEOUT: 2,
  /** Bad command line, Canary not found, kubeconfig or API server errors. */
  ERROR: 3,
  /** Interrupted (Ctrl-C) before the outcome was known. */
  INTERRUPTED: 130,
} as const;

/** A mistake on the command line: the message is printed with a pointer to the help. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error the user can act on, printed as is (no stack), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.ERROR,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The Canary named does not exist (getCanary): the message names the namespace, the usual mistake. */
export class CanaryNotFound extends CliError {
  constructor(namespace: string, name: string) {
    super(`canary "${name}" not found in namespace "${namespace}"`, EXIT.ERROR);
    this.name = 'CanaryNotFound';
  }
}

/**
 * The HTTP status of a Kubernetes API error, by shape rather than class: the operator's KubeApiError may be
 * loaded twice (its dist and, in tests, its sources), and instanceof would miss one of them.
 */
export function apiStatusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && (err as { name?: unknown }).name === 'KubeApiError') {
    const status = (err as { status?: unknown }).status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => apiStatusOf(err) === 404;
export const isForbidden = (err: unknown): boolean => apiStatusOf(err) === 403;

/** A 404 for the kind itself, not for one object: the API server does not serve the resource (no CRD). */
export const isNotServed = (err: unknown): boolean =>
  isNotFound(err) && err instanceof Error && err.message.includes('the server could not find the requested resource');
export const isConflict = (err: unknown): boolean => apiStatusOf(err) === 409;

/** One line for the user, without stack traces. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const name = err.name;
  if (name === 'KubeConnectionError') return `cannot reach the API server: ${err.message}`;
  if (name === 'KubeApiError') {
    const status = apiStatusOf(err);
    if (status === 401) return `the API server refused the credentials of the kubeconfig (401 Unauthorized): ${err.message}`;
    if (status === 403) return `not allowed (403 Forbidden): ${err.message}`;
    if (isNotServed(err))
      return `the API server does not serve canaries.tollgate.dev: are Tollgate's CRDs installed (kubectl apply -f crds/)? (${err.message})`;
    return err.message;
  }
  return err.message;
}
