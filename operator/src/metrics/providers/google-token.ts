import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { errorDetail, type HttpResponse, type ProviderHttp } from './http.js';

export const MONITORING_READ_SCOPE = 'https://www.googleapis.com/auth/monitoring.read';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_LIFETIME_S = 3600;
/** A cached token is renewed this long before it expires. */
const EXPIRY_MARGIN_MS = 60_000;

interface ServiceAccount {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId?: string;
  tokenUri: string;
}

/**
 * OAuth2 access tokens for Google APIs: from a service account key (a JWT signed with RS256 and exchanged at
 * the key's token_uri, RFC 7523), or without a key from the GCE/GKE metadata server (workload identity);
 * GCE_METADATA_HOST overrides the metadata server's host, as in Google's client libraries.
 */
export class GoogleTokenSource {
  private readonly account: ServiceAccount | undefined;
  private cached: { token: string; expiresAt: number } | undefined;

  constructor(
    private readonly http: ProviderHttp,
    serviceAccountKey: string | undefined,
    private readonly metadataHost: string = process.env.GCE_METADATA_HOST || 'metadata.google.internal',
  ) {
    this.account = serviceAccountKey === undefined ? undefined : parseKey(http, serviceAccountKey);
  }

  /** Forgets the cached token (after the API rejected it). */
  reset(): void {
    this.cached = undefined;
  }

  async token(signal: AbortSignal): Promise<string> {
    if (this.cached && Date.now() < this.cached.expiresAt - EXPIRY_MARGIN_MS) return this.cached.token;
    const now = Date.now();
    const got = this.account ? await this.fromServiceAccount(this.account, now, signal) : await this.fromMetadataServer(signal);
    this.http.addSecret(got.token);
    this.cached = { token: got.token, expiresAt: now + got.expiresInS * 1000 };
    return got.token;
  }

  private async fromServiceAccount(a: ServiceAccount, now: number, signal: AbortSignal): Promise<{ token: string; expiresInS: number }> {
    const iat = Math.floor(now / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(a.privateKeyId ? { kid: a.privateKeyId } : {}) };
    const claims = { iss: a.clientEmail, scope: MONITORING_READ_SCOPE, aud: a.tokenUri, iat, exp: iat + JWT_LIFETIME_S };
    const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const assertion = `${unsigned}.${sign('sha256', Buffer.from(unsigned), a.privateKey).toString('base64url')}`;
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    const res = await this.http.send({
      method: 'POST',
      url: a.tokenUri,
      body,
      signal,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    });
    return this.tokenFrom(res, 'service account token request failed');
  }

  private async fromMetadataServer(signal: AbortSignal): Promise<{ token: string; expiresInS: number }> {
    const res = await this.http.send({
      url: `http://${this.metadataHost}/computeMetadata/v1/instance/service-accounts/default/token`,
      params: { scopes: MONITORING_READ_SCOPE },
      headers: { 'Metadata-Flavor': 'Google', accept: 'application/json' },
      signal,
    });
    return this.tokenFrom(res, 'metadata server token request failed (no serviceAccountKey in the Secret)');
  }

  private tokenFrom(res: HttpResponse, what: string): { token: string; expiresInS: number } {
    if (res.status !== 200) throw this.http.statusError(what, res, oauthErrorDetail(res.body) ?? errorDetail(res));
    const body = this.http.json(res) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string' || !body.access_token) throw this.http.error(`${what}: the answer has no access_token`);
    const expiresInS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    return { token: body.access_token, expiresInS };
  }
}

function parseKey(http: ProviderHttp, text: string): ServiceAccount {
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw http.error('serviceAccountKey is not JSON (expected a service account key file)');
  }
  if (!key || typeof key !== 'object') throw http.error('serviceAccountKey is not a JSON object');
  if (key.type !== undefined && key.type !== 'service_account')
    throw http.error(`serviceAccountKey has type ${String(key.type)}, expected service_account`);
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw http.error('serviceAccountKey needs client_email and private_key');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.private_key);
  } catch {
    throw http.error('serviceAccountKey.private_key is not a PEM private key');
  }
  http.addSecret(key.private_key);
  return {
    clientEmail: key.client_email,
    privateKey,
    ...(typeof key.private_key_id === 'string' && key.private_key_id ? { privateKeyId: key.private_key_id } : {}),
    tokenUri: typeof key.token_uri === 'string' && key.token_uri ? key.token_uri : DEFAULT_TOKEN_URI,
  };
}

/** "invalid_grant: Invalid JWT Signature." from an OAuth2 error body. */
function oauthErrorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const parts = [body.error, body.error_description].filter((s): s is string => typeof s === 'string' && s !== '');
    return parts.length ? parts.join(': ') : undefined;
  } catch {
    return undefined;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
