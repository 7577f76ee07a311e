import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusProvider } from '../src/metrics/providers/prometheus.js';
import { MultipleSeriesError, NoDataError, ProviderError } from '../src/metrics/provider.js';
import { providerCtx } from './fakes/outbound.js';

interface Seen {
  method: string;
  path: string;
  query: string | null;
  headers: http.IncomingHttpHeaders;
}

/** A stand-in for Prometheus: answers /api/v1/query with whatever the test sets. */
let reply: { status: number; body: unknown; contentType?: string } = { status: 200, body: {} };
let seen: Seen[] = [];
let server: http.Server;
let address: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams.get('query'), headers: req.headers });
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

const vector = (...values: string[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1_700_000_000.123, v] })) },
});
const signal = (): AbortSignal => new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the query to fail');
}

describe('PrometheusProvider.query', () => {
  it.each<[string, string, number]>([
    ['an integer', '99', 99],
    ['a fraction', '99.87654321', 99.87654321],
    ['zero', '0', 0],
    ['a negative number', '-1.5', -1.5],
    ['scientific notation', '1.5e-3', 0.0015],
  ])('given a vector with one sample of %s, then its value is returned', async (_title, raw, value) => {
    reply = { status: 200, body: vector(raw) };
    await expect(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('up', signal())).resolves.toBe(value);
  });

  it('given a query, then it is sent as a GET to /api/v1/query with the query string intact', async () => {
    reply = { status: 200, body: vector('1') };
    const query =
      'sum(rate(istio_requests_total{reporter="destination", response_code!~"5.*", a=~"x|y"}[1m])) / sum(rate(b[1m])) * 100 + 0';
    await new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query(query, signal());
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/api/v1/query', query });
  });

  it('given an address with a path prefix and trailing slashes, then the API path is appended once', async () => {
    reply = { status: 200, body: vector('1') };
    await new PrometheusProvider({ type: 'prometheus', address: `${address}/prometheus//` }, providerCtx).query('up', signal());
    expect(seen[0]!.path).toBe('/prometheus/api/v1/query');
  });

  it('given a scalar result, then its value is returned', async () => {
    reply = { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1_700_000_000, '42.5'] } } };
    await expect(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('scalar(x)', signal())).resolves.toBe(42.5);
  });

  it.each<[string, unknown]>([
    ['an empty vector', { status: 'success', data: { resultType: 'vector', result: [] } }],
    ['a NaN sample', vector('NaN')],
    ['a NaN scalar', { status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } }],
    ['an empty sample (not 0)', vector('')],
    ['a sample without a value', { status: 'success', data: { resultType: 'vector', result: [{ metric: {} }] } }],
    ['a scalar that is not a pair', { status: 'success', data: { resultType: 'scalar', result: null } }],
  ])('given %s, then it is NoDataError naming the query', async (_title, body) => {
    reply = { status: 200, body };
    const err = await failure(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('my_query', signal()));
    expect(err).toBeInstanceOf(NoDataError);
    expect(err.message).toBe('no data for query: my_query');
  });

  it('given two series, then it is MultipleSeriesError with the count', async () => {
    reply = { status: 200, body: vector('1', '2') };
    const err = await failure(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('x', signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain('query returned 2 series');
  });

  it('given HTTP 400 with a Prometheus error body, then it is ProviderError carrying the error text', async () => {
    reply = {
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected "}"' },
    };
    const err = await failure(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('sum(}', signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('prometheus: query failed: HTTP 400: invalid parameter "query": 1:5: parse error: unexpected "}"');
  });

  it.each<[string, number, unknown, string]>([
    ['HTTP 502 with an HTML body', 502, '<html>bad gateway</html>', 'prometheus: query failed: HTTP 502'],
    ['HTTP 401 with an empty body', 401, '', 'prometheus: query failed: HTTP 401 (credentials rejected)'],
    [
      'HTTP 200 with an error status',
      200,
      { status: 'error', error: 'query timed out' },
      'prometheus: query failed: HTTP 200: query timed out',
    ],
    ['HTTP 200 with a body that is not JSON', 200, 'ok', 'prometheus: response is not JSON (HTTP 200, content-type text/html)'],
    ['HTTP 200 with a JSON null', 200, 'null', 'prometheus: query failed: HTTP 200'],
    ['HTTP 200 without data', 200, { status: 'success' }, 'prometheus: response has no data'],
    [
      'a matrix result',
      200,
      { status: 'success', data: { resultType: 'matrix', result: [] } },
      'prometheus: unsupported result type matrix',
    ],
  ])('given %s, then it is ProviderError %p', async (_title, status, body, message) => {
    reply = { status, body, contentType: typeof body === 'string' ? 'text/html' : 'application/json' };
    const err = await failure(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('up', signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe(message);
  });

  it('given an unreachable address, then it is ProviderError saying so', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(
      new PrometheusProvider({ type: 'prometheus', address: `http://127.0.0.1:${port}` }, providerCtx).query('up', signal()),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/^prometheus: unreachable: .*ECONNREFUSED/);
  });

  it('given an aborted signal, then the query fails without reaching the server', async () => {
    reply = { status: 200, body: vector('1') };
    const ac = new AbortController();
    ac.abort();
    const err = await failure(new PrometheusProvider({ type: 'prometheus', address }, providerCtx).query('up', ac.signal));
    expect(err).toBeInstanceOf(ProviderError);
    expect(seen).toHaveLength(0);
  });
});

describe('PrometheusProvider credentials and headers', () => {
  beforeEach(() => {
    reply = { status: 200, body: vector('1') };
  });

  it('given a token in the secret, then it is sent as a bearer token', async () => {
    await new PrometheusProvider({ type: 'prometheus', address, secret: { token: 's3cr3t' } }, providerCtx).query('up', signal());
    expect(seen[0]!.headers.authorization).toBe('Bearer s3cr3t');
  });

  it('given a username and password in the secret, then basic auth is sent', async () => {
    await new PrometheusProvider({ type: 'prometheus', address, secret: { username: 'admin', password: 'p@ss:word' } }, providerCtx).query(
      'up',
      signal(),
    );
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('admin:p@ss:word').toString('base64')}`);
  });

  it.each<[string, Record<string, string> | undefined]>([
    ['no secret', undefined],
    ['a username without password', { username: 'admin' }],
    ['an empty token', { token: '' }],
  ])('given %s, then no authorization header is sent', async (_title, secret) => {
    await new PrometheusProvider({ type: 'prometheus', address, ...(secret ? { secret } : {}) }, providerCtx).query('up', signal());
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('given provider headers, then each is sent with multiple values joined', async () => {
    await new PrometheusProvider(
      { type: 'prometheus', address, headers: { 'X-Scope-OrgID': ['tenant-a'], 'X-Multi': ['a', 'b'] } },
      providerCtx,
    ).query('up', signal());
    expect(seen[0]!.headers['x-scope-orgid']).toBe('tenant-a');
    expect(seen[0]!.headers['x-multi']).toBe('a, b');
  });
});

describe('PrometheusProvider.sampleRange', () => {
  const provider = (): PrometheusProvider => new PrometheusProvider({ type: 'prometheus', address }, providerCtx);
  const range = { startMs: 1_700_000_000_000, endMs: 1_700_000_060_500, stepMs: 10_000 };
  const matrix = (...series: string[][]) => ({
    status: 'success',
    data: { resultType: 'matrix', result: series.map((values, i) => ({ metric: { pod: `p${i}` }, values: values.map((v, t) => [t, v]) })) },
  });

  it('given two series with NaN, +Inf and empty points, then every finite value of both is returned', async () => {
    reply = { status: 200, body: matrix(['1', 'NaN', '2.5'], ['+Inf', '4', '']) };
    expect(await provider().sampleRange('q', range, signal())).toEqual([1, 2.5, 4]);
    expect(seen[0]).toMatchObject({ path: '/api/v1/query_range', query: 'q' });
  });

  it('given an empty matrix, then no samples (the judge calls that NoData)', async () => {
    reply = { status: 200, body: matrix() };
    expect(await provider().sampleRange('q', range, signal())).toEqual([]);
  });

  it('given a vector where a matrix is due, then a ProviderError', async () => {
    reply = { status: 200, body: vector('1') };
    const err = await failure(provider().sampleRange('q', range, signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('prometheus: unsupported result type vector for a range query');
  });
});
