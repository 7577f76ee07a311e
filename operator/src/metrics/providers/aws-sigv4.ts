import { createHash, createHmac } from 'node:crypto';

/** AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html). */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Request {
  method: string;
  url: string;
  /** Headers to send and sign (host, x-amz-date and x-amz-security-token are added). */
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  date: Date;
}

export interface SigV4Result {
  /** Every header to send: the request's, plus host, x-amz-date, x-amz-security-token and authorization. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

export function signV4(req: SigV4Request): SigV4Result {
  const url = new URL(req.url);
  const amzDate = req.date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...req.headers, host: url.host, 'x-amz-date': amzDate };
  if (req.credentials.sessionToken) headers['x-amz-security-token'] = req.credentials.sessionToken;

  const canonical = canonicalHeaders(headers);
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    canonical.text,
    canonical.signed,
    sha256Hex(req.body),
  ].join('\n');
  const scope = `${day}/${req.region}/${req.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(req.credentials.secretAccessKey, day, req.region, req.service))
    .update(stringToSign, 'utf8')
    .digest('hex');
  headers.authorization = `${ALGORITHM} Credential=${req.credentials.accessKeyId}/${scope}, SignedHeaders=${canonical.signed}, Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature };
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request"). */
export function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [day, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part, 'utf8').digest();
  return key;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Each segment of the (already encoded) path encoded again, as every service but S3 expects. */
function canonicalPath(pathname: string): string {
  return pathname.split('/').map(uriEncode).join('/') || '/';
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalHeaders(headers: Record<string, string>): { text: string; signed: string } {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase().trim();
    byName.set(key, [...(byName.get(key) ?? []), value.trim().replace(/\s+/g, ' ')]);
  }
  const names = [...byName.keys()].sort();
  return {
    text: names.map((n) => `${n}:${byName.get(n)!.join(',')}\n`).join(''),
    signed: names.join(';'),
  };
}
