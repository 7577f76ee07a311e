import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import type { KubeClientOptions } from './client.js';

/**
 * A small kubeconfig loader: the subset of kubectl's loading rules that a KubeClient can use, without the
 * ~80 MB that importing @kubernetes/client-node costs. Users with `exec` or `auth-provider` credentials are
 * recognised here (see needsClientNode) and left to @kubernetes/client-node by the caller.
 */

export class KubeConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

export const NOTHING_FOUND = 'kubeconfig has no current cluster: set KUBECONFIG or run inside a pod';
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where to look; every field defaults to the real environment. For tests. */
export interface KubeConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Home directory holding .kube/config. Default: env.HOME, else os.homedir(). */
  home?: string;
  /** Directory with the in-cluster `token` and `ca.crt`. */
  serviceAccountDir?: string;
}

export interface ClusterEntry {
  name: string;
  server: string;
  /** base64, as in the kubeconfig */
  caData?: string;
  /** absolute path */
  caFile?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  /** the kubeconfig file (or 'in-cluster') that defined this entry */
  origin: string;
}

export interface UserEntry {
  name: string;
  token?: string;
  /** absolute path; re-read on every refresh */
  tokenFile?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  impersonateUser?: string;
  impersonateUid?: string;
  /** The raw `exec` / `auth-provider` stanzas: only @kubernetes/client-node handles these. */
  exec?: Record<string, unknown>;
  authProvider?: Record<string, unknown>;
  origin: string;
}

export interface KubeConfigSelection {
  context: string;
  cluster: ClusterEntry;
  /** undefined: the context names no user (anonymous requests) */
  user: UserEntry | undefined;
  /** the kubeconfig file(s) read, or 'in-cluster' */
  source: string;
}

/** True when the user's credentials come from a plugin this loader does not implement. */
export function needsClientNode(user: UserEntry | undefined): boolean {
  return !!user && (user.exec !== undefined || user.authProvider !== undefined);
}

interface Merged {
  files: string[];
  /** an entry the client cannot use holds the reason, reported only if it is selected */
  clusters: Map<string, ClusterEntry | { unusable: string }>;
  users: Map<string, UserEntry>;
  contexts: Map<string, { cluster?: string; user?: string; origin: string }>;
  currentContext?: string;
}

/**
 * Finds the kubeconfig as kubectl does (opts.kubeconfig, else KUBECONFIG, else ~/.kube/config, else the
 * in-cluster service account) and returns the selected context's cluster and user, file paths resolved.
 */
