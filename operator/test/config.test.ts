import { ConfigError, loadConfig, type OperatorConfig } from '../src/config.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe('ConfigError');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('given no flags and no environment, then every default applies', () => {
    expect(loadConfig([], {})).toEqual<OperatorConfig>({
      metricsServer: 'http://prometheus:9090',
      meshProvider: 'istio',
      namespaces: [],
      logLevel: 'info',
      configTracking: true,
      secretTrackingNamespaces: '*',
      clusterName: '',
      crossNamespaceRefs: 'opt-in',
      leaderElect: false,
      leaderElectionNamespace: '',
      shards: 1,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      identity: '',
      port: 8080,
      workers: 16,
      selectorLabels: ['app', 'name', 'app.kubernetes.io/name'],
      resyncMs: 300_000,
      maxResponseBytes: 1024 * 1024,
      webhookMaxTimeoutMs: 120_000,
      webhookMaxRetries: 5,
      reconcileDeadlineMs: 180_000,
      forbidInsecureTls: false,
      ambientCredentialsNamespaces: [],
      kubeApiQps: 100,
      kubeApiBurst: 250,
      kubeWatchTimeoutMs: 0,
      flaggerCompatMetrics: false,
      eventsPerStep: false,
      maxConcurrentReleases: 0,
      maxConcurrentReleasesPerNamespace: 0,
    });
  });

  it('given unrelated environment variables, then they are ignored', () => {
    expect(loadConfig([], { HOME: '/root', NAMESPACE: 'x', PATH: '/bin' })).toEqual(loadConfig([], {}));
  });
});

describe('loadConfig from the environment', () => {
  it('given every environment variable, then each setting is read and parsed', () => {
    const env = {
      KUBECONFIG: '/etc/kube/config',
      METRICS_SERVER: 'http://prometheus.monitoring:9090',
      MESH_PROVIDER: 'kubernetes',
      WATCH_NAMESPACES: 'team-a, team-b,,team-c ',
      LOG_LEVEL: 'debug',
      PORT: '9090',
      WORKERS: '8',
      SELECTOR_LABELS: 'app.kubernetes.io/name',
      RESYNC_INTERVAL: '1m30s',
    };
    expect(loadConfig([], env)).toEqual<OperatorConfig>({
      kubeconfig: '/etc/kube/config',
      metricsServer: 'http://prometheus.monitoring:9090',
      meshProvider: 'kubernetes',
      namespaces: ['team-a', 'team-b', 'team-c'],
      configTracking: true,
      secretTrackingNamespaces: '*',
      clusterName: '',
      crossNamespaceRefs: 'opt-in',
      leaderElect: false,
      leaderElectionNamespace: '',
      shards: 1,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      identity: '',
      logLevel: 'debug',
      port: 9090,
      workers: 8,
      selectorLabels: ['app.kubernetes.io/name'],
      resyncMs: 90_000,
      maxResponseBytes: 1024 * 1024,
      webhookMaxTimeoutMs: 120_000,
      webhookMaxRetries: 5,
      reconcileDeadlineMs: 180_000,
      forbidInsecureTls: false,
      ambientCredentialsNamespaces: [],
      kubeApiQps: 100,
      kubeApiBurst: 250,
      kubeWatchTimeoutMs: 0,
      flaggerCompatMetrics: false,
      eventsPerStep: false,
      maxConcurrentReleases: 0,
      maxConcurrentReleasesPerNamespace: 0,
    });
  });
});

describe('loadConfig: Flagger-compatible metrics', () => {
  it('given FLAGGER_COMPAT_METRICS=true, then the operator exports them', () => {
    expect(loadConfig([], { FLAGGER_COMPAT_METRICS: 'true' }).flaggerCompatMetrics).toBe(true);
  });

  it('given --flagger-compat-metrics=yes, then it is refused with a clear message', () => {
    expect(() => loadConfig(['--flagger-compat-metrics=yes'], {})).toThrow(
      '--flagger-compat-metrics / FLAGGER_COMPAT_METRICS: must be true or false',
    );
  });
});

