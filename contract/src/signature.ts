import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * Signed requests (hooks/README.md, "Authentication"). Three headers:
 *   X-Tollgate-Timestamp: unix seconds
 *   X-Tollgate-Nonce:     16 to 64 characters of [A-Za-z0-9_-], new for every request
 *   X-Tollgate-Signature: v2=<lowercase hex HMAC-SHA256(key, signing string)>
 * The signing string is "<timestamp>\n<nonce>\n<METHOD>\n<path>\n<body>": the request target (path and query,
 * as sent) and the method are signed, so a signature is good for one endpoint only.
 */
export const TIMESTAMP_HEADER = 'x-tollgate-timestamp';
export const NONCE_HEADER = 'x-tollgate-nonce';
export const SIGNATURE_HEADER = 'x-tollgate-signature';
/** A signed request is accepted while its timestamp is at most this far from the receiver's clock, either way. */
export const MAX_SKEW_SECONDS = 300;
/** The scheme tag of X-Tollgate-Signature. The first scheme ("sha256=", over "<timestamp>.<body>") is refused. */
const SIGNATURE_SCHEME = 'v2';
/** What a namespace key signs to make the namespace's gate key. */
const GATE_KEY_LABEL = 'gates';

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIGNATURE = /^v2=[0-9a-f]{64}$/;

/** The parts of a request a signature covers. */
export interface RequestToSign {
  /** The HTTP method; signed upper-cased. */
  readonly method: string;
  /** The request target as sent on the request line: path and query string, e.g. /gate/status?namespace=a&name=b. */
  readonly path: string;
  /** The exact body bytes; empty when there is none. */
  readonly body: Buffer | string;
}

/** The exact bytes that are signed: "<timestamp>\n<nonce>\n<METHOD>\n<path>\n<body>". */
export function signingString(timestamp: string, nonce: string, req: RequestToSign): Buffer {
  const head = Buffer.from(`${timestamp}\n${nonce}\n${req.method.toUpperCase()}\n${req.path}\n`, 'utf8');
  return Buffer.concat([head, Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8')]);
}

/** The X-Tollgate-Signature value (the header's exact text). */
export function signatureOf(key: string, timestamp: string, nonce: string, req: RequestToSign): string {
  return `${SIGNATURE_SCHEME}=${hmacHex(key, signingString(timestamp, nonce, req))}`;
}

/** The three headers that sign a request, for a client such as the operator, CI or a test. */
export function signedHeaders(key: string, req: RequestToSign, opts: { nowMs?: number; nonce?: string } = {}): Record<string, string> {
  const timestamp = String(Math.floor((opts.nowMs ?? Date.now()) / 1000));
  const nonce = opts.nonce ?? randomBytes(16).toString('hex');
  return { [TIMESTAMP_HEADER]: timestamp, [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: signatureOf(key, timestamp, nonce, req) };
}

/** The request target an HTTP client sends for an absolute URL: its path and query string (never the fragment). */
export function requestPath(url: string): string {
  const u = new URL(url);
  return `${u.pathname || '/'}${u.search}`;
}

/**
 * The key of one namespace: lowercase hex of HMAC-SHA256(master, namespace). It signs any webhook call
 * (tasks and gates) whose payload names that namespace, and nothing else. The master key never leaves the
 * hooks service; each namespace gets its own key (in the Secret its webhooks' secretRef names).
 */
export function namespaceKey(master: string, namespace: string): string {
  return hmacHex(master, Buffer.from(namespace, 'utf8'));
}

/**
 * The gate-only key of a namespace, for CI and people: lowercase hex of HMAC-SHA256(namespace key, "gates").
 * It opens, closes and reads the gates and rollback switches of that namespace, and runs no task. Whoever holds
 * the namespace key can make it; the gate key does not give the namespace key back.
 */
export function gateKey(namespaceKeyHex: string): string {
  return hmacHex(namespaceKeyHex, Buffer.from(GATE_KEY_LABEL, 'utf8'));
}

export interface SignatureHeaders {
  readonly timestamp?: string;
  readonly nonce?: string;
  readonly signature?: string;
}

type SignatureFailure = 'malformed' | 'stale_timestamp' | 'invalid_signature';

/** Which of the candidate keys signed, the signature (for a replay cache) and when it stops being accepted. */
export type SignatureCheck<K extends string> =
  { ok: true; key: K; signature: string; expiresAtSeconds: number } | { ok: false; failure: SignatureFailure; message: string };

/**
 * Checks a signed request against candidate keys (by name): headers well formed, timestamp within
 * MAX_SKEW_SECONDS of nowMs, and the signature made by one of the keys over this method, path and body.
 * Pure: replays are the receiver's to refuse (the signature is unique per request, its nonce being signed).
 */
export function verifySignature<K extends string>(
  keys: Readonly<Record<K, string>>,
  h: SignatureHeaders,
  req: RequestToSign,
  nowMs: number,
): SignatureCheck<K> {
  const bad = checkHeaders(h, nowMs);
  if (bad) return bad;
  const { timestamp, nonce, signature } = h as Required<SignatureHeaders>;
  let matched: K | undefined;
  for (const name of Object.keys(keys) as K[]) {
    if (safeEqual(signature, signatureOf(keys[name], timestamp, nonce, req)) && matched === undefined) matched = name;
  }
  if (matched === undefined) return fail('invalid_signature', 'invalid signature');
  return { ok: true, key: matched, signature, expiresAtSeconds: Number(timestamp) + MAX_SKEW_SECONDS };
}

function checkHeaders(h: SignatureHeaders, nowMs: number): Extract<SignatureCheck<never>, { ok: false }> | undefined {
  if (h.timestamp === undefined || h.nonce === undefined || h.signature === undefined) {
    return fail('malformed', 'a signed request needs X-Tollgate-Timestamp, X-Tollgate-Nonce and X-Tollgate-Signature');
  }
  if (!/^\d{1,12}$/.test(h.timestamp)) return fail('malformed', 'malformed X-Tollgate-Timestamp: expected unix seconds');
  if (Math.abs(nowMs / 1000 - Number(h.timestamp)) > MAX_SKEW_SECONDS) {
    return fail('stale_timestamp', `X-Tollgate-Timestamp is more than ${MAX_SKEW_SECONDS}s away from the server's clock`);
  }
  if (!NONCE.test(h.nonce))
    return fail('malformed', 'malformed X-Tollgate-Nonce: expected 16 to 64 characters of A-Z, a-z, 0-9, "_" and "-"');
  if (h.signature.startsWith('sha256=')) {
    return fail(
      'malformed',
      'X-Tollgate-Signature: the sha256= scheme (timestamp and body only) is no longer accepted; sign v2 (method, path, timestamp, nonce and body)',
    );
  }
  if (!SIGNATURE.test(h.signature)) return fail('malformed', 'malformed X-Tollgate-Signature: expected v2=<64 lowercase hex digits>');
  return undefined;
}

/** Compares two secrets in time independent of where they differ (and of their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

const hmacHex = (key: string, data: Buffer): string => createHmac('sha256', key).update(data).digest('hex');

const fail = (failure: SignatureFailure, message: string): { ok: false; failure: SignatureFailure; message: string } => ({
  ok: false,
  failure,
  message,
});