export function loadKubeConfig(opts: { kubeconfig?: string; context?: string }, sources: KubeConfigSources = {}): KubeConfigSelection {
  const env = sources.env ?? process.env;
  let list: string[] | undefined;
  if (opts.kubeconfig) list = splitList(opts.kubeconfig);
  else if (env.KUBECONFIG) list = splitList(env.KUBECONFIG);
  if (list && list.length > 0) {
    const existing = list.filter((f) => fs.existsSync(f));
    if (existing.length === 0) throw new KubeConfigError(`kubeconfig not found: ${list.join(path.delimiter)}`);
    return select(merge(existing), opts.context);
  }
  const home = sources.home ?? env.HOME ?? os.homedir();
  const homeConfig = home ? path.join(home, '.kube', 'config') : undefined;
  if (homeConfig && fs.existsSync(homeConfig)) return select(merge([homeConfig]), opts.context);
  const inCluster = loadInCluster(env, sources.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (!inCluster) throw new KubeConfigError(NOTHING_FOUND);
  if (opts.context && opts.context !== inCluster.context) {
    throw new KubeConfigError(`kubeconfig has no context "${opts.context}": running in-cluster, the only context is "${inCluster.context}"`);
  }
  return inCluster;
}

function splitList(value: string): string[] {
  return value.split(path.delimiter).filter((f) => f.length > 0);
}

function loadInCluster(env: NodeJS.ProcessEnv, dir: string): KubeConfigSelection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(dir, 'token');
  const hasToken = fs.existsSync(tokenFile);
  if (!host || !port) {
    if (hasToken) throw new KubeConfigError(`${NOTHING_FOUND} (found ${tokenFile} but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set)`);
    return undefined;
  }
  if (!hasToken) throw new KubeConfigError(`${NOTHING_FOUND} (KUBERNETES_SERVICE_HOST is set but ${tokenFile} does not exist)`);
  // Same scheme choice as @kubernetes/client-node's loadFromCluster.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const caFile = path.join(dir, 'ca.crt');
  const origin = 'in-cluster';
  return {
    context: 'inClusterContext',
    source: origin,
    cluster: {
      name: 'inCluster',
      server: `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
      ...(fs.existsSync(caFile) ? { caFile } : {}),
      insecureSkipTlsVerify: false,
      origin,
    },
    user: { name: 'inClusterUser', tokenFile, origin },
  };
}

function merge(files: string[]): Merged {
  const m: Merged = { files, clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = load(text);
    } catch (err) {
      throw new KubeConfigError(`kubeconfig ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
    }
    parseInto(m, file, doc);
  }
  return m;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one kubeconfig document into m; for every name the first file that defines it wins (as kubectl). */
function parseInto(m: Merged, file: string, doc: unknown): void {
  if (doc === null || doc === undefined) return; // an empty file is an empty config
  const bad = (where: string, what: string): KubeConfigError => new KubeConfigError(`kubeconfig ${file}: ${where} ${what}`);
  if (!isObj(doc)) throw bad('the document', 'must be a mapping');
  const dir = path.dirname(path.resolve(file));
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(dir, p));
  const str = (o: Obj, key: string, where: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw bad(`${where}.${key}`, 'must be a string');
    return v === '' ? undefined : v;
  };
  const list = (key: string): Obj[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw bad(key, 'must be a list');
    return v.map((e, i) => {
      if (!isObj(e)) throw bad(`${key}[${i}]`, 'must be a mapping');
      return e;
    });
  };
  const named = (key: string, inner: string, e: Obj, i: number): { name: string; body: Obj } => {
    const name = str(e, 'name', `${key}[${i}]`);
    if (!name) throw bad(`${key}[${i}].name`, 'is missing');
    const body = e[inner] ?? {};
    if (!isObj(body)) throw bad(`${key}[${i}].${inner}`, 'must be a mapping');
    return { name, body };
  };

  const current = str(doc, 'current-context', 'the document');
  if (current && m.currentContext === undefined) m.currentContext = current;

  list('clusters').forEach((e, i) => {
    const { name, body } = named('clusters', 'cluster', e, i);
    const where = `clusters[${i}].cluster`;
    const server = str(body, 'server', where);
    const caData = str(body, 'certificate-authority-data', where);
    const caFile = abs(str(body, 'certificate-authority', where));
    const skip = body['insecure-skip-tls-verify'];
    if (skip !== undefined && skip !== null && typeof skip !== 'boolean') throw bad(`${where}.insecure-skip-tls-verify`, 'must be true or false');
    const tlsServerName = str(body, 'tls-server-name', where);
    const proxyUrl = str(body, 'proxy-url', where);
    if (m.clusters.has(name)) return;
    // Reported only if this entry is selected: an unused entry does no harm.
    if (proxyUrl) {
      m.clusters.set(name, { unusable: `kubeconfig ${file}: cluster "${name}" sets proxy-url ${proxyUrl}, which the Tollgate client does not support; reach the API server directly` });
      return;
    }
    if (!server) {
      m.clusters.set(name, { unusable: `kubeconfig ${file}: cluster "${name}" has no server` });
      return;
    }
    m.clusters.set(name, {
      name, server: server.replace(/\/$/, ''), insecureSkipTlsVerify: skip === true, origin: file,
      ...(caData ? { caData } : {}), ...(caFile ? { caFile } : {}), ...(tlsServerName ? { tlsServerName } : {}),
    });
  });

  list('users').forEach((e, i) => {
    const { name, body } = named('users', 'user', e, i);
    const where = `users[${i}].user`;
    const u: UserEntry = { name, origin: file };
    const set = <K extends keyof UserEntry>(k: K, v: UserEntry[K] | undefined): void => {
      if (v !== undefined) u[k] = v;
    };
    set('token', str(body, 'token', where));
    // kubectl spells it tokenFile; @kubernetes/client-node reads token-file.
    set('tokenFile', abs(str(body, 'tokenFile', where) ?? str(body, 'token-file', where)));
    set('certData', str(body, 'client-certificate-data', where));
    set('certFile', abs(str(body, 'client-certificate', where)));
    set('keyData', str(body, 'client-key-data', where));
    set('keyFile', abs(str(body, 'client-key', where)));
    set('username', str(body, 'username', where));
    set('password', str(body, 'password', where));
    set('impersonateUser', str(body, 'as', where));
    set('impersonateUid', str(body, 'as-uid', where));
    for (const key of ['as-groups', 'as-user-extra']) {
      const v = body[key];
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0)) {
        throw bad(`${where}.${key}`, 'is not supported by the Tollgate client (only as and as-uid are)');
      }
    }
    for (const [key, field] of [['exec', 'exec'], ['auth-provider', 'authProvider']] as const) {
      const v = body[key];
      if (v === undefined || v === null) continue;
      if (!isObj(v)) throw bad(`${where}.${key}`, 'must be a mapping');
      u[field] = v;
    }
    if (!m.users.has(name)) m.users.set(name, u);
  });

  list('contexts').forEach((e, i) => {
    const { name, body } = named('contexts', 'context', e, i);
    const where = `contexts[${i}].context`;
    const cluster = str(body, 'cluster', where);
    const user = str(body, 'user', where);
    str(body, 'namespace', where);
    if (!m.contexts.has(name)) m.contexts.set(name, { ...(cluster ? { cluster } : {}), ...(user ? { user } : {}), origin: file });
  });
}