describe('loadConfig: the release queue', () => {
  it('given both caps in the environment, then each is read; a flag wins over its variable', () => {
    const env = { MAX_CONCURRENT_RELEASES: '10', MAX_CONCURRENT_RELEASES_PER_NAMESPACE: '5' };
    expect(loadConfig([], env)).toMatchObject({ maxConcurrentReleases: 10, maxConcurrentReleasesPerNamespace: 5 });
    expect(loadConfig(['--max-concurrent-releases=3'], env)).toMatchObject({
      maxConcurrentReleases: 3,
      maxConcurrentReleasesPerNamespace: 5,
    });
  });

  it.each<[string, string[]]>([
    ['a negative cap', ['--max-concurrent-releases=-1']],
    ['a fractional cap', ['--max-concurrent-releases=2.5']],
    ['a word', ['--max-concurrent-releases-per-namespace=many']],
  ])('given %s, then the operator refuses to start naming the setting', (_t, argv) => {
    const flag = argv[0]!.slice(2, argv[0]!.indexOf('='));
    expect(configError(() => loadConfig(argv, {})).message).toContain(`--${flag} / ${flag.toUpperCase().replaceAll('-', '_')}:`);
  });
});

describe('loadConfig: limits of outbound calls', () => {
  it('given every limit in the environment, then each is read and parsed', () => {
    const env = {
      MAX_RESPONSE_SIZE: '256Ki',
      WEBHOOK_MAX_TIMEOUT: '30s',
      WEBHOOK_MAX_RETRIES: '0',
      RECONCILE_DEADLINE: '1m',
      FORBID_INSECURE_TLS: 'true',
      AMBIENT_CREDENTIALS_NAMESPACES: 'monitoring, platform',
    };
    expect(loadConfig([], env)).toMatchObject({
      maxResponseBytes: 256 * 1024,
      webhookMaxTimeoutMs: 30_000,
      webhookMaxRetries: 0,
      reconcileDeadlineMs: 60_000,
      forbidInsecureTls: true,
      ambientCredentialsNamespaces: ['monitoring', 'platform'],
    });
  });

  it.each<[string, number]>([
    ['65536', 65536],
    ['2Mi', 2 * 1024 * 1024],
    ['1Ki', 1024],
    ['64Mi', 64 * 1024 * 1024],
  ])('given --max-response-size=%s, then the cap is %p bytes', (v, bytes) => {
    expect(loadConfig([`--max-response-size=${v}`], {}).maxResponseBytes).toBe(bytes);
  });

  it.each<[string, string[], string]>([
    ['a size without a number', ['--max-response-size=lots'], '--max-response-size / MAX_RESPONSE_SIZE: "lots" is not a size'],
    ['a size below 1Ki', ['--max-response-size=100'], '--max-response-size / MAX_RESPONSE_SIZE: must be at least 1Ki'],
    ['a size above 64Mi', ['--max-response-size=65Mi'], '--max-response-size / MAX_RESPONSE_SIZE: must be at most 64Mi'],
    ['a decimal size unit', ['--max-response-size=1MB'], '--max-response-size / MAX_RESPONSE_SIZE:'],
    ['a webhook timeout cap below 1s', ['--webhook-max-timeout=10ms'], '--webhook-max-timeout / WEBHOOK_MAX_TIMEOUT: must be at least 1s'],
    ['negative webhook retries', ['--webhook-max-retries=-1'], '--webhook-max-retries / WEBHOOK_MAX_RETRIES:'],
    ['a reconcile deadline of 0', ['--reconcile-deadline=0'], '--reconcile-deadline / RECONCILE_DEADLINE: must be at least 1s'],
    [
      'forbid-insecure-tls that is not a boolean',
      ['--forbid-insecure-tls=yes'],
      '--forbid-insecure-tls / FORBID_INSECURE_TLS: must be true or false',
    ],
  ])('given %s, then the ConfigError names it', (_title, argv, message) => {
    expect(configError(() => loadConfig(argv, {})).message).toContain(message);
  });
});

