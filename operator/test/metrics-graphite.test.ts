import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { GraphiteProvider, renderParams } from '../src/metrics/providers/graphite.js';
import { failure, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

const api = new VendorApi();
const BASIC = `Basic ${Buffer.from('grafana:s3cret-pass').toString('base64')}`;
let requireAuth = false;
let series: unknown[] = [];

/** graphite-web's render API (format=json), behind basic auth when requireAuth is set. */
function graphite(req: Received): Reply {
  if (requireAuth && req.headers.authorization !== BASIC)
    return { status: 401, body: '<html><body>401 Authorization Required</body></html>', contentType: 'text/html' };
  if (req.method !== 'GET' || !req.path.endsWith('/render')) return { status: 404, body: 'Not Found' };
  if (req.params.get('format') !== 'json') return { status: 400, body: 'format must be json here' };
  const target = req.params.get('target') ?? '';
  if (!target || target.includes('((')) return { status: 400, body: `Invalid target: ${target}` };
  return { body: series };
}

const oneSeries = (...values: (number | null)[]) => ({
  target: 'podinfo.errors',
  tags: { name: 'podinfo.errors' },
  datapoints: values.map((v, i) => [v, 1_700_000_000 + 60 * i]),
});
const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({ type: 'graphite', address: api.address, ...over });

beforeAll(async () => {
  await api.start();
  api.handler = graphite;
});
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  requireAuth = false;
  series = [oneSeries(1, 2, 3.5)];
});

describe('graphite query', () => {
  it('given a target, then it GETs /render with the target, from=-<interval> and format=json', async () => {
    const target = 'sumSeries(stats.timers.podinfo-canary.*.count)';
    await new GraphiteProvider(cfg(), providerCtx).query(target, signal(), { windowMs: 300_000 });
    const r = api.received[0]!;
    expect(r).toMatchObject({ method: 'GET', path: '/render' });
    expect(r.params.get('target')).toBe(target);
    expect(r.params.get('from')).toBe('-300s');
    expect(r.params.get('format')).toBe('json');
    expect(r.headers.authorization).toBeUndefined();
  });

  it('given Flagger\'s "target=...&from=..." form over several lines, then its parameters are used, whitespace folded', async () => {
    const query = `target=summarize(
      asPercent(
        sumSeries(stats.timers.httpServerRequests.app.podinfo.exception.*.count),
        sumSeries(stats.timers.httpServerRequests.app.podinfo.*.count)
      ),
      '1min',
      'avg'
    )
    &from=-5min`;
    await new GraphiteProvider(cfg({ address: `${api.address}/graphite/` }), providerCtx).query(query, signal());
    const r = api.received[0]!;
    expect(r.path).toBe('/graphite/render');
    expect(r.params.get('target')).toBe(
      "summarize( asPercent( sumSeries(stats.timers.httpServerRequests.app.podinfo.exception.*.count), sumSeries(stats.timers.httpServerRequests.app.podinfo.*.count) ), '1min', 'avg' )",
    );
    expect(r.params.get('from')).toBe('-5min');
    expect(r.params.getAll('format')).toEqual(['json']);
  });

  it('given no window, then from is one minute back', () => {
    expect(renderParams('a.b', 60).toString()).toBe('target=a.b&from=-60s&format=json');
  });

  it.each<[string, (number | null)[], number]>([
    ['the last datapoint', [1, 2, 3.5], 3.5],
    ['the last non-null datapoint', [1, 4, null, null], 4],
    ['zero', [5, 0], 0],
  ])('given one series, then the value is %s', async (_title, values, expected) => {
    series = [oneSeries(...values)];
    await expect(new GraphiteProvider(cfg(), providerCtx).query('a.b', signal())).resolves.toBe(expected);
  });

  it.each<[string, () => unknown[]]>([
    ['no series', () => []],
    ['only null datapoints', () => [oneSeries(null, null)]],
    ['no datapoints', () => [oneSeries()]],
  ])('given %s, then it is NoDataError', async (_title, make) => {
    series = make();
    await expect(new GraphiteProvider(cfg(), providerCtx).query('a.b', signal())).rejects.toBeInstanceOf(NoDataError);
  });

  it('given two series, then it is MultipleSeriesError', async () => {
    series = [oneSeries(1), oneSeries(2)];
    const err = await failure(new GraphiteProvider(cfg(), providerCtx).query('a.*', signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain('2 series');
  });

  it("given an invalid target, then it is ProviderError HTTP 400 with graphite's text", async () => {
    await expect(new GraphiteProvider(cfg(), providerCtx).query('sumSeries((a)', signal())).rejects.toThrow(
      'graphite: render failed: HTTP 400: Invalid target: sumSeries((a)',
    );
  });

  it('given username and password, then basic auth is sent', async () => {
    requireAuth = true;
    await expect(
      new GraphiteProvider(cfg({ secret: { username: 'grafana', password: 's3cret-pass\n' } }), providerCtx).query('a.b', signal()),
    ).resolves.toBe(3.5);
    expect(api.received[0]!.headers.authorization).toBe(BASIC);
  });

  it('given a wrong password, then it is ProviderError HTTP 401 without the password', async () => {
    requireAuth = true;
    const err = await failure(
      new GraphiteProvider(cfg({ secret: { username: 'grafana', password: 'wrong-pass' } }), providerCtx).query('a.b', signal()),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('graphite: render failed: HTTP 401 (credentials rejected)');
  });

  it('given a username without password, then it is ProviderError and nothing is sent', async () => {
    await expect(new GraphiteProvider(cfg({ secret: { username: 'grafana' } }), providerCtx).query('a.b', signal())).rejects.toThrow(
      "graphite: the provider's Secret needs both username and password, or neither",
    );
    expect(api.received).toHaveLength(0);
  });

  it('given no address, then it is ProviderError', async () => {
    await expect(new GraphiteProvider(cfg({ address: '' }), providerCtx).query('a.b', signal())).rejects.toThrow(
      'graphite: spec.provider.address is required',
    );
  });

  it('given an answer that is not a list, then it is ProviderError', async () => {
    api.handler = () => ({ body: { error: 'odd' } });
    try {
      await expect(new GraphiteProvider(cfg(), providerCtx).query('a.b', signal())).rejects.toThrow(
        'graphite: render failed: the answer is not a JSON list of series',
      );
    } finally {
      api.handler = graphite;
    }
  });
});

describe('graphite registration', () => {
  it('given type graphite, then the factory builds the Graphite provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('graphite');
  });
});
