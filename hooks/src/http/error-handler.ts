import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { RejectedError } from '../errors.js';
import { GateStoreError } from '../gates/store.js';
import { CapacityError, ShuttingDownError } from '../tasks/runner.js';
import { HttpError } from './errors.js';

/** What body-parser attaches to its errors. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** The HTTP answer for an error, or undefined for an unexpected one (500, logged with its stack). */
function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof RejectedError) return new HttpError(400, err.code, err.message, err.details);
  if (err instanceof CapacityError) return new HttpError(429, 'too_many_tasks', err.message, { limit: err.limit }, { 'retry-after': '5' });
  if (err instanceof ShuttingDownError) return new HttpError(503, 'shutting_down', err.message, {}, { 'retry-after': '5' });
  if (err instanceof GateStoreError) return new HttpError(503, 'gate_store_unavailable', err.message, {}, { 'retry-after': '5' });
  return fromBodyParser(err);
}

function fromBodyParser(err: unknown): HttpError | undefined {
  const e = err as BodyParserError;
  if (e?.type === 'entity.too.large')
    return new HttpError(413, 'body_too_large', `the body is larger than ${e.limit} bytes (MAX_BODY_BYTES)`);
  if (e?.type === 'encoding.unsupported') return new HttpError(415, 'unsupported_encoding', (err as Error).message);
  if (typeof e?.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_body', (err as Error).message);
  }
  return undefined;
}

/** Answers every error as JSON: {error, message, ...details, requestId}. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = toHttpError(err);
    if (!known) {
      res.err = err instanceof Error ? err : new Error(String(err));
      logger.error({ err, requestId: req.id }, 'unexpected error');
    }
    const answer = known ?? new HttpError(500, 'internal', 'internal error');
    res
      .status(answer.status)
      .set(answer.headers)
      .json({ error: answer.code, message: answer.message, ...answer.details, requestId: req.id });
  };
}

export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`);
};
