import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { TIMEOUT_MS } from '../src/metrics/providers/http.js';
import { JsonPathError, parseJsonPath, selectJsonPath } from '../src/metrics/providers/jsonpath.js';
import { WebProvider } from '../src/metrics/providers/web.js';
import { failure, SELF_SIGNED, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

const TOKEN = 'Bearer web-token-abcdef123456';
const api = new VendorApi();
const tlsApi = new VendorApi();
let document: unknown;

/** A JSON metrics API that wants an Authorization header and an X-Tenant header. */
function metricsApi(req: Received): Reply {
  if (req.headers.authorization !== TOKEN) return { status: 401, body: { error: { message: 'invalid token' } } };
  if (req.path === '/') return { status: 404, body: 'no index here' };
  if (req.path === '/boom') return { status: 500, body: { message: 'database is down' } };
  return { body: document };
}

const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  type: 'web',
  address: api.address,
  secret: { Authorization: TOKEN },
  ...over,
});
const q = (o: Record<string, unknown>): string => JSON.stringify(o);

beforeAll(async () => {
  await api.start();
  await tlsApi.start(SELF_SIGNED);
  api.handler = metricsApi;
  tlsApi.handler = () => ({ body: { value: 7 } });
});
afterAll(async () => {
  await api.stop();
  await tlsApi.stop();
});
beforeEach(() => {
  api.reset();
  tlsApi.reset();
  document = {
    status: 'ok',
    data: {
      service: 'podinfo',
      errorRate: 0.25,
      series: [
        { name: 'a', v: 1 },
        { name: 'b', v: '2.5' },
      ],
    },
  };
});

