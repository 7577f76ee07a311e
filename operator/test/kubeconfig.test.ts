import { jest } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { clientFromKubeConfigWith, clientNodeConnection, KubeConfigError as ExportedKubeConfigError } from '../src/kube/config.js';
import {
  KubeConfigError,
  loadKubeConfig,
  NOTHING_FOUND,
  staticConnection,
  type ClientConnection,
  type KubeConfigSelection,
  type KubeConfigSources,
} from '../src/kube/kubeconfig.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-kubeconfig-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Writes `content` to root/rel (creating directories) and returns the absolute path. */
function write(rel: string, content: string): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

interface Entry {
  name: string;
  [k: string]: unknown;
}
function kubeconfig(o: { current?: string; clusters?: Entry[]; users?: Entry[]; contexts?: Entry[] }): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    ...(o.current ? { 'current-context': o.current } : {}),
    clusters: (o.clusters ?? []).map(({ name, ...cluster }) => ({ name, cluster })),
    users: (o.users ?? []).map(({ name, ...user }) => ({ name, user })),
    contexts: (o.contexts ?? []).map(({ name, ...context }) => ({ name, context })),
  };
  return JSON.stringify(doc, null, 2); // JSON is YAML
}

/** A single-context kubeconfig: cluster c, user u, context x. */
const simple = (cluster: Record<string, unknown>, user: Record<string, unknown>): string =>
  kubeconfig({
    current: 'x',
    clusters: [{ name: 'c', ...cluster }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  });

/** Sources that find nothing unless the test says so: no KUBECONFIG, an empty home, no service account. */
const isolated = (extra: KubeConfigSources = {}): KubeConfigSources => ({
  env: {},
  home: path.join(root, 'home'),
  serviceAccountDir: path.join(root, 'no-sa'),
  ...extra,
});

const load = (file: string | undefined, context?: string, sources?: KubeConfigSources): KubeConfigSelection =>
  loadKubeConfig({ ...(file ? { kubeconfig: file } : {}), ...(context ? { context } : {}) }, sources ?? isolated());

async function connect(file: string, context?: string): Promise<ClientConnection> {
  return staticConnection(load(file, context));
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('loadKubeConfig + staticConnection', () => {
  it('token user: server, CA data and a bearer header', async () => {
    const file = write(
      'kc',
      simple({ server: 'https://api.example:6443/', 'certificate-authority-data': b64('CA PEM') }, { token: 'tok-1' }),
    );
    const conn = await connect(file);
    expect(conn.server).toBe('https://api.example:6443');
    expect(conn.tls?.ca).toEqual(Buffer.from('CA PEM'));
    expect(conn.tls?.rejectUnauthorized).toBeUndefined();
    expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer tok-1' });
  });

  it('client certificate and key data', async () => {
    const file = write('kc', simple({ server: 'https://a:1' }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }));
    const conn = await connect(file);
    expect(conn.tls?.cert).toEqual(Buffer.from('CERT'));
    expect(conn.tls?.key).toEqual(Buffer.from('KEY'));
    expect(await conn.authHeaders()).toEqual({});
  });

  it('file paths resolve against the directory of the kubeconfig that defines the entry', async () => {
    write('conf/pki/ca.crt', 'CA FILE');
    write('conf/pki/client.crt', 'CERT FILE');
    write('conf/pki/client.key', 'KEY FILE');
    write('conf/token', 'file-token\n');
    const file = write(
      'conf/kc',
      simple(
        { server: 'https://a:1', 'certificate-authority': 'pki/ca.crt' },
        { 'client-certificate': 'pki/client.crt', 'client-key': './pki/client.key', tokenFile: 'token' },
      ),
    );
    const cwd = process.cwd();
    process.chdir(os.tmpdir()); // the loader must not resolve against the working directory
    try {
      const conn = await connect(file);
      expect(conn.tls?.ca).toEqual(Buffer.from('CA FILE'));
      expect(conn.tls?.cert).toEqual(Buffer.from('CERT FILE'));
      expect(conn.tls?.key).toEqual(Buffer.from('KEY FILE'));
      expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer file-token' });
    } finally {
      process.chdir(cwd);
    }
  });

  it('KUBECONFIG list: the first file defining a name wins, current-context comes from the first file that sets it, missing files are skipped', async () => {
    const first = write(
      'a/kc',
      kubeconfig({
        clusters: [{ name: 'shared', server: 'https://first:1' }],
        users: [{ name: 'shared-user', token: 'first-token' }],
      }),
    );
    const second = write(
      'b/kc',
      kubeconfig({
        current: 'second-ctx',
        clusters: [
          { name: 'shared', server: 'https://second:1' },
          { name: 'only-second', server: 'https://only-second:1' },
        ],
        users: [{ name: 'shared-user', token: 'second-token' }],
        contexts: [
          { name: 'second-ctx', cluster: 'shared', user: 'shared-user' },
          { name: 'other', cluster: 'only-second', user: 'shared-user' },
        ],
      }),
    );
    const third = write(
      'c/kc',
      kubeconfig({
        current: 'third-ctx',
        contexts: [
          { name: 'second-ctx', cluster: 'only-second', user: 'nobody' },
          { name: 'third-ctx', cluster: 'only-second', user: 'shared-user' },
        ],
      }),
    );
    const env = { KUBECONFIG: [path.join(root, 'missing'), first, second, third].join(path.delimiter) };
    const sel = load(undefined, undefined, isolated({ env }));
    expect(sel.context).toBe('second-ctx');
    expect(sel.cluster.server).toBe('https://first:1');
    expect(sel.user?.token).toBe('first-token');
    expect(sel.source).toBe([first, second, third].join(path.delimiter));
    expect(load(undefined, 'other', isolated({ env })).cluster.server).toBe('https://only-second:1');
    // opts.kubeconfig may be a list too, takes precedence over KUBECONFIG, and entries may refer across files
    const reversed = load([third, second].join(path.delimiter), undefined, isolated({ env }));
    expect(reversed.context).toBe('third-ctx');
    expect(reversed.cluster.server).toBe('https://only-second:1');
    expect(reversed.user?.token).toBe('second-token');
    expect(() => load([third, second].join(path.delimiter), 'second-ctx', isolated({ env }))).toThrow(
      'refers to user "nobody", which is not defined',
    );
  });

  it('a KUBECONFIG list of only missing files is an error', () => {
    const env = { KUBECONFIG: [path.join(root, 'x'), path.join(root, 'y')].join(path.delimiter) };
    expect(() => load(undefined, undefined, isolated({ env }))).toThrow(KubeConfigError);
    expect(() => load(undefined, undefined, isolated({ env }))).toThrow(/kubeconfig not found/);
  });

  it('~/.kube/config when neither opts.kubeconfig nor KUBECONFIG is set', () => {
    write('home/.kube/config', simple({ server: 'https://home:1' }, { token: 't' }));
    expect(load(undefined).cluster.server).toBe('https://home:1');
  });

  it('selects the given context; an unknown one names the available contexts', () => {
    const file = write(
      'kc',
      kubeconfig({
        current: 'one',
        clusters: [
          { name: 'c1', server: 'https://one:1' },
          { name: 'c2', server: 'https://two:1' },
        ],
        users: [{ name: 'u', token: 't' }],
        contexts: [
          { name: 'one', cluster: 'c1', user: 'u' },
          { name: 'two', cluster: 'c2', user: 'u' },
        ],
      }),
    );
    expect(load(file).cluster.server).toBe('https://one:1');
    expect(load(file, 'two').cluster.server).toBe('https://two:1');
    expect(() => load(file, 'three')).toThrow(KubeConfigError);
    expect(() => load(file, 'three')).toThrow('has no context "three"; available: "one", "two"');
  });

  it('dangling references and a missing current-context are clear errors', () => {
    const noCluster = write(
      'a',
      kubeconfig({ current: 'x', users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'gone', user: 'u' }] }),
    );
    expect(() => load(noCluster)).toThrow('refers to cluster "gone", which is not defined');
    const noUser = write(
      'b',
      kubeconfig({ current: 'x', clusters: [{ name: 'c', server: 'https://a:1' }], contexts: [{ name: 'x', cluster: 'c', user: 'gone' }] }),
    );
    expect(() => load(noUser)).toThrow('refers to user "gone", which is not defined');
    const noCurrent = write('c', kubeconfig({ clusters: [{ name: 'c', server: 'https://a:1' }], contexts: [{ name: 'x', cluster: 'c' }] }));
    expect(() => load(noCurrent)).toThrow(/sets no current-context/);
    const noServer = write('d', simple({}, { token: 't' }));
    expect(() => load(noServer)).toThrow('cluster "c" has no server');
  });

  it('insecure-skip-tls-verify and tls-server-name', async () => {
    const file = write(
      'kc',
      simple(
        { server: 'https://10.0.0.1:6443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes.default' },
        { token: 't' },
      ),
    );
    const conn = await connect(file);
    expect(conn.tls?.rejectUnauthorized).toBe(false);
    expect(conn.tls?.servername).toBe('kubernetes.default');
  });

  it('basic auth, and impersonation headers', async () => {
    const file = write('kc', simple({ server: 'https://a:1' }, { username: 'admin', password: 's3cret', as: 'jane', 'as-uid': '42' }));
    expect(await (await connect(file)).authHeaders()).toEqual({
      authorization: `Basic ${b64('admin:s3cret')}`,
      'impersonate-user': 'jane',
      'impersonate-uid': '42',
    });
  });

  it('a context without a user sends no credentials', async () => {
    const file = write(
      'kc',
      kubeconfig({ current: 'x', clusters: [{ name: 'c', server: 'http://a:1' }], contexts: [{ name: 'x', cluster: 'c' }] }),
    );
    const sel = load(file);
    expect(sel.user).toBeUndefined();
    expect(await (await staticConnection(sel)).authHeaders()).toEqual({});
  });

  it('re-reads tokenFile once the refresh interval has passed', async () => {
    const token = write('token', 'first');
    const file = write('kc', simple({ server: 'https://a:1' }, { tokenFile: token }));
    let now = 1_000;
    const conn = await staticConnection(load(file), { now: () => now, refreshMs: 60_000 });
    expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer first' });
    fs.writeFileSync(token, 'second\n');
    now += 30_000;
    expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer first' });
    now += 31_000;
    expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer second' });
    // a failed refresh fails that call and is retried by the next one
    fs.rmSync(token);
    now += 61_000;
    await expect(conn.authHeaders()).rejects.toThrow(KubeConfigError);
    fs.writeFileSync(token, 'third');
    expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer third' });
  });

  it('token wins over tokenFile; token with username is an error', async () => {
    const file = write('kc', simple({ server: 'https://a:1' }, { token: 'inline', tokenFile: path.join(root, 'does-not-exist') }));
    expect(await (await connect(file)).authHeaders()).toEqual({ authorization: 'Bearer inline' });
    const both = write('kc2', simple({ server: 'https://a:1' }, { token: 't', username: 'u', password: 'p' }));
    await expect(connect(both)).rejects.toThrow('sets both a token and username/password');
  });

  it('a certificate without a key, or an unreadable file, is an error naming the file', async () => {
    const noKey = write('kc', simple({ server: 'https://a:1' }, { 'client-certificate-data': b64('CERT') }));
    await expect(connect(noKey)).rejects.toThrow('sets a client certificate but no client key');
    const noCa = write('kc2', simple({ server: 'https://a:1', 'certificate-authority': 'missing-ca.crt' }, {}));
    await expect(connect(noCa)).rejects.toThrow(`cannot read certificate-authority ${path.join(root, 'missing-ca.crt')}`);
  });

  describe('in-cluster', () => {
    function serviceAccount(token = 'sa-token'): string {
      write('sa/token', token);
      write('sa/ca.crt', 'SA CA');
      return path.join(root, 'sa');
    }

    it('uses KUBERNETES_SERVICE_HOST/PORT, the service-account CA and token, re-reading the token', async () => {
      const dir = serviceAccount();
      const sel = load(
        undefined,
        undefined,
        isolated({ serviceAccountDir: dir, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } }),
      );
      expect(sel.source).toBe('in-cluster');
      let now = 0;
      const conn = await staticConnection(sel, { now: () => now });
      expect(conn.server).toBe('https://10.96.0.1:443');
      expect(conn.tls?.ca).toEqual(Buffer.from('SA CA'));
      expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer sa-token' });
      fs.writeFileSync(path.join(dir, 'token'), 'rotated');
      now = 60_001;
      expect(await conn.authHeaders()).toEqual({ authorization: 'Bearer rotated' });
    });

    it('brackets an IPv6 host', () => {
      const sel = load(
        undefined,
        undefined,
        isolated({
          serviceAccountDir: serviceAccount(),
          env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' },
        }),
      );
      expect(sel.cluster.server).toBe('https://[fd00:10:96::1]:443');
    });

    it('a kubeconfig in the home directory takes precedence', () => {
      write('home/.kube/config', simple({ server: 'https://home:1' }, { token: 't' }));
      const sel = load(
        undefined,
        undefined,
        isolated({ serviceAccountDir: serviceAccount(), env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } }),
      );
      expect(sel.cluster.server).toBe('https://home:1');
    });

    it('a token without the service env is not enough', () => {
      expect(() => load(undefined, undefined, isolated({ serviceAccountDir: serviceAccount() }))).toThrow(/KUBERNETES_SERVICE_HOST/);
    });
  });

  it('nothing found: the same error as before', async () => {
    expect(() => load(undefined)).toThrow(new KubeConfigError(NOTHING_FOUND));
    await expect(clientFromKubeConfigWith({}, { sources: isolated() })).rejects.toThrow(ExportedKubeConfigError);
    expect(ExportedKubeConfigError).toBe(KubeConfigError);
  });

  it('proxy-url is refused, not ignored', () => {
    const file = write('kc', simple({ server: 'https://a:1', 'proxy-url': 'http://proxy:3128' }, { token: 't' }));
    expect(() => load(file)).toThrow(KubeConfigError);
    expect(() => load(file)).toThrow(/proxy-url http:\/\/proxy:3128, which the Tollgate client does not support/);
  });

  it('malformed YAML and wrong types name the file', () => {
    const yaml = write('broken.yaml', 'clusters: [\n  - name: x\n  bad');
    expect(() => load(yaml)).toThrow(KubeConfigError);
    expect(() => load(yaml)).toThrow(`kubeconfig ${yaml} is not valid YAML`);
    const types = write('types.yaml', simple({ server: 'https://a:1', 'insecure-skip-tls-verify': 'yes' }, { token: 't' }));
    expect(() => load(types)).toThrow(`kubeconfig ${types}: clusters[0].cluster.insecure-skip-tls-verify must be true or false`);
    const token = write('token.yaml', simple({ server: 'https://a:1' }, { token: 42 }));
    expect(() => load(token)).toThrow(`kubeconfig ${token}: users[0].user.token must be a string`);
    const list = write('list.yaml', 'clusters: {}\n');
    expect(() => load(list)).toThrow(`kubeconfig ${list}: clusters must be a list`);
    const scalar = write('scalar.yaml', 'just a string\n');
    expect(() => load(scalar)).toThrow(`kubeconfig ${scalar}: the document must be a mapping`);
  });
});

