import { OutboundError, redirectNote, type OutboundClient } from '../outbound/client.js';
import { clipRemoteText, Redactor } from '../outbound/redact.js';
import { AlertDeliveryError } from './notifier.js';

export { builtinProxySupported, isHttpUrl } from '../outbound/client.js';

const ALERT_TIMEOUT_MS = 10_000;
/** Characters of a receiver's answer quoted in an error. */
const SNIPPET_MAX_CHARS = 200;

export interface PostOptions {
  /** The operator's one outbound HTTP client. */
  http: OutboundClient;
  /** Credentials (an Authorization header, a signature): never quoted in an error. */
  headers?: Record<string, string>;
  /** http(s) URL of a forward proxy (AlertProvider spec.proxy). */
  proxy?: string | undefined;
  /** Total deadline of the request; ALERT_TIMEOUT_MS by default. */
  timeoutMs?: number | undefined;
  /** Receivers that answer 200 with an error in the body (Slack's chat.postMessage). */
  check?: (status: number, body: string) => string | undefined;
}

/** A URL that is safe to name in messages: scheme and host only (webhook paths carry credentials). */
function hostOf(address: string): string {
  try {
    const u = new URL(address);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'an invalid address';
  }
}

/**
 * POSTs JSON once (alerts are not retried: the next event brings the next alert). Success is any 2xx that
 * `check` accepts. Errors name the receiver's host at most, never the path, query, token or body sent. An
 * address that is not an http(s) URL is the client's refusal.
 */
export async function postJson(address: string, payload: unknown, signal: AbortSignal, opts: PostOptions): Promise<void> {
  const redactor = addressRedactor(address, Object.values(opts.headers ?? {}));
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  let res;
  try {
    res = await opts.http.request({
      method: 'POST',
      url: address,
      body,
      signal,
      timeoutMs: opts.timeoutMs ?? ALERT_TIMEOUT_MS,
      headers: { 'content-type': 'application/json; charset=utf-8', ...opts.headers },
      ...(opts.proxy ? { proxy: opts.proxy } : {}),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof OutboundError && err.kind === 'refused') throw new AlertDeliveryError(redactor.redact(message));
    throw new AlertDeliveryError(`${hostOf(address)}: ${redactor.redact(message)}`);
  }
  if (res.status < 200 || res.status >= 300) {
    const snippet = clipRemoteText(redactor.redact(res.body), SNIPPET_MAX_CHARS);
    throw new AlertDeliveryError(
      `${hostOf(address)} answered ${res.status}${redirectNote(res.status)}${snippet ? `: ${snippet}` : ''}`,
      res.status,
    );
  }
  const refused = opts.check?.(res.status, res.body);
  if (refused)
    throw new AlertDeliveryError(
      `${hostOf(address)} refused the message: ${clipRemoteText(redactor.redact(refused), SNIPPET_MAX_CHARS)}`,
      res.status,
    );
}

/**
 * Hides the credentials sent, then the address (its path and query too, when it parses as a URL), should an
 * error or an answer quote them.
 */
function addressRedactor(address: string, credentials: string[]): { redact(text: string): string } {
  const secrets = new Redactor(credentials);
  const parts = urlParts(address);
  return {
    redact(text: string): string {
      let out = secrets.redact(text).split(address).join('<address>');
      if (parts && parts.search.length > 1) out = out.split(parts.search.slice(1)).join('<query>');
      if (parts && parts.pathname.length > 1) out = out.split(parts.pathname).join('<path>');
      return out;
    },
  };
}

function urlParts(address: string): { pathname: string; search: string } | undefined {
  try {
    const { pathname, search } = new URL(address);
    return { pathname, search };
  } catch {
    return undefined;
  }
}