describe('web query', () => {
  it("given a path and a JSONPath, then it GETs address + path with the Secret's keys and the template headers as headers", async () => {
    const p = new WebProvider(
      cfg({ address: `${api.address}/api/`, headers: { 'X-Tenant': ['team-a'], 'X-Multi': ['a', 'b'] } }),
      providerCtx,
    );
    await expect(p.query(q({ path: '/v1/slo?service=podinfo&window=5m', jsonPath: '$.data.errorRate' }), signal())).resolves.toBe(0.25);
    const r = api.received[0]!;
    expect(r).toMatchObject({ method: 'GET', path: '/api/v1/slo', body: '' });
    expect(r.params.get('service')).toBe('podinfo');
    expect(r.params.get('window')).toBe('5m');
    expect(r.headers.authorization).toBe(TOKEN);
    expect(r.headers['x-tenant']).toBe('team-a');
    expect(r.headers['x-multi']).toBe('a, b');
  });

  it('given a body, then it POSTs it as JSON', async () => {
    await new WebProvider(cfg(), providerCtx).query(
      q({ path: '/query', jsonPath: '$.data.errorRate', body: { service: 'podinfo', window: '1m' } }),
      signal(),
    );
    const r = api.received[0]!;
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ service: 'podinfo', window: '1m' });
  });

  it('given method POST and a string body, then the string is sent as it is', async () => {
    await new WebProvider(cfg(), providerCtx).query(
      q({ method: 'post', path: '/query', jsonPath: '$.data.errorRate', body: 'sum(rate(x[1m]))' }),
      signal(),
    );
    expect(api.received[0]).toMatchObject({ method: 'POST', body: 'sum(rate(x[1m]))' });
  });

  it.each<[string, string, number]>([
    ['a nested key', '$.data.errorRate', 0.25],
    ['an index then a key', '$.data.series[0].v', 1],
    ['a negative index and a numeric string', '$.data.series[-1].v', 2.5],
    ['bracket names', "$['data'][\"series\"][1]['v']", 2.5],
  ])('given %s, then the one selected number is returned', async (_title, jsonPath, expected) => {
    await expect(new WebProvider(cfg(), providerCtx).query(q({ path: '/m', jsonPath }), signal())).resolves.toBe(expected);
  });

  it('given [*] matching one element, then it is that element', async () => {
    document = { results: [{ value: 42 }] };
    await expect(new WebProvider(cfg(), providerCtx).query(q({ path: '/m', jsonPath: '$.results[*].value' }), signal())).resolves.toBe(42);
  });

  it.each<[string, string, unknown]>([
    ['a path that selects nothing', '$.data.missing', undefined],
    ['an index past the end', '$.data.series[5].v', undefined],
    ['a null value', '$.value', { value: null }],
    ['a non-numeric string', '$.value', { value: 'n/a' }],
    ['[*] over an empty list', '$.results[*].value', { results: [] }],
  ])('given %s, then it is NoDataError', async (_title, jsonPath, doc) => {
    if (doc !== undefined) document = doc;
    await expect(new WebProvider(cfg(), providerCtx).query(q({ path: '/m', jsonPath }), signal())).rejects.toBeInstanceOf(NoDataError);
  });

  it('given [*] matching several values, then it is MultipleSeriesError', async () => {
    const err = await failure(new WebProvider(cfg(), providerCtx).query(q({ path: '/m', jsonPath: '$.data.series[*].v' }), signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain('2 series');
  });

  it('given a path that selects an object, then it is ProviderError', async () => {
    await expect(new WebProvider(cfg(), providerCtx).query(q({ path: '/m', jsonPath: '$.data' }), signal())).rejects.toThrow(
      'web: $.data selects object, not a number',
    );
  });

  it('given a wrong token, then it is ProviderError HTTP 401 without the token', async () => {
    const err = await failure(
      new WebProvider(cfg({ secret: { Authorization: 'Bearer wrong-token-123' } }), providerCtx).query(
        q({ path: '/m?token=abc', jsonPath: '$.v' }),
        signal(),
      ),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('web: GET /m failed: HTTP 401 (credentials rejected): invalid token');
  });

  it('given a server error, then it is ProviderError with the status and reason', async () => {
    await expect(new WebProvider(cfg(), providerCtx).query(q({ path: '/boom', jsonPath: '$.v' }), signal())).rejects.toThrow(
      'web: GET /boom failed: HTTP 500: database is down',
    );
  });

  it.each<[string, string, string]>([
    ['not JSON', '/v1/value', 'web: the query must be a JSON object such as {"path": "/api/value", "jsonPath": "$.value"}'],
    [
      'a path without a leading slash',
      q({ path: 'http://elsewhere/x', jsonPath: '$.v' }),
      'web: query.path must be a string starting with "/"',
    ],
    ['no jsonPath', q({ path: '/x' }), 'web: query.jsonPath must be a JSONPath such as "$.data.value"'],
    [
      'an unknown field',
      q({ path: '/x', jsonPath: '$.v', url: 'x' }),
      'web: unknown query field(s) url (known: path, jsonPath, method, body)',
    ],
    ['a DELETE', q({ path: '/x', jsonPath: '$.v', method: 'DELETE' }), 'web: query.method must be GET or POST, not DELETE'],
    ['a GET with a body', q({ path: '/x', jsonPath: '$.v', method: 'GET', body: {} }), 'web: query.body needs method POST'],
    [
      'a filter expression',
      q({ path: '/x', jsonPath: '$.a[?(@.b > 1)]' }),
      'web: invalid JSONPath "$.a[?(@.b > 1)]": expected an index, a quoted name or * inside []',
    ],
  ])('given a query that is %s, then it is ProviderError and nothing is sent', async (_title, query, message) => {
    await expect(new WebProvider(cfg(), providerCtx).query(query, signal())).rejects.toThrow(message);
    expect(api.received).toHaveLength(0);
  });

  it('given a self-signed HTTPS server, then the query fails unless insecureSkipVerify is set', async () => {
    const query = q({ path: '/v', jsonPath: '$.value' });
    const err = await failure(new WebProvider({ type: 'web', address: tlsApi.address }, providerCtx).query(query, signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/^web: unreachable: .*self[- ]signed/i);
    await expect(
      new WebProvider({ type: 'web', address: tlsApi.address, insecureSkipVerify: true }, providerCtx).query(query, signal()),
    ).resolves.toBe(7);
  });

  it('given the shared plumbing, then requests time out after 5 s like Prometheus queries', () => {
    expect(TIMEOUT_MS).toBe(5000);
  });
});

describe('JSONPath subset', () => {
  it.each<[string, unknown[]]>([
    ['$', [{ a: [1, 2] }]],
    ['$.a', [[1, 2]]],
    ['$.a[*]', [1, 2]],
    ['$.a.*', [1, 2]],
    ['$.a[1]', [2]],
    ['$.a[-2]', [1]],
    ["$['a'][0]", [1]],
    ['$.b', []],
    ['$.a.length', []],
    ['$.constructor', []],
    ["$['__proto__']", []],
  ])('given %s, then it selects %p', (path, expected) => {
    expect(selectJsonPath({ a: [1, 2] }, path)).toEqual(expected);
  });

  it('given escaped quotes in a bracket name, then they are part of the key', () => {
    expect(selectJsonPath({ "it's": { 'a"b': 3 } }, '$[\'it\\\'s\']["a\\"b"]')).toEqual([3]);
  });

  it.each<[string, string]>([
    ['a.b', 'must start with $'],
    ['$..a', 'recursive descent (..) is not supported'],
    ['$.a[1:2]', 'expected an index, a quoted name or * inside []'],
    ["$['a", 'unterminated quote'],
    ["$['a'", 'expected ] at 5'],
    ['$.a b', 'unexpected " "'],
    ['$.', 'expected a name after "."'],
  ])('given %s, then it is a JsonPathError', (path, message) => {
    expect(() => parseJsonPath(path)).toThrow(JsonPathError);
    expect(() => parseJsonPath(path)).toThrow(message);
  });
});

describe('web registration', () => {
  it('given type web, then the factory builds the web provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('web');
  });
});
