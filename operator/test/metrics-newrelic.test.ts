import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { NEWRELIC_DEFAULT_ADDRESS, NewRelicProvider, withSince } from '../src/metrics/providers/newrelic.js';
import { failure, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

const ACCOUNT = '1234567';
const QUERY_KEY = 'NRIQ-abcdefghijklmnopqrstuvwxyz';
const api = new VendorApi();
let answer: unknown = {};

/** The Insights query API as documented: /v1/accounts/<id>/query?nrql=..., X-Query-Key. */
function insights(req: Received): Reply {
  if (req.method !== 'GET' || req.path !== `/v1/accounts/${ACCOUNT}/query`) return { status: 404, body: { error: 'Not Found' } };
  if (req.headers['x-query-key'] !== QUERY_KEY) return { status: 403, body: { error: 'Invalid query key' } };
  const nrql = req.params.get('nrql') ?? '';
  if (/\bFORM\b/.test(nrql)) return { status: 400, body: { error: "NRQL Syntax Error: Error at line 1 position 22, unexpected 'FORM'" } };
  return { body: answer };
}

const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  type: 'newrelic',
  address: api.address,
  secret: { newrelic_account_id: ACCOUNT, newrelic_query_key: QUERY_KEY },
  ...over,
});
const meta = { metadata: { eventTypes: ['Transaction'], rawSince: '60 SECONDS AGO' }, performanceStats: { inspectedCount: 120 } };

beforeAll(async () => {
  await api.start();
  api.handler = insights;
});
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  answer = { results: [{ result: 1.5 }], ...meta };
});

describe('newrelic query', () => {
  it('given NRQL without SINCE, then it GETs the account query path with the window appended and the query key header', async () => {
    const nrql = "SELECT percentage(count(*), WHERE error IS true) FROM Transaction WHERE appName = 'podinfo-canary'";
    await new NewRelicProvider(cfg(), providerCtx).query(nrql, signal(), { windowMs: 120_000 });
    const r = api.received[0]!;
    expect(r).toMatchObject({ method: 'GET', path: `/v1/accounts/${ACCOUNT}/query` });
    expect(r.params.get('nrql')).toBe(`${nrql} SINCE 120 seconds ago`);
    expect(r.headers['x-query-key']).toBe(QUERY_KEY);
  });

  it('given NRQL with its own SINCE, then it is sent as written', async () => {
    await new NewRelicProvider(cfg(), providerCtx).query('SELECT count(*) FROM Transaction since 5 minutes ago', signal());
    expect(api.received[0]!.params.get('nrql')).toBe('SELECT count(*) FROM Transaction since 5 minutes ago');
  });

  it('given no window, then SINCE is 60 seconds', () => {
    expect(withSince('SELECT 1 FROM X ', 60)).toBe('SELECT 1 FROM X SINCE 60 seconds ago');
  });

  it('given no address, then the US Insights endpoint is used', () => {
    expect(NEWRELIC_DEFAULT_ADDRESS).toBe('https://insights-api.newrelic.com');
  });

  it.each<[string, unknown, number]>([
    ['percentage (result)', { results: [{ result: 99.25 }] }, 99.25],
    ['average', { results: [{ average: 0.123 }] }, 0.123],
    ['count', { results: [{ count: 42 }] }, 42],
    ['percentile (nested)', { results: [{ percentiles: { '99': 0.45 } }] }, 0.45],
    ['the first numeric field after non-numeric ones', { results: [{ name: 'x', latest: 3 }] }, 3],
    ['the first result of several aggregates', { results: [{ average: 1 }, { max: 9 }] }, 1],
    ['a single facet', { facets: [{ name: 'podinfo', results: [{ count: 7 }] }], totalResult: { results: [{ count: 7 }] } }, 7],
  ])('given a %s answer, then its value is returned', async (_title, body, expected) => {
    answer = { ...(body as object), ...meta };
    await expect(new NewRelicProvider(cfg(), providerCtx).query('SELECT x FROM Transaction', signal())).resolves.toBe(expected);
  });

  it.each<[string, unknown]>([
    ['no results', { results: [] }],
    ['a null aggregate', { results: [{ average: null }] }],
    ['no numeric field', { results: [{ members: ['a', 'b'] }] }],
    ['no facets', { facets: [] }],
  ])('given %s, then it is NoDataError', async (_title, body) => {
    answer = { ...(body as object), ...meta };
    const err = await failure(new NewRelicProvider(cfg(), providerCtx).query('SELECT average(duration) FROM Transaction', signal()));
    expect(err).toBeInstanceOf(NoDataError);
  });

  it('given several facets, then it is MultipleSeriesError', async () => {
    answer = {
      facets: [
        { name: 'a', results: [{ count: 1 }] },
        { name: 'b', results: [{ count: 2 }] },
        { name: 'c', results: [{ count: 3 }] },
      ],
      ...meta,
    };
    const err = await failure(new NewRelicProvider(cfg(), providerCtx).query('SELECT count(*) FROM Transaction FACET appName', signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain('3 series');
  });

  it("given an NRQL syntax error, then it is ProviderError with the status and New Relic's reason", async () => {
    const err = await failure(new NewRelicProvider(cfg(), providerCtx).query('SELECT count(*) FORM Transaction', signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe("newrelic: query failed: HTTP 400: NRQL Syntax Error: Error at line 1 position 22, unexpected 'FORM'");
  });

  it('given a wrong query key, then it is ProviderError HTTP 403 without the key', async () => {
    const err = await failure(
      new NewRelicProvider(cfg({ secret: { newrelic_account_id: ACCOUNT, newrelic_query_key: 'NRIQ-wrong-key' } }), providerCtx).query(
        'SELECT 1 FROM X',
        signal(),
      ),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('newrelic: query failed: HTTP 403 (credentials rejected): Invalid query key');
    expect(err.message).not.toContain('NRIQ-wrong-key');
  });

  it('given a wrong account, then it is ProviderError HTTP 404', async () => {
    const err = await failure(
      new NewRelicProvider(cfg({ secret: { newrelic_account_id: '999', newrelic_query_key: QUERY_KEY } }), providerCtx).query(
        'SELECT 1 FROM X',
        signal(),
      ),
    );
    expect(err.message).toBe('newrelic: query failed: HTTP 404: Not Found');
  });

  it('given a 503 with a text body, then it is ProviderError with the status and the text', async () => {
    api.handler = () => ({ status: 503, body: 'Service Unavailable' });
    try {
      await expect(new NewRelicProvider(cfg(), providerCtx).query('SELECT 1 FROM X', signal())).rejects.toThrow(
        'newrelic: query failed: HTTP 503: Service Unavailable',
      );
    } finally {
      api.handler = insights;
    }
  });

  it.each<[string, Record<string, string> | undefined, string]>([
    ['no Secret', undefined, 'newrelic_account_id and newrelic_query_key'],
    ['no query key', { newrelic_account_id: ACCOUNT }, 'newrelic_query_key'],
  ])('given %s, then it is ProviderError naming the missing keys', async (_title, secret, missing) => {
    const err = await failure(new NewRelicProvider(cfg({ secret }), providerCtx).query('SELECT 1 FROM X', signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe(`newrelic: the provider's Secret (spec.provider.secretRef) needs ${missing}`);
    expect(api.received).toHaveLength(0);
  });
});

describe('newrelic registration', () => {
  it('given type newrelic, then the factory builds the New Relic provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('newrelic');
  });
});
