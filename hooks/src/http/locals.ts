import type { Response } from 'express';
import type { AuthMethod } from '../auth/authenticator.js';

/** What the middleware learns about a request, kept on res.locals under typed names. */
declare global {
  namespace Express {
    interface Locals {
      /** The body exactly as received (empty when there was none). */
      rawBody?: Buffer;
      /** The body parsed as JSON; undefined when there was none or it was not JSON. */
      body?: unknown;
      /** Why the body is not JSON, when it is not. */
      jsonError?: string;
      auth?: AuthMethod;
    }
  }
}

export const rawBodyOf = (res: Response): Buffer => res.locals.rawBody ?? Buffer.alloc(0);
