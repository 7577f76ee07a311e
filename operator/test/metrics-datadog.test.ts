import type { Canary, MetricTemplate } from '../src/api/types.js';
import type { SecretReader } from '../src/kube/secrets.js';
import { MetricAnalyzer } from '../src/metrics/analyzer.js';
import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { DatadogProvider } from '../src/metrics/providers/datadog.js';
import { closedAddress, failure, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

const API_KEY = 'dd-api-0123456789abcdef';
const APP_KEY = 'dd-app-fedcba9876543210';
const api = new VendorApi();
let series: unknown[] = [];

/** Datadog's v1 API as documented: keys in DD-API-KEY / DD-APPLICATION-KEY, 403 {"errors": ["Forbidden"]} otherwise. */
function datadog(req: Received): Reply {
  const authorized = req.headers['dd-api-key'] === API_KEY && req.headers['dd-application-key'] === APP_KEY;
  if (req.path === '/api/v1/validate') {
    return req.headers['dd-api-key'] === API_KEY ? { body: { valid: true } } : { status: 403, body: { errors: ['Forbidden'] } };
  }
  if (req.path !== '/api/v1/query' || req.method !== 'GET') return { status: 404, body: { errors: ['Not found'] } };
  if (!authorized) return { status: 403, body: { errors: ['Forbidden'] } };
  if (!req.params.get('query') || !req.params.get('from') || !req.params.get('to')) {
    return { status: 400, body: { errors: ["The value provided for parameter 'query' is invalid"] } };
  }
  const from = Number(req.params.get('from')) * 1000;
  return {
    body: {
      status: 'ok',
      res_type: 'time_series',
      query: req.params.get('query'),
      message: '',
      group_by: [],
      from_date: from,
      to_date: Number(req.params.get('to')) * 1000,
      series,
    },
  };
}

const points = (...values: (number | null)[]) => values.map((v, i) => [1_700_000_000_000 + i * 20_000, v]);
const oneSeries = (...values: (number | null)[]) => ({
  aggr: 'avg',
  metric: 'trace.http.request.errors',
  display_name: 'trace.http.request.errors',
  expression: 'x',
  scope: 'service:podinfo',
  interval: 20,
  length: values.length,
  start: 1_700_000_000_000,
  end: 1_700_000_060_000,
  tag_set: [],
  unit: null,
  pointlist: points(...values),
});

const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  type: 'datadog',
  address: api.address,
  secret: { datadog_api_key: API_KEY, datadog_application_key: `${APP_KEY}\n` },
  ...over,
});

beforeAll(async () => {
  await api.start();
  api.handler = datadog;
});
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  series = [oneSeries(1, 2.5)];
});