describe('loadConfig from flags', () => {
  it('given flags and environment variables for the same settings, then the flags win', () => {
    const cfg = loadConfig(
      [
        '--metrics-server=http://flag:9090',
        '--port',
        '7000',
        '--workers=2',
        '--namespace=only',
        '--log-level=warn',
        '--resync=10s',
        '--mesh-provider=istio',
      ],
      {
        METRICS_SERVER: 'http://env:9090',
        PORT: '9000',
        WORKERS: '16',
        WATCH_NAMESPACES: 'a,b',
        LOG_LEVEL: 'error',
        RESYNC_INTERVAL: '1h',
        MESH_PROVIDER: 'kubernetes',
      },
    );
    expect(cfg).toMatchObject({
      metricsServer: 'http://flag:9090',
      port: 7000,
      workers: 2,
      namespaces: ['only'],
      logLevel: 'warn',
      resyncMs: 10_000,
      meshProvider: 'istio',
    });
  });

  it('given a flag for one setting, then the environment still supplies the others', () => {
    const cfg = loadConfig(['--port=7000'], { WORKERS: '6', KUBECONFIG: '/k' });
    expect(cfg).toMatchObject({ port: 7000, workers: 6, kubeconfig: '/k', logLevel: 'info' });
  });

  it.each<[string, '*' | string[]]>([
    ['*', '*'],
    ['none', []],
    ['team-a, team-b', ['team-a', 'team-b']],
  ])('given --secret-tracking-namespaces=%p, then it is read as %j', (value, parsed) => {
    expect(loadConfig([`--secret-tracking-namespaces=${value}`, '--cross-namespace-refs=allow'], {})).toMatchObject({
      secretTrackingNamespaces: parsed,
      crossNamespaceRefs: 'allow',
    });
  });

  it('given --selector-labels and --kubeconfig, then they are read', () => {
    expect(loadConfig(['--selector-labels=name, app', '--kubeconfig=/tmp/kc'], {})).toMatchObject({
      selectorLabels: ['name', 'app'],
      kubeconfig: '/tmp/kc',
    });
  });

  it.each<[string, string[]]>([
    ['an unknown flag', ['--metrics-url=http://x']],
    ['a positional argument', ['run']],
    ['a flag without its value', ['--port']],
  ])('given %s, then a ConfigError lists the known flags', (_title, argv) => {
    const err = configError(() => loadConfig(argv, {}));
    expect(err.message).toContain(
      'known flags: --kubeconfig --metrics-server --mesh-provider --namespace --log-level --port --workers --selector-labels --resync',
    );
  });

  it('given an unknown flag, then the message names it', () => {
    expect(configError(() => loadConfig(['--metrics-url=http://x'], {})).message).toContain('--metrics-url');
  });
});

describe('loadConfig validation', () => {
  it.each<[string, string[], Record<string, string>, string]>([
    [
      'a metrics server that is not a URL',
      ['--metrics-server=prometheus'],
      {},
      '--metrics-server / METRICS_SERVER: must be a URL such as http://prometheus:9090',
    ],
    ['a metrics server from the environment that is not a URL', [], { METRICS_SERVER: 'not a url' }, '--metrics-server / METRICS_SERVER:'],
    ['an unknown log level', [], { LOG_LEVEL: 'verbose' }, '--log-level / LOG_LEVEL:'],
    ['a port that is not a number', ['--port=http'], {}, '--port / PORT:'],
    ['a port above 65535', [], { PORT: '65536' }, '--port / PORT:'],
    [
      'an unknown cross-namespace policy',
      ['--cross-namespace-refs=yes'],
      {},
      '--cross-namespace-refs / CROSS_NAMESPACE_REFS: must be one of opt-in, allow',
    ],
    [
      'a Secret tracking namespace that is no name',
      [],
      { SECRET_TRACKING_NAMESPACES: 'team-a,Team_B' },
      '--secret-tracking-namespaces / SECRET_TRACKING_NAMESPACES: must be *, none, or comma-separated namespace names',
    ],
    ['a negative port', ['--port=-1'], {}, '--port / PORT:'],
    ['a fractional port', ['--port=80.5'], {}, '--port / PORT:'],
    ['zero workers', ['--workers=0'], {}, '--workers / WORKERS:'],
    ['too many workers', [], { WORKERS: '65' }, '--workers / WORKERS:'],
    ['no selector label', ['--selector-labels= , '], {}, '--selector-labels / SELECTOR_LABELS:'],
    ['an invalid resync interval', [], { RESYNC_INTERVAL: '5 minutes' }, '--resync / RESYNC_INTERVAL: invalid duration "5 minutes"'],
  ])('given %s, then the ConfigError names the flag and the environment variable', (_title, argv, env, message) => {
    const err = configError(() => loadConfig(argv, env));
    expect(err.message.startsWith('invalid configuration: ')).toBe(true);
    expect(err.message).toContain(message);
  });

  it('given an empty setting, then its default applies (templated manifests often render empty values)', () => {
    expect(loadConfig(['--mesh-provider='], { PORT: ' ' })).toMatchObject({ meshProvider: 'istio', port: 8080 });
  });

  it('given several invalid settings, then every one is reported', () => {
    const err = configError(() => loadConfig(['--port=x', '--workers=0'], { LOG_LEVEL: 'loud' }));
    expect(err.message).toContain('--port / PORT:');
    expect(err.message).toContain('--workers / WORKERS:');
    expect(err.message).toContain('--log-level / LOG_LEVEL:');
    expect(err.message.split('; ')).toHaveLength(3);
  });

  it.each<[string, number]>([
    ['0', 0],
    ['65535', 65535],
  ])('given port %p, then it is accepted', (port, value) => {
    expect(loadConfig([`--port=${port}`], {}).port).toBe(value);
  });

  it('given a resync of 0, then resync is disabled (0 ms)', () => {
    expect(loadConfig(['--resync=0'], {}).resyncMs).toBe(0);
  });

  // An empty PORT (common with templated manifests) must not become port 0, a random port.
  it('given an empty PORT, then it is rejected or falls back to the default, never port 0', () => {
    let port: number | undefined;
    try {
      port = loadConfig([], { PORT: '' }).port;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return;
    }
    expect(port).toBe(8080);
  });
});

