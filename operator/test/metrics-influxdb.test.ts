import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { InfluxdbProvider, parseAnnotatedCsv } from '../src/metrics/providers/influxdb.js';
import { failure, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

const TOKEN = 'influx-token-0123456789==';
const ORG = 'platform';
const api = new VendorApi();
let csv = '';
let health: Reply = { body: { name: 'influxdb', message: 'ready for queries and writes', status: 'pass', checks: [], version: 'v2.7.11' } };

/** InfluxDB 2.x's /api/v2/query (Flux, annotated CSV) and /health, as documented. */
function influx(req: Received): Reply {
  if (req.path === '/health' && req.method === 'GET') return health;
  if (req.path !== '/api/v2/query' || req.method !== 'POST') return { status: 404, body: { code: 'not found', message: 'path not found' } };
  if (req.headers.authorization !== `Token ${TOKEN}`)
    return { status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } };
  if (req.params.get('org') !== ORG)
    return { status: 404, body: { code: 'not found', message: `organization name "${req.params.get('org')}" not found` } };
  const body = JSON.parse(req.body) as { query: string; type: string };
  if (body.type !== 'flux') return { status: 400, body: { code: 'invalid', message: 'unsupported query type' } };
  if (body.query.startsWith('frum'))
    return { status: 400, body: { code: 'invalid', message: 'compilation failed: error at @1:1-1:5: undefined identifier frum' } };
  return { body: csv, contentType: 'text/csv; charset=utf-8' };
}

const ANNOTATIONS = [
  '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string',
  '#group,false,false,true,true,false,false,true,true,true',
  '#default,_result,,,,,,,,',
  ',result,table,_start,_stop,_time,_value,_field,_measurement,pod',
];
const row = (table: number, time: string, value: string, pod = 'podinfo-canary') =>
  `,,${table},2026-01-01T00:00:00Z,2026-01-01T00:05:00Z,2026-01-01T00:0${time}:00Z,${value},rate,http_errors,${pod}`;
const answer = (...lines: string[]) => `${[...ANNOTATIONS, ...lines].join('\r\n')}\r\n\r\n`;

const FLUX = `from(bucket: "istio")
  |> range(start: -5m)
  |> filter(fn: (r) => r._measurement == "http_errors" and r.pod =~ /podinfo-canary/)
  |> aggregateWindow(every: 1m, fn: mean)`;
const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  type: 'influxdb',
  address: api.address,
  secret: { token: TOKEN, org: ORG },
  ...over,
});

beforeAll(async () => {
  await api.start();
  api.handler = influx;
});
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  csv = answer(row(0, '1', '1.5'), row(0, '2', '2.75'));
});

