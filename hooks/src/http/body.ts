import express, { type RequestHandler, type Response } from 'express';
import { BadRequestError } from './errors.js';
import { rawBodyOf } from './locals.js';

/**
 * Reads the body as bytes, whatever its Content-Type (Flagger sends JSON, `curl -d` sends it as a form),
 * up to maxBytes (413 beyond). The bytes are kept for signature checks.
 */
export function readRawBody(maxBytes: number): RequestHandler[] {
  const raw = express.raw({ type: () => true, limit: maxBytes });
  const keep: RequestHandler = (req, res, next) => {
    res.locals.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    next();
  };
  return [raw, keep];
}

/** Parses the kept bytes as JSON into res.locals.body, or notes why they are not JSON (see jsonBody). */
export const parseJsonBody: RequestHandler = (_req, res, next) => {
  const raw = rawBodyOf(res);
  if (raw.length === 0) return next();
  try {
    res.locals.body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    res.locals.jsonError = (err as Error).message;
  }
  next();
};

/** The JSON body of a route that needs one; 400 when it was not JSON. Routes that ignore bodies never fail on them. */
export function jsonBody(res: Response): unknown {
  if (res.locals.jsonError !== undefined)
    throw new BadRequestError('malformed_json', `the body is not valid JSON: ${res.locals.jsonError}`);
  return res.locals.body;
}
