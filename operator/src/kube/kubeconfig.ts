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
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where to look; every field defaults to the real environment. For tests. */
export interface KubeConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Home directory holding .kube/config. Default: env.HOME, else os.homedir(). */
  home?: string;
  /** Directory with the in-cluster `token` and `ca.crt`. */
  serviceAccountDir?: string;
}

interface ClusterEntry {
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
    throw new KubeConfigError(
      `kubeconfig has no context "${opts.context}": running in-cluster, the only context is "${inCluster.context}"`,
    );
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
    if (hasToken)
      throw new KubeConfigError(`${NOTHING_FOUND} (found ${tokenFile} but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set)`);
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

/** Typed reads of one kubeconfig document, each error naming the file and the path of the bad field. */
class DocReader {
  private readonly dir: string;

  constructor(
    readonly file: string,
    readonly doc: Obj,
  ) {
    this.dir = path.dirname(path.resolve(file));
  }

  bad(where: string, what: string): KubeConfigError {
    return new KubeConfigError(`kubeconfig ${this.file}: ${where} ${what}`);
  }

  /** A path relative to the kubeconfig file's directory, as kubectl resolves it. */
  abs(p: string | undefined): string | undefined {
    return p === undefined ? undefined : path.resolve(this.dir, p);
  }

  str(o: Obj, key: string, where: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.bad(`${where}.${key}`, 'must be a string');
    return v === '' ? undefined : v;
  }

  /** The entries of a top-level list (clusters, users, contexts): name and inner mapping, with where they are. */
  entries(key: string, inner: string): Array<{ name: string; body: Obj; where: string }> {
    const v = this.doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.bad(key, 'must be a list');
    return v.map((e: unknown, i) => {
      if (!isObj(e)) throw this.bad(`${key}[${i}]`, 'must be a mapping');
      const name = this.str(e, 'name', `${key}[${i}]`);
      if (!name) throw this.bad(`${key}[${i}].name`, 'is missing');
      const body = e[inner] ?? {};
      if (!isObj(body)) throw this.bad(`${key}[${i}].${inner}`, 'must be a mapping');
      return { name, body, where: `${key}[${i}].${inner}` };
    });
  }
}

/** Reads one kubeconfig document into m; for every name the first file that defines it wins (as kubectl). */
function parseInto(m: Merged, file: string, doc: unknown): void {
  if (doc === null || doc === undefined) return; // an empty file is an empty config
  if (!isObj(doc)) throw new KubeConfigError(`kubeconfig ${file}: the document must be a mapping`);
  const r = new DocReader(file, doc);
  const current = r.str(doc, 'current-context', 'the document');
  if (current && m.currentContext === undefined) m.currentContext = current;
  for (const { name, body, where } of r.entries('clusters', 'cluster')) {
    const cluster = parseCluster(r, name, body, where);
    if (!m.clusters.has(name)) m.clusters.set(name, cluster);
  }
  for (const { name, body, where } of r.entries('users', 'user')) {
    const user = parseUser(r, name, body, where);
    if (!m.users.has(name)) m.users.set(name, user);
  }
  for (const { name, body, where } of r.entries('contexts', 'context')) {
    const cluster = r.str(body, 'cluster', where);
    const user = r.str(body, 'user', where);
    r.str(body, 'namespace', where);
    if (!m.contexts.has(name)) m.contexts.set(name, { ...(cluster ? { cluster } : {}), ...(user ? { user } : {}), origin: file });
  }
}

function parseCluster(r: DocReader, name: string, body: Obj, where: string): ClusterEntry | { unusable: string } {
  const server = r.str(body, 'server', where);
  const caData = r.str(body, 'certificate-authority-data', where);
  const caFile = r.abs(r.str(body, 'certificate-authority', where));
  const skip = body['insecure-skip-tls-verify'];
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean')
    throw r.bad(`${where}.insecure-skip-tls-verify`, 'must be true or false');
  const tlsServerName = r.str(body, 'tls-server-name', where);
  const proxyUrl = r.str(body, 'proxy-url', where);
  // Reported only if this entry is selected: an unused entry does no harm.
  if (proxyUrl) {
    return {
      unusable: `kubeconfig ${r.file}: cluster "${name}" sets proxy-url ${proxyUrl}, which the Tollgate client does not support; reach the API server directly`,
    };
  }
  if (!server) return { unusable: `kubeconfig ${r.file}: cluster "${name}" has no server` };
  return {
    name,
    server: server.replace(/\/$/, ''),
    insecureSkipTlsVerify: skip === true,
    origin: r.file,
    ...(caData ? { caData } : {}),
    ...(caFile ? { caFile } : {}),
    ...(tlsServerName ? { tlsServerName } : {}),
  };
}

function parseUser(r: DocReader, name: string, body: Obj, where: string): UserEntry {
  const u: UserEntry = { name, origin: r.file };
  const set = <K extends keyof UserEntry>(k: K, v: UserEntry[K] | undefined): void => {
    if (v !== undefined) u[k] = v;
  };
  set('token', r.str(body, 'token', where));
  // kubectl spells it tokenFile; @kubernetes/client-node reads token-file.
  set('tokenFile', r.abs(r.str(body, 'tokenFile', where) ?? r.str(body, 'token-file', where)));
  set('certData', r.str(body, 'client-certificate-data', where));
  set('certFile', r.abs(r.str(body, 'client-certificate', where)));
  set('keyData', r.str(body, 'client-key-data', where));
  set('keyFile', r.abs(r.str(body, 'client-key', where)));
  set('username', r.str(body, 'username', where));
  set('password', r.str(body, 'password', where));
  set('impersonateUser', r.str(body, 'as', where));
  set('impersonateUid', r.str(body, 'as-uid', where));
  for (const key of ['as-groups', 'as-user-extra']) {
    const v = body[key];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0)) {
      throw r.bad(`${where}.${key}`, 'is not supported by the Tollgate client (only as and as-uid are)');
    }
  }
  for (const [key, field] of [
    ['exec', 'exec'],
    ['auth-provider', 'authProvider'],
  ] as const) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (!isObj(v)) throw r.bad(`${where}.${key}`, 'must be a mapping');
    u[field] = v;
  }
  return u;
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
  if (!cluster)
    throw new KubeConfigError(`kubeconfig ${source}: context "${name}" refers to cluster "${ctx.cluster}", which is not defined`);
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

const AUTH_REFRESH_MS = 60_000;

/** Caches `read()` for refreshMs; a failed refresh rejects that call and is retried by the next one. */
export async function refreshingHeaders(
  read: () => Promise<Record<string, string>>,
  o: RefreshOptions = {},
): Promise<() => Promise<Record<string, string>>> {
  const refreshMs = o.refreshMs ?? AUTH_REFRESH_MS;
  const now = o.now ?? Date.now;
  let cached = { at: now(), headers: await read() };
  return async () => {
    if (now() - cached.at > refreshMs) cached = { at: now(), headers: await read() };
    return cached.headers;
  };
}

/** Server, TLS material and auth headers for a selection whose user needs no plugin (see needsClientNode). */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export async function staticConnection(sel: KubeConfigSelection, o: RefreshOptions = {}): Promise<ClientConnection> {
  const { cluster, user } = sel;
  if (needsClientNode(user)) throw new KubeConfigError(`user "${user?.name}" needs @kubernetes/client-node`);
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
    if (!cert !== !key)
      throw new KubeConfigError(
        `kubeconfig ${user.origin}: user "${user.name}" sets ${cert ? 'a client certificate but no client key' : 'a client key but no client certificate'}`,
      );
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