describe('datadog query', () => {
  it('given a query, then it GETs /api/v1/query with from/to over the interval and both keys as headers', async () => {
    const query =
      'sum:trace.http.request.errors{service:podinfo,env:canary}.as_count() / sum:trace.http.request.hits{service:podinfo}.as_count()';
    const before = Math.floor(Date.now() / 1000);
    await new DatadogProvider(cfg(), providerCtx).query(query, signal(), { windowMs: 5 * 60_000 });
    const after = Math.floor(Date.now() / 1000);
    expect(api.received).toHaveLength(1);
    const r = api.received[0]!;
    expect(r).toMatchObject({ method: 'GET', path: '/api/v1/query' });
    expect(r.params.get('query')).toBe(query);
    const from = Number(r.params.get('from'));
    const to = Number(r.params.get('to'));
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(after);
    expect(to - from).toBe(300);
    expect(r.headers['dd-api-key']).toBe(API_KEY);
    expect(r.headers['dd-application-key']).toBe(APP_KEY);
  });

  it('given no window, then the window is one minute', async () => {
    await new DatadogProvider(cfg(), providerCtx).query('q', signal());
    const r = api.received[0]!;
    expect(Number(r.params.get('to')) - Number(r.params.get('from'))).toBe(60);
  });

  it('given the default address, then it is api.datadoghq.com', () => {
    expect((new DatadogProvider({ type: 'datadog', address: '' }, providerCtx) as unknown as { base: string }).base).toBe(
      'https://api.datadoghq.com',
    );
  });

  it.each<[string, (number | null)[], number]>([
    ['the last point', [1, 2, 3.25], 3.25],
    ['the last point that has a value (a trailing bucket may be null)', [1, 4.5, null], 4.5],
    ['zero', [7, 0], 0],
    ['a negative value', [-2.5], -2.5],
  ])('given one series, then the value is %s', async (_title, values, expected) => {
    series = [oneSeries(...values)];
    await expect(new DatadogProvider(cfg(), providerCtx).query('q', signal())).resolves.toBe(expected);
  });

  it.each<[string, () => unknown[]]>([
    ['no series', () => []],
    ['a series without points', () => [oneSeries()]],
    ['a series of null points', () => [oneSeries(null, null)]],
  ])('given %s, then it is NoDataError', async (_title, make) => {
    series = make();
    const err = await failure(new DatadogProvider(cfg(), providerCtx).query('my_query', signal()));
    expect(err).toBeInstanceOf(NoDataError);
    expect(err.message).toBe('no data for query: my_query');
  });

  it('given two series, then it is MultipleSeriesError', async () => {
    series = [oneSeries(1), oneSeries(2)];
    const err = await failure(new DatadogProvider(cfg(), providerCtx).query('q', signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain('2 series');
  });

  it("given a bad query, then it is ProviderError with the status and Datadog's reason", async () => {
    api.handler = () => ({
      status: 400,
      body: { errors: ["Error parsing query: unable to parse sum:x{: Rule 'scope_expr' didn't match"] },
    });
    try {
      const err = await failure(new DatadogProvider(cfg(), providerCtx).query('sum:x{', signal()));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.message).toMatch(/^datadog: query failed: HTTP 400: Error parsing query/);
    } finally {
      api.handler = datadog;
    }
  });

  it('given an error status in a 200 answer, then it is ProviderError', async () => {
    api.handler = () => ({ body: { status: 'error', error: 'Rate limit of 1600 requests per hour exceeded' } });
    try {
      await expect(new DatadogProvider(cfg(), providerCtx).query('q', signal())).rejects.toThrow(
        'datadog: query failed: Rate limit of 1600 requests per hour exceeded',
      );
    } finally {
      api.handler = datadog;
    }
  });

  it('given a wrong application key, then it is ProviderError HTTP 403 that does not contain the keys', async () => {
    const err = await failure(
      new DatadogProvider(cfg({ secret: { datadog_api_key: API_KEY, datadog_application_key: 'wrong-app-key' } }), providerCtx).query(
        'q',
        signal(),
      ),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('datadog: query failed: HTTP 403 (credentials rejected): Forbidden');
  });

  it('given an answer that echoes a key, then the key is redacted from the message', async () => {
    api.handler = () => ({ status: 403, body: { errors: [`API key ${API_KEY} is invalid`] } });
    try {
      const err = await failure(new DatadogProvider(cfg(), providerCtx).query('q', signal()));
      expect(err.message).not.toContain(API_KEY);
      expect(err.message).toContain('API key [redacted] is invalid');
    } finally {
      api.handler = datadog;
    }
  });

  it.each<[string, Record<string, string> | undefined, string]>([
    ['no Secret', undefined, 'datadog_api_key and datadog_application_key'],
    ['no application key', { datadog_api_key: API_KEY }, 'datadog_application_key'],
    ['an empty API key', { datadog_api_key: ' ', datadog_application_key: APP_KEY }, 'datadog_api_key'],
  ])('given %s, then it is ProviderError naming the missing key, and nothing is sent', async (_title, secret, missing) => {
    const err = await failure(new DatadogProvider(cfg({ secret }), providerCtx).query('q', signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe(`datadog: the provider's Secret (spec.provider.secretRef) needs ${missing}`);
    expect(api.received).toHaveLength(0);
  });

  it('given an HTML error page, then it is ProviderError with the status only', async () => {
    api.handler = () => ({ status: 502, body: '<html><body>Bad Gateway</body></html>', contentType: 'text/html' });
    try {
      await expect(new DatadogProvider(cfg(), providerCtx).query('q', signal())).rejects.toThrow(/^datadog: query failed: HTTP 502$/);
    } finally {
      api.handler = datadog;
    }
  });

  it('given a non-JSON 200 answer, then it is ProviderError', async () => {
    api.handler = () => ({ body: 'not json', contentType: 'text/plain' });
    try {
      await expect(new DatadogProvider(cfg(), providerCtx).query('q', signal())).rejects.toThrow(
        'datadog: response is not JSON (HTTP 200, content-type text/plain)',
      );
    } finally {
      api.handler = datadog;
    }
  });

  it('given an unreachable address, then it is ProviderError "unreachable"', async () => {
    const err = await failure(new DatadogProvider(cfg({ address: await closedAddress() }), providerCtx).query('q', signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/^datadog: unreachable: .*ECONNREFUSED/);
  });
});

describe('datadog through the analyzer', () => {
  it("given a MetricTemplate with a secretRef and a 2m metric, then the Secret's keys are used and the window is 2m", async () => {
    const template = {
      metadata: { name: 'dd-errors', namespace: 'test' },
      spec: {
        provider: { type: 'datadog', address: api.address, secretRef: { name: 'datadog' } },
        query: 'sum:errors{service:{{ target }}}.as_count()',
      },
    } as MetricTemplate;
    const analyzer = new MetricAnalyzer({
      templates: { get: (ns, name) => (ns === 'test' && name === 'dd-errors' ? template : undefined), list: () => [template] },
      secrets: { read: async () => ({ datadog_api_key: API_KEY, datadog_application_key: APP_KEY }) } as unknown as SecretReader,
      defaultPrometheus: 'http://prometheus.invalid:9090',
      crossNamespaceRefs: 'opt-in',
      http: providerCtx.http,
      ambientNamespaces: [],
    });
    const canary = {
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: { metrics: [{ name: 'errors', interval: '2m', templateRef: { name: 'dd-errors' }, thresholdRange: { max: 5 } }] },
      },
    } as unknown as Canary;
    series = [oneSeries(1, 3)];
    const [result] = await analyzer.check(canary, 'istio', signal());
    expect(result).toMatchObject({ name: 'errors', ok: true, value: 3 });
    const r = api.received[0]!;
    expect(r.params.get('query')).toBe('sum:errors{service:podinfo}.as_count()');
    expect(Number(r.params.get('to')) - Number(r.params.get('from'))).toBe(120);
  });
});

describe('datadog registration', () => {
  it('given type datadog, then the factory builds the Datadog provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('datadog');
  });
});
