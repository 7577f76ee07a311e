import type { Response } from 'express';
import type { AuthMethod } from '../auth/authenticator.js';
import type { Scope } from '../auth/scope.js';

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
      /** How the caller authenticated, and what its credential may do. */
      auth?: { method: AuthMethod; scope: Scope };
    }
  }
}

export const rawBodyOf = (res: Response): Buffer => res.locals.rawBody ?? Buffer.alloc(0);

/** The scope of the request's credential; requireAuth ran before any route that asks. */
export function scopeOf(res: Response): Scope {
  const auth = res.locals.auth;
  if (!auth) throw new Error('no authentication result: requireAuth must run before this route');
  return auth.scope;
}
