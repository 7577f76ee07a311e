import type { Request, RequestHandler } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../auth/signature.js';
import { UnauthorizedError } from './errors.js';
import { rawBodyOf } from './locals.js';

export interface AuthFailureCounter {
  inc(labels: { reason: string }): void;
}

/** 401 unless the request carries a valid bearer token or HMAC signature; notes the method in res.locals.auth. */
export function requireAuth(auth: Authenticator, failures: AuthFailureCounter): RequestHandler {
  return (req, res, next) => {
    const result = auth.verify({
      authorization: header(req, 'authorization'),
      timestamp: header(req, TIMESTAMP_HEADER),
      signature: header(req, SIGNATURE_HEADER),
      rawBody: rawBodyOf(res),
    });
    if (!result.ok) {
      failures.inc({ reason: result.failure });
      throw new UnauthorizedError(result.message);
    }
    res.locals.auth = result.method;
    next();
  };
}

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};