describe('loadConfig: the client rate limit of API requests', () => {
  it('given KUBE_API_QPS and KUBE_API_BURST, then each is read, a fractional QPS included', () => {
    expect(loadConfig([], { KUBE_API_QPS: '7.5', KUBE_API_BURST: '20' })).toMatchObject({ kubeApiQps: 7.5, kubeApiBurst: 20 });
    expect(loadConfig(['--kube-api-qps=50', '--kube-api-burst=60'], { KUBE_API_QPS: '7' })).toMatchObject({
      kubeApiQps: 50,
      kubeApiBurst: 60,
    });
  });

  it('given KUBE_WATCH_TIMEOUT, then the watches time out after it (0: 4 to 5 minutes)', () => {
    expect(loadConfig([], { KUBE_WATCH_TIMEOUT: '20s' }).kubeWatchTimeoutMs).toBe(20_000);
    expect(loadConfig(['--kube-watch-timeout=1m'], { KUBE_WATCH_TIMEOUT: '20s' }).kubeWatchTimeoutMs).toBe(60_000);
    expect(loadConfig([], {}).kubeWatchTimeoutMs).toBe(0);
  });

  it.each<[string, string[], string]>([
    ['a QPS of 0', ['--kube-api-qps=0'], '--kube-api-qps / KUBE_API_QPS: must be more than 0'],
    ['a negative QPS', ['--kube-api-qps=-5'], '--kube-api-qps / KUBE_API_QPS: must be more than 0'],
    ['a QPS that is not a number', ['--kube-api-qps=fast'], '--kube-api-qps / KUBE_API_QPS:'],
    ['a burst of 0', ['--kube-api-burst=0'], '--kube-api-burst / KUBE_API_BURST:'],
    ['a fractional burst', ['--kube-api-burst=2.5'], '--kube-api-burst / KUBE_API_BURST:'],
    ['a watch timeout under 1s', ['--kube-watch-timeout=500ms'], '--kube-watch-timeout / KUBE_WATCH_TIMEOUT: must be 0'],
    ['a watch timeout over 1h', ['--kube-watch-timeout=2h'], '--kube-watch-timeout / KUBE_WATCH_TIMEOUT: must be 0'],
    ['a watch timeout that is not a duration', ['--kube-watch-timeout=soon'], '--kube-watch-timeout / KUBE_WATCH_TIMEOUT:'],
  ])('given %s, then the ConfigError names it', (_title, argv, message) => {
    expect(configError(() => loadConfig(argv, {})).message).toContain(message);
  });
});
