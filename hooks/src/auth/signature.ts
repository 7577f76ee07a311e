import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed request: unix seconds, and sha256=<lowercase hex HMAC-SHA256(key, timestamp + "." + body)>. */
export const TIMESTAMP_HEADER = 'x-tollgate-timestamp';
export const SIGNATURE_HEADER = 'x-tollgate-signature';
/** A signed request is accepted while its timestamp is at most this far from the server's clock, either way. */
export const MAX_SKEW_SECONDS = 300;

/** The X-Tollgate-Signature value of a body sent at a timestamp (the header's exact text). */
export function signatureOf(key: string | Buffer, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** The two headers that sign a body, for a client such as the operator or a test. */
export function signedHeaders(key: string | Buffer, body: Buffer | string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signatureOf(key, timestamp, body) };
}

/** Compares two secrets in time independent of where they differ (and of their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
