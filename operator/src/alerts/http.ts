import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosRequestConfig } from 'axios';
import { messageOf } from '../util/errors.js';
import { AlertDeliveryError } from './notifier.js';

export const ALERT_TIMEOUT_MS = 10_000;

export interface PostOptions {
  headers?: Record<string, string>;
  /** http(s) URL of a forward proxy (AlertProvider spec.proxy). */
  proxy?: string;
  timeoutMs?: number;
  /** Receivers that answer 200 with an error in the body (Slack's chat.postMessage). */
  check?: (status: number, body: string) => string | undefined;
}

/**
 * Node's own proxy support in http.Agent (`proxyEnv`: CONNECT tunnels for https, absolute-form requests
 * for http) exists from Node.js 22.21 and 24.5. On older versions the option would be ignored silently,
 * so a proxy is refused there rather than bypassed.
 */
export function builtinProxySupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

const agents = new Map<string, { http: http.Agent; https: https.Agent }>();

function proxyAgents(proxy: string): { http: http.Agent; https: https.Agent } {
  let a = agents.get(proxy);
  if (!a) {
    // NO_PROXY is empty on purpose: an AlertProvider's proxy applies to its address, whatever the environment says.
    const proxyEnv = { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, NO_PROXY: '' };
    a = { http: new http.Agent({ proxyEnv }), https: new https.Agent({ proxyEnv }) };
    agents.set(proxy, a);
  }
  return a;
}

/** A URL that is safe to name in messages: scheme and host only (webhook paths carry credentials). */
export function hostOf(address: string): string {
  try {
    const u = new URL(address);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'an invalid address';
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * POSTs JSON once (alerts are not retried: the next event brings the next alert). Success is any 2xx that
 * `check` accepts. Errors name the receiver's host at most, never the path, query, token or body sent.
 */
export async function postJson(address: string, payload: unknown, signal: AbortSignal, opts: PostOptions = {}): Promise<void> {
  if (!isHttpUrl(address)) throw new AlertDeliveryError('the address is not an http(s) URL');
  const config: AxiosRequestConfig = {
    headers: { 'content-type': 'application/json; charset=utf-8', ...opts.headers },
    timeout: opts.timeoutMs ?? ALERT_TIMEOUT_MS,
    signal,
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'text',
    transformRequest: [(data: unknown) => data],
    transitional: { forcedJSONParsing: false },
  };
  if (opts.proxy) {
    if (!isHttpUrl(opts.proxy)) throw new AlertDeliveryError('the proxy is not an http(s) URL');
    if (!builtinProxySupported()) throw new AlertDeliveryError(`a proxy needs Node.js >= 22.21 or >= 24.5 (running ${process.versions.node})`);
    // axios leaves agents that carry proxyEnv in charge (and skips its own environment proxy); `proxy: false`
    // would make it strip the agent's proxy instead.
    const a = proxyAgents(opts.proxy);
    Object.assign(config, { httpAgent: a.http, httpsAgent: a.https });
  }
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  let status: number;
  let text: string;
  try {
    const res = await axios.post(address, body, config);
    status = res.status;
    text = String(res.data ?? '');
  } catch (err) {
    throw new AlertDeliveryError(`${hostOf(address)}: ${redact(messageOf(err), address)}`);
  }
  if (status < 200 || status >= 300) {
    const snippet = redact(text.trim().slice(0, 200), address);
    throw new AlertDeliveryError(`${hostOf(address)} answered ${status}${snippet ? `: ${snippet}` : ''}`, status);
  }
  const refused = opts.check?.(status, text);
  if (refused) throw new AlertDeliveryError(`${hostOf(address)} refused the message: ${redact(refused, address)}`, status);
}

/** Removes the address (its path and query too) should an error or an answer quote it. */
function redact(text: string, address: string): string {
  let out = text.split(address).join('<address>');
  try {
    const { pathname, search } = new URL(address);
    if (search.length > 1) out = out.split(search.slice(1)).join('<query>');
    if (pathname.length > 1) out = out.split(pathname).join('<path>');
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}
