import { MAX_SKEW_SECONDS, safeEqual, signatureOf } from './signature.js';

/** How a caller proved who it is; none only when the service runs with HOOKS_INSECURE=true and no credentials. */
export type AuthMethod = 'token' | 'hmac' | 'none';

export type AuthFailure = 'missing' | 'invalid_token' | 'invalid_signature' | 'stale_timestamp' | 'malformed';
export type AuthResult = { ok: true; method: AuthMethod } | { ok: false; failure: AuthFailure; message: string };

/** The parts of a request authentication looks at. */
export interface Credentials {
  readonly authorization?: string;
  readonly timestamp?: string;
  readonly signature?: string;
  /** The body exactly as received. */
  readonly rawBody: Buffer;
}

export interface AuthenticatorOptions {
  readonly token?: string;
  readonly hmacKey?: string;
  /** With neither token nor key: let every request in (HOOKS_INSECURE=true). */
  readonly insecure?: boolean;
  readonly now?: () => number;
}

const fail = (failure: AuthFailure, message: string): AuthResult => ({ ok: false, failure, message });

/** Accepts a request that carries a valid bearer token OR a valid, fresh HMAC signature. */
export class Authenticator {
  constructor(private readonly opts: AuthenticatorOptions) {}

  /** True when no credentials are configured and the service was told to run open. */
  get open(): boolean {
    return !this.opts.token && !this.opts.hmacKey && this.opts.insecure === true;
  }

  verify(c: Credentials): AuthResult {
    if (this.open) return { ok: true, method: 'none' };
    const failures: AuthResult[] = [];
    if (c.authorization !== undefined) {
      const r = this.verifyBearer(c.authorization);
      if (r.ok) return r;
      failures.push(r);
    }
    if (c.signature !== undefined || c.timestamp !== undefined) {
      const r = this.verifyHmac(c);
      if (r.ok) return r;
      failures.push(r);
    }
    return failures[0] ?? fail('missing', `missing credentials: send ${this.accepted()}`);
  }

  private accepted(): string {
    const ways = [];
    if (this.opts.token) ways.push('"Authorization: Bearer <token>"');
    if (this.opts.hmacKey) ways.push('X-Tollgate-Timestamp and X-Tollgate-Signature headers');
    return ways.join(' or ') || 'credentials (none are configured)';
  }

  private verifyBearer(header: string): AuthResult {
    if (!this.opts.token) return fail('invalid_token', 'bearer tokens are not accepted here (HOOKS_TOKEN is not set)');
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) return fail('malformed', 'malformed Authorization header: expected "Bearer <token>"');
    return safeEqual(match[1]!, this.opts.token) ? { ok: true, method: 'token' } : fail('invalid_token', 'invalid bearer token');
  }

  private verifyHmac(c: Credentials): AuthResult {
    const key = this.opts.hmacKey;
    if (!key) return fail('invalid_signature', 'signed requests are not accepted here (HOOKS_HMAC_KEY is not set)');
    if (c.timestamp === undefined || c.signature === undefined) {
      return fail('malformed', 'a signed request needs both X-Tollgate-Timestamp and X-Tollgate-Signature');
    }
    if (!/^\d{1,12}$/.test(c.timestamp)) return fail('malformed', 'malformed X-Tollgate-Timestamp: expected unix seconds');
    const nowSeconds = (this.opts.now ?? Date.now)() / 1000;
    if (Math.abs(nowSeconds - Number(c.timestamp)) > MAX_SKEW_SECONDS) {
      return fail('stale_timestamp', `X-Tollgate-Timestamp is more than ${MAX_SKEW_SECONDS}s away from the server's clock`);
    }
    if (!/^sha256=[0-9a-f]{64}$/.test(c.signature)) {
      return fail('malformed', 'malformed X-Tollgate-Signature: expected sha256=<64 lowercase hex digits>');
    }
    const expected = signatureOf(key, c.timestamp, c.rawBody);
    return safeEqual(c.signature, expected) ? { ok: true, method: 'hmac' } : fail('invalid_signature', 'invalid signature');
  }
}