function select(m: Merged, wanted: string | undefined): KubeConfigSelection {
  const source = m.files.join(path.delimiter);
  const name = wanted ?? m.currentContext;
  if (!name) throw new KubeConfigError(`${NOTHING_FOUND} (${source} sets no current-context; pass a context)`);
  const ctx = m.contexts.get(name);
  if (!ctx) {
    const known = [...m.contexts.keys()];
    throw new KubeConfigError(
      `kubeconfig ${source} has no context "${name}"${wanted ? '' : ' (its current-context)'}; available: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none'}`,
    );
  }
  if (!ctx.cluster) throw new KubeConfigError(`kubeconfig ${ctx.origin}: context "${name}" names no cluster`);
  const cluster = m.clusters.get(ctx.cluster);
  if (!cluster) throw new KubeConfigError(`kubeconfig ${source}: context "${name}" refers to cluster "${ctx.cluster}", which is not defined`);
  if ('unusable' in cluster) throw new KubeConfigError(cluster.unusable);
  let user: UserEntry | undefined;
  if (ctx.user) {
    user = m.users.get(ctx.user);
    if (!user) throw new KubeConfigError(`kubeconfig ${source}: context "${name}" refers to user "${ctx.user}", which is not defined`);
  }
  return { context: name, cluster, user, source };
}

/** What a KubeClient needs besides observer and user agent. */
export type ClientConnection = Pick<KubeClientOptions, 'server' | 'tls' | 'authHeaders'>;

export interface RefreshOptions {
  /** How long auth headers are reused before token files are read again. Default 60 s. */
  refreshMs?: number;
  now?: () => number;
}

export const AUTH_REFRESH_MS = 60_000;

/** Caches `read()` for refreshMs; a failed refresh rejects that call and is retried by the next one. */
export async function refreshingHeaders(read: () => Promise<Record<string, string>>, o: RefreshOptions = {}): Promise<() => Promise<Record<string, string>>> {
  const refreshMs = o.refreshMs ?? AUTH_REFRESH_MS;
  const now = o.now ?? Date.now;
  let cached = { at: now(), headers: await read() };
  return async () => {
    if (now() - cached.at > refreshMs) cached = { at: now(), headers: await read() };
    return cached.headers;
  };
}

/** Server, TLS material and auth headers for a selection whose user needs no plugin (see needsClientNode). */
export async function staticConnection(sel: KubeConfigSelection, o: RefreshOptions = {}): Promise<ClientConnection> {
  const { cluster, user } = sel;
  if (needsClientNode(user)) throw new Error(`user "${user?.name}" needs @kubernetes/client-node`);
  const read = (file: string, what: string, origin: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new KubeConfigError(`kubeconfig ${origin}: cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  // As kubectl: inline data wins over a file.
  const material = (data: string | undefined, file: string | undefined, what: string, origin: string): Buffer | undefined =>
    data !== undefined ? Buffer.from(data, 'base64') : file !== undefined ? read(file, what, origin) : undefined;
  const tls: NonNullable<ClientConnection['tls']> = {};
  const ca = material(cluster.caData, cluster.caFile, 'certificate-authority', cluster.origin);
  if (ca) tls.ca = ca;
  if (cluster.insecureSkipTlsVerify) tls.rejectUnauthorized = false;
  if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
  const fixed: Record<string, string> = {};
  if (user) {
    const cert = material(user.certData, user.certFile, 'client-certificate', user.origin);
    const key = material(user.keyData, user.keyFile, 'client-key', user.origin);
    if (!cert !== !key) throw new KubeConfigError(`kubeconfig ${user.origin}: user "${user.name}" sets ${cert ? 'a client certificate but no client key' : 'a client key but no client certificate'}`);
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    const bearer = user.token !== undefined || user.tokenFile !== undefined;
    if (bearer && (user.username !== undefined || user.password !== undefined)) {
      throw new KubeConfigError(`kubeconfig ${user.origin}: user "${user.name}" sets both a token and username/password; set one`);
    }
    if (user.username !== undefined || user.password !== undefined) {
      fixed.authorization = `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`;
    }
    if (user.impersonateUser) fixed['impersonate-user'] = user.impersonateUser;
    if (user.impersonateUid) fixed['impersonate-uid'] = user.impersonateUid;
  }
  const tokenFile = user?.token === undefined ? user?.tokenFile : undefined; // as kubectl: token wins over tokenFile
  const authHeaders = await refreshingHeaders(async () => {
    if (tokenFile === undefined) return user?.token !== undefined ? { ...fixed, authorization: `Bearer ${user.token}` } : fixed;
    const token = read(tokenFile, 'token file', user!.origin).toString('utf8').trim();
    return token ? { ...fixed, authorization: `Bearer ${token}` } : fixed;
  }, o);
  return { server: cluster.server, tls, authHeaders };
}