describe('clientFromKubeConfig', () => {
  let server: http.Server;
  let seen: http.IncomingHttpHeaders[];
  let url: string;
  beforeEach(async () => {
    seen = [];
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'APIVersions', versions: ['v1'] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the kubeconfig credentials and user agent, without loading @kubernetes/client-node', async () => {
    const file = write('kc', simple({ server: url }, { token: 'over-the-wire' }));
    const clientNode = jest.fn<(sel: KubeConfigSelection) => Promise<ClientConnection>>();
    const client = await clientFromKubeConfigWith({ kubeconfig: file, userAgent: 'test-agent' }, { sources: isolated(), clientNode });
    try {
      await client.request('GET', '/api');
    } finally {
      client.close();
    }
    expect(clientNode).not.toHaveBeenCalled();
    expect(seen[0]).toMatchObject({ authorization: 'Bearer over-the-wire', 'user-agent': 'test-agent' });
  });

  it('hands exec and auth-provider users to the client-node fallback', async () => {
    const file = write(
      'kc',
      kubeconfig({
        current: 'exec',
        clusters: [{ name: 'c', server: url }],
        users: [
          { name: 'exec-user', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'get-token' } },
          { name: 'ap-user', 'auth-provider': { name: 'oidc', config: {} } },
        ],
        contexts: [
          { name: 'exec', cluster: 'c', user: 'exec-user' },
          { name: 'ap', cluster: 'c', user: 'ap-user' },
        ],
      }),
    );
    const clientNode = jest.fn(async (sel: KubeConfigSelection): Promise<ClientConnection> => ({
      server: sel.cluster.server,
      authHeaders: async () => ({ authorization: `Bearer from-${sel.user?.name}` }),
    }));
    for (const context of ['exec', 'ap']) {
      const client = await clientFromKubeConfigWith({ kubeconfig: file, context }, { sources: isolated(), clientNode });
      try {
        await client.request('GET', '/api');
      } finally {
        client.close();
      }
    }
    expect(clientNode).toHaveBeenCalledTimes(2);
    expect(clientNode.mock.calls[0]![0].user?.exec).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', command: 'get-token' });
    expect(clientNode.mock.calls[1]![0].user?.authProvider).toEqual({ name: 'oidc', config: {} });
    expect(seen.map((h) => h.authorization)).toEqual(['Bearer from-exec-user', 'Bearer from-ap-user']);
  });

  it('the real fallback runs an exec plugin through @kubernetes/client-node', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'exec-token' },
    });
    write('ca.crt', 'EXEC CA');
    // client-node refuses plain http without insecure-skip-tls-verify; nothing is sent here
    const file = write(
      'kc',
      simple(
        { server: 'https://127.0.0.1:1', 'certificate-authority': 'ca.crt', 'tls-server-name': 'kube' },
        { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/echo', args: [credential], interactiveMode: 'Never' } },
      ),
    );
    const conn = await clientNodeConnection(load(file));
    expect(conn.server).toBe('https://127.0.0.1:1');
    expect(conn.tls?.ca).toEqual(Buffer.from('EXEC CA'));
    expect(conn.tls?.servername).toBe('kube');
    expect(await conn.authHeaders()).toMatchObject({ authorization: 'Bearer exec-token' });
  });
});
