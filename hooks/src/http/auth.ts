import type { Request, RequestHandler } from 'express';
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '@tollgate/contract/signature';
import type { AuthResult, Authenticator } from '../auth/authenticator.js';
import { describeScope, permits, type Capability } from '../auth/scope.js';
import { ForbiddenError, HttpError, UnauthorizedError } from './errors.js';
import { rawBodyOf } from './locals.js';

export interface AuthFailureCounter {
  inc(labels: { reason: string }): void;
}

/**
 * 401 unless the request carries a valid bearer token or a fresh, first-seen signature; notes the method and
 * the credential's scope in res.locals.auth. Runs after the body is parsed: the namespace of a signed request
 * (which selects its keys) is the payload's, else the query's.
 */
export function requireAuth(auth: Authenticator, failures: AuthFailureCounter): RequestHandler {
  return (req, res, next) => {
    const result = auth.verify({
      authorization: header(req, 'authorization'),
      timestamp: header(req, TIMESTAMP_HEADER),
      nonce: header(req, NONCE_HEADER),
      signature: header(req, SIGNATURE_HEADER),
      method: req.method,
      path: req.originalUrl,
      rawBody: rawBodyOf(res),
      namespace: claimedNamespace(res.locals.body, req.query),
    });
    if (!result.ok) {
      failures.inc({ reason: result.failure });
      throw refusal(result);
    }
    res.locals.auth = { method: result.method, scope: result.scope };
    next();
  };
}

/** 403 when the credential may not call this endpoint (a gate key running a task, a namespace key listing tasks). */
export function authorize(capabilityOf: (path: string) => Capability): RequestHandler {
  return (req, res, next) => {
    const scope = res.locals.auth?.scope;
    if (!scope || !permits(scope, capabilityOf(req.path))) {
      throw new ForbiddenError(
        'endpoint_not_allowed',
        `${scope ? describeScope(scope) : 'this request'} may not call ${req.method} ${req.path}`,
      );
    }
    next();
  };
}

/** The namespace a request names: "namespace" of a JSON object body, else the namespace query parameter. */
export function claimedNamespace(body: unknown, query: unknown): string | undefined {
  const fromBody = typeof body === 'object' && body !== null ? (body as { namespace?: unknown }).namespace : undefined;
  if (typeof fromBody === 'string') return fromBody;
  const fromQuery = typeof query === 'object' && query !== null ? (query as { namespace?: unknown }).namespace : undefined;
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

function refusal(r: Extract<AuthResult, { ok: false }>): HttpError {
  if (r.failure === 'replay_cache_full') return new HttpError(503, 'busy', r.message, {}, { 'retry-after': '5' });
  return new UnauthorizedError(r.message);
}

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};
