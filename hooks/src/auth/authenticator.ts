import { gateKey, MAX_SKEW_SECONDS, namespaceKey, safeEqual, verifySignature, type SignatureHeaders } from '@tollgate/contract/signature';
import { ReplayCache } from './replay.js';
import { ALL, type Scope } from './scope.js';

/** How a caller proved who it is; none only when the service runs with HOOKS_INSECURE=true and no credentials. */
export type AuthMethod = 'token' | 'hmac' | 'none';

type AuthFailure = 'missing' | 'invalid_token' | 'invalid_signature' | 'stale_timestamp' | 'malformed' | 'replayed' | 'replay_cache_full';
export type AuthResult = { ok: true; method: AuthMethod; scope: Scope } | { ok: false; failure: AuthFailure; message: string };

/** The parts of a request authentication looks at. */
export interface Credentials extends SignatureHeaders {
  readonly authorization?: string;
  readonly method: string;
  /** The request target as received (path and query). */
  readonly path: string;
  /** The body exactly as received. */
  readonly rawBody: Buffer;
  /** The namespace the request acts for (the payload's, else ?namespace=); it selects the signing keys. */
  readonly namespace?: string;
}

export interface AuthenticatorOptions {
  readonly token?: string;
  /** The master key: each namespace's keys are derived from it (@tollgate/contract/signature). */
  readonly hmacKey?: string;
  /** With neither token nor key: let every request in (HOOKS_INSECURE=true). */
  readonly insecure?: boolean;
  readonly now?: () => number;
  readonly replays?: ReplayCache;
}

const fail = (failure: AuthFailure, message: string): AuthResult => ({ ok: false, failure, message });

/**
 * Accepts a request that carries a valid bearer token (scope: everything) OR a valid, fresh, first-seen
 * signature by the key or the gate key of the namespace the request names (scope: that namespace).
 */
export class Authenticator {
  private readonly replays: ReplayCache;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.replays = opts.replays ?? new ReplayCache();
  }

  /** True when no credentials are configured and the service was told to run open. */
  get open(): boolean {
    return !this.opts.token && !this.opts.hmacKey && this.opts.insecure === true;
  }

  verify(c: Credentials): AuthResult {
    if (this.open) return { ok: true, method: 'none', scope: ALL };
    const failures: AuthResult[] = [];
    if (c.authorization !== undefined) {
      const r = this.verifyBearer(c.authorization);
      if (r.ok) return r;
      failures.push(r);
    }
    if (c.signature !== undefined || c.timestamp !== undefined || c.nonce !== undefined) {
      const r = this.verifyHmac(c);
      if (r.ok) return r;
      failures.push(r);
    }
    return failures[0] ?? fail('missing', `missing credentials: send ${this.accepted()}`);
  }

  private accepted(): string {
    const ways = [];
    if (this.opts.token) ways.push('"Authorization: Bearer <token>"');
    if (this.opts.hmacKey) ways.push('X-Tollgate-Timestamp, X-Tollgate-Nonce and X-Tollgate-Signature headers');
    return ways.join(' or ') || 'credentials (none are configured)';
  }

  private verifyBearer(header: string): AuthResult {
    if (!this.opts.token) return fail('invalid_token', 'bearer tokens are not accepted here (HOOKS_TOKEN is not set)');
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) return fail('malformed', 'malformed Authorization header: expected "Bearer <token>"');
    return safeEqual(match[1]!, this.opts.token)
      ? { ok: true, method: 'token', scope: ALL }
      : fail('invalid_token', 'invalid bearer token');
  }

  private verifyHmac(c: Credentials): AuthResult {
    const master = this.opts.hmacKey;
    if (!master) return fail('invalid_signature', 'signed requests are not accepted here (HOOKS_HMAC_KEY is not set)');
    if (c.namespace === undefined) {
      return fail('malformed', 'a signed request must name its namespace: "namespace" in the JSON body, or ?namespace= in the query');
    }
    const tasks = namespaceKey(master, c.namespace);
    const nowMs = (this.opts.now ?? Date.now)();
    const check = verifySignature({ tasks, gates: gateKey(tasks) }, c, { method: c.method, path: c.path, body: c.rawBody }, nowMs);
    if (!check.ok) return check;
    const seen = this.replays.remember(check.signature, check.expiresAtSeconds, nowMs / 1000);
    if (seen === 'seen') return fail('replayed', 'this signature was already used: sign every request afresh, with a new X-Tollgate-Nonce');
    if (seen === 'full') return fail('replay_cache_full', `too many signed requests in the last ${MAX_SKEW_SECONDS} s; retry later`);
    return { ok: true, method: 'hmac', scope: { kind: 'namespace', namespace: c.namespace, role: check.key } };
  }
}