describe('influxdb query', () => {
  it('given Flux, then it POSTs /api/v2/query?org= with the token, asking for annotated CSV', async () => {
    await expect(new InfluxdbProvider(cfg(), providerCtx).query(FLUX, signal())).resolves.toBe(2.75);
    const r = api.received[0]!;
    expect(r).toMatchObject({ method: 'POST', path: '/api/v2/query' });
    expect(r.params.get('org')).toBe(ORG);
    expect(r.headers.authorization).toBe(`Token ${TOKEN}`);
    expect(r.headers.accept).toBe('application/csv');
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({
      query: FLUX,
      type: 'flux',
      dialect: { header: true, delimiter: ',', annotations: ['datatype', 'group', 'default'] },
    });
  });

  it.each<[string, string, number]>([
    ['the last row of one table', answer(row(0, '1', '3'), row(0, '2', '4'), row(0, '3', '-0.5')), -0.5],
    ['a long value', answer(row(0, '1', '17')), 17],
    ['an answer without annotations, LF line ends', ',result,table,_time,_value\n,_result,0,2026-01-01T00:00:00Z,8.25\n', 8.25],
    [
      'quoted cells holding commas',
      answer(',,0,2026-01-01T00:00:00Z,2026-01-01T00:05:00Z,2026-01-01T00:01:00Z,6.5,rate,http_errors,"pod,with ""quotes"""'),
      6.5,
    ],
  ])('given %s, then its _value is returned', async (_title, body, expected) => {
    csv = body;
    await expect(new InfluxdbProvider(cfg(), providerCtx).query(FLUX, signal())).resolves.toBe(expected);
  });

  it.each<[string, string]>([
    ['an empty answer', '\r\n'],
    ['annotations and a header but no rows', answer()],
    ['an empty _value', answer(row(0, '1', ''))],
    ['a NaN _value', answer(row(0, '1', 'NaN'))],
  ])('given %s, then it is NoDataError', async (_title, body) => {
    csv = body;
    await expect(new InfluxdbProvider(cfg(), providerCtx).query(FLUX, signal())).rejects.toBeInstanceOf(NoDataError);
  });

  it.each<[string, string, number]>([
    ['two tables in one block', answer(row(0, '1', '1'), row(1, '1', '2', 'podinfo-primary')), 2],
    ['two blocks (two yields)', `${answer(row(0, '1', '1'))}${answer(row(0, '1', '2')).replace('#default,_result', '#default,other')}`, 2],
  ])('given %s, then it is MultipleSeriesError', async (_title, body, count) => {
    csv = body;
    const err = await failure(new InfluxdbProvider(cfg(), providerCtx).query(FLUX, signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain(`${count} series`);
  });

  it('given an error table in the CSV, then it is ProviderError with its message', async () => {
    csv =
      '#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,"runtime error @3:6-3:40: filter: type conflict: int != string",897\r\n\r\n';
    await expect(new InfluxdbProvider(cfg(), providerCtx).query(FLUX, signal())).rejects.toThrow(
      'influxdb: query failed: runtime error @3:6-3:40: filter: type conflict: int != string',
    );
  });

  it("given a Flux compilation error, then it is ProviderError HTTP 400 with InfluxDB's message", async () => {
    await expect(new InfluxdbProvider(cfg(), providerCtx).query('frum(bucket: "x")', signal())).rejects.toThrow(
      'influxdb: query failed: HTTP 400: compilation failed: error at @1:1-1:5: undefined identifier frum',
    );
  });

  it('given a wrong token, then it is ProviderError HTTP 401 without the token', async () => {
    const err = await failure(
      new InfluxdbProvider(cfg({ secret: { token: 'wrong-token-xyz', org: ORG } }), providerCtx).query(FLUX, signal()),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('influxdb: query failed: HTTP 401 (credentials rejected): unauthorized access');
  });

  it('given an unknown org, then it is ProviderError HTTP 404', async () => {
    await expect(new InfluxdbProvider(cfg({ secret: { token: TOKEN, org: 'nope' } }), providerCtx).query(FLUX, signal())).rejects.toThrow(
      'influxdb: query failed: HTTP 404: organization name "nope" not found',
    );
  });

  it('given no _value column, then it is ProviderError saying so', async () => {
    csv = ',result,table,_time,count\r\n,_result,0,2026-01-01T00:00:00Z,3\r\n';
    await expect(new InfluxdbProvider(cfg(), providerCtx).query(FLUX, signal())).rejects.toThrow(
      /^influxdb: the answer has no _value column/,
    );
  });

  it('given no address, then it is ProviderError', async () => {
    await expect(new InfluxdbProvider(cfg({ address: '' }), providerCtx).query(FLUX, signal())).rejects.toThrow(
      'influxdb: spec.provider.address is required',
    );
  });
});

describe('parseAnnotatedCsv', () => {
  it('given two annotated tables separated by a blank line, then each keeps its header and defaults', () => {
    const tables = parseAnnotatedCsv(answer(row(0, '1', '1')) + answer(row(1, '2', '2')));
    expect(tables).toHaveLength(2);
    expect(tables[0]!.columns.slice(0, 3)).toEqual(['', 'result', 'table']);
    expect(tables[1]!.defaults[1]).toBe('_result');
    expect(tables[1]!.rows[0]![2]).toBe('1');
  });
});

describe('influxdb registration', () => {
  it('given type influxdb, then the factory builds the InfluxDB provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('influxdb');
  });
});
