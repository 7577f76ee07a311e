/**
 * The request asks for something this service refuses to do (bad metadata, shell syntax, a program outside
 * the allowlist, an unknown task type). The HTTP layer answers 400 with the code and details.
 */
export class RejectedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'RejectedError';
  }
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
