import { ConfigError, loadConfig, SERVICE_ACCOUNT_NAMESPACE_FILE, scrubSecrets, type ConfigIo } from '../src/config.js';

const TOKEN = 'a-token-of-20-chars!';
const files = (content: Record<string, string>): ConfigIo => ({
  readFile: (p) => {
    if (!(p in content)) throw new Error(`ENOENT: no such file, open '${p}'`);
    return content[p]!;
  },
  exists: (p) => p in content,
});
const none = files({});
const load = (env: Record<string, string>, io = none): ReturnType<typeof loadConfig> => loadConfig(env, io);

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(load({ HOOKS_TOKEN: TOKEN })).toEqual({
      port: 8080,
      logLevel: 'info',
      token: TOKEN,
      hmacKey: undefined,
      insecure: false,
      metricsPublic: false,
      allowedCommands: ['hey', 'curl', 'grep', 'helm', 'kubectl', 'jq', 'sleep', 'echo', 'test', 'true', 'false'],
      maxBodyBytes: 65536,
      maxRunningTasks: 10,
      taskTimeoutMs: 3_600_000,
      blockingTimeoutMs: 60_000,
      namespacePattern: undefined,
      gateStore: 'kubernetes',
      gateNamespace: 'tollgate-system',
      kubeconfig: undefined,
      shutdownGraceMs: 10_000,
      loadLimits: { maxRate: 1000, maxConcurrency: 100, maxDurationMs: 1_800_000, maxRequests: 1_000_000 },
    });
  });

  it('reads the load caps and the task user', () => {
    expect(
      load({
        HOOKS_TOKEN: TOKEN,
        MAX_LOAD_RATE: '50',
        MAX_LOAD_CONCURRENCY: '4',
        MAX_LOAD_DURATION: '2m',
        MAX_LOAD_REQUESTS: '600',
        TASK_UID: '1001',
      }),
    ).toMatchObject({
      loadLimits: { maxRate: 50, maxConcurrency: 4, maxDurationMs: 120_000, maxRequests: 600 },
      taskUser: { uid: 1001, gid: 1001 },
    });
    expect(() => load({ HOOKS_TOKEN: TOKEN, TASK_GID: '5' })).toThrow('TASK_GID: set together with TASK_UID');
    expect(() => load({ HOOKS_TOKEN: TOKEN, MAX_LOAD_RATE: '0' })).toThrow(/MAX_LOAD_RATE: /);
    expect(() => load({ HOOKS_TOKEN: TOKEN, TASK_UID: '0' })).toThrow(/TASK_UID: /);
  });

  it.each([
    ['PORT', 'abc', 'PORT: must be a whole number'],
    ['PORT', '70000', 'PORT: '],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: '],
    ['HOOKS_INSECURE', 'yes', 'HOOKS_INSECURE: must be true or false'],
    ['METRICS_PUBLIC', '1', 'METRICS_PUBLIC: must be true or false'],
    ['ALLOWED_COMMANDS', 'curl,/bin/sh', 'ALLOWED_COMMANDS: program names only, no paths'],
    ['MAX_BODY_BYTES', '10', 'MAX_BODY_BYTES: '],
    ['MAX_RUNNING_TASKS', '0', 'MAX_RUNNING_TASKS: '],
    ['TASK_TIMEOUT', 'forever', 'TASK_TIMEOUT: invalid duration "forever"'],
    ['BLOCKING_TIMEOUT', '0', 'BLOCKING_TIMEOUT: must be more than 0'],
    ['NAMESPACE_REGEXP', '(', 'NAMESPACE_REGEXP: not a regular expression'],
    ['GATE_STORE', 'etcd', 'GATE_STORE: '],
    ['GATE_NAMESPACE', 'Not_A_Namespace', 'GATE_NAMESPACE: must be a namespace name'],
    ['SHUTDOWN_GRACE_MS', '-1', 'SHUTDOWN_GRACE_MS: must be a whole number'],
  ])('names %s in the error for %j', (name, value, message) => {
    expect(() => load({ HOOKS_TOKEN: TOKEN, [name]: value })).toThrow(ConfigError);
    expect(() => load({ HOOKS_TOKEN: TOKEN, [name]: value })).toThrow(message);
  });

  it('refuses to run without credentials unless HOOKS_INSECURE=true', () => {
    expect(() => load({})).toThrow(/no credentials: set HOOKS_TOKEN/);
    expect(load({ HOOKS_INSECURE: 'true' })).toMatchObject({ insecure: true, token: undefined, hmacKey: undefined });
  });

  it('reads secrets from files, trimmed, and refuses weak or doubly set ones', () => {
    const io = files({ '/s/token': `${TOKEN}\n`, '/s/key': '  hmac-key-0123456789abcdef \n', '/s/short': 'abc' });
    expect(load({ HOOKS_TOKEN_FILE: '/s/token', HOOKS_HMAC_KEY_FILE: '/s/key' }, io)).toMatchObject({
      token: TOKEN,
      hmacKey: 'hmac-key-0123456789abcdef',
    });
    expect(() => load({ HOOKS_TOKEN_FILE: '/s/short' }, io)).toThrow('HOOKS_TOKEN_FILE: the secret must be at least 16 characters');
    expect(() => load({ HOOKS_TOKEN_FILE: '/s/missing' }, io)).toThrow(/HOOKS_TOKEN_FILE: cannot read \/s\/missing/);
    expect(() => load({ HOOKS_TOKEN: TOKEN, HOOKS_TOKEN_FILE: '/s/token' }, io)).toThrow('set HOOKS_TOKEN or HOOKS_TOKEN_FILE, not both');
    expect(() => load({ HOOKS_HMAC_KEY: 'short' })).toThrow('HOOKS_HMAC_KEY: the secret must be at least 16 characters');
  });

  it('takes the gate namespace from GATE_NAMESPACE, POD_NAMESPACE, the service account, then tollgate-system', () => {
    const sa = files({ [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'from-sa\n' });
    expect(load({ HOOKS_TOKEN: TOKEN, GATE_NAMESPACE: 'explicit', POD_NAMESPACE: 'pod' }, sa).gateNamespace).toBe('explicit');
    expect(load({ HOOKS_TOKEN: TOKEN, POD_NAMESPACE: 'pod' }, sa).gateNamespace).toBe('pod');
    expect(load({ HOOKS_TOKEN: TOKEN }, sa).gateNamespace).toBe('from-sa');
    expect(load({ HOOKS_TOKEN: TOKEN }).gateNamespace).toBe('tollgate-system');
  });

  it('anchors NAMESPACE_REGEXP to the whole namespace', () => {
    const p = load({ HOOKS_TOKEN: TOKEN, NAMESPACE_REGEXP: 'test|prod' }).namespacePattern!;
    expect(['test', 'prod', 'test2', 'mytest'].map((ns) => p.test(ns))).toEqual([true, true, false, false]);
  });

  it('treats empty values as unset', () => {
    expect(load({ HOOKS_TOKEN: TOKEN, PORT: '', HOOKS_HMAC_KEY: ' ' })).toMatchObject({ port: 8080, hmacKey: undefined });
  });
});

describe('scrubSecrets', () => {
  it('removes the secret variables from the environment and says which were set', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/bin', HOOKS_TOKEN: 'x', HOOKS_TOKEN_FILE: '/etc/t', HOME: '/root' };
    expect(scrubSecrets(env)).toEqual(['HOOKS_TOKEN']);
    expect(env).toEqual({ PATH: '/bin', HOOKS_TOKEN_FILE: '/etc/t', HOME: '/root' });
  });
});
