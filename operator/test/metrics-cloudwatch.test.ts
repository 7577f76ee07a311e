import { createHash, createHmac } from 'node:crypto';
import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { signingKey, signV4 } from '../src/metrics/providers/aws-sigv4.js';
import { CloudWatchProvider } from '../src/metrics/providers/cloudwatch.js';
import { failure, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

// ---------------------------------------------------------------------------------------------------------
// Signature Version 4 against AWS's published examples (the sig-v4 test suite and the IAM guide's example).
// ---------------------------------------------------------------------------------------------------------

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_DATE = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

describe('signV4 against AWS published values', () => {
  it('given get-vanilla, then canonical request, string to sign and signature match the suite', () => {
    const s = signV4({
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
      region: 'us-east-1',
      service: 'service',
      credentials: EXAMPLE,
      date: SUITE_DATE,
    });
    expect(s.canonicalRequest).toBe(
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(s.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    );
    expect(s.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(s.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it.each<[string, string, string, string]>([
    ['post-vanilla', 'POST', 'https://example.amazonaws.com/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    [
      'get-vanilla-query-order-key-case',
      'GET',
      'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
  ])('given %s, then the signature matches the suite', (_name, method, url, signature) => {
    expect(
      signV4({ method, url, headers: {}, body: '', region: 'us-east-1', service: 'service', credentials: EXAMPLE, date: SUITE_DATE })
        .signature,
    ).toBe(signature);
  });

  it('given the IAM ListUsers example of the AWS guide, then the signature matches', () => {
    const s = signV4({
      method: 'GET',
      url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      region: 'us-east-1',
      service: 'iam',
      credentials: EXAMPLE,
      date: SUITE_DATE,
    });
    expect(createHash('sha256').update(s.canonicalRequest).digest('hex')).toBe(
      'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59',
    );
    expect(s.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it.each<[string, string]>([
    ['20150830', 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9'],
    ['20120215', 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d'],
  ])("given the guide's signing-key example for %s, then the derived key matches", (day, hex) => {
    expect(signingKey(EXAMPLE.secretAccessKey, day, 'us-east-1', 'iam').toString('hex')).toBe(hex);
  });

  it('given a session token, then x-amz-security-token is sent and signed', () => {
    const s = signV4({
      method: 'POST',
      url: 'https://monitoring.eu-west-1.amazonaws.com/',
      headers: {},
      body: '{}',
      region: 'eu-west-1',
      service: 'monitoring',
      credentials: { ...EXAMPLE, sessionToken: 'FwoGZXIvYXdzEXAMPLE' },
      date: SUITE_DATE,
    });
    expect(s.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLE');
    expect(s.headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});

// ---------------------------------------------------------------------------------------------------------
// GetMetricData against a stand-in that checks the signature with its own (independent) computation.
// ---------------------------------------------------------------------------------------------------------

const KEYS: Record<string, string> = {
  AKIATOLLGATETEST0001: 'tollgate/Secret+Key/0123456789abcdefghijklm',
  ASIATOLLGATESESSION1: 'session/Secret+Key/9876543210zyxwvutsrqpo',
};
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN==';
const REGION = 'eu-west-1';
const api = new VendorApi();
let values: Record<string, number[]> = {};
let lastInput:
  { MetricDataQueries: { Id: string; ReturnData?: boolean }[]; StartTime: number; EndTime: number; ScanBy?: string } | undefined;

/** The stand-in's own SigV4 check: rebuilds the canonical request from what arrived on the wire. */
function signatureProblem(req: Received): string | undefined {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (!auth) return 'IncompleteSignatureException';
  const [, akid, day, region, service, signedHeaders, signature] = auth as unknown as string[];
  const secret = KEYS[akid!];
  if (!secret) return 'UnrecognizedClientException';
  if (region !== REGION || service !== 'monitoring') return 'InvalidSignatureException';
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const skew = Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now());
  if (!(skew < 5 * 60_000) || !amzDate.startsWith(day!)) return 'InvalidSignatureException';
  const names = signedHeaders!.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-target', 'content-type'])
    if (!names.includes(required)) return 'InvalidSignatureException';
  if (akid!.startsWith('ASIA') && (req.headers['x-amz-security-token'] !== SESSION_TOKEN || !names.includes('x-amz-security-token'))) {
    return 'UnrecognizedClientException';
  }
  const lines: string[] = [];
  for (const name of names) {
    const value = req.headers[name];
    lines.push(`${name}:${(Array.isArray(value) ? value.join(',') : String(value ?? '')).trim()}\n`);
  }
  const canonical = ['POST', req.path, '', lines.join(''), signedHeaders, createHash('sha256').update(req.body).digest('hex')].join('\n');
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${day}/${region}/${service}/aws4_request\n${createHash('sha256').update(canonical).digest('hex')}`;
  let k: Buffer = createHmac('sha256', `AWS4${secret}`).update(day!).digest();
  k = createHmac('sha256', k).update(region!).digest();
  k = createHmac('sha256', k).update(service!).digest();
  k = createHmac('sha256', k).update('aws4_request').digest();
  return createHmac('sha256', k).update(toSign).digest('hex') === signature ? undefined : 'InvalidSignatureException';
}

const awsError = (status: number, type: string, message: string): Reply => ({
  status,
  contentType: 'application/x-amz-json-1.0',
  body: { __type: `com.amazon.coral.service#${type}`, message },
});

/** CloudWatch's GetMetricData over AWS JSON 1.0, as documented. */
function cloudwatch(req: Received): Reply {
  if (req.method !== 'POST' || req.path !== '/') return awsError(404, 'UnknownOperationException', 'not found');
  const problem = signatureProblem(req);
  if (problem === 'UnrecognizedClientException') return awsError(400, problem, 'The security token included in the request is invalid.');
  if (problem) return awsError(403, problem, 'The request signature we calculated does not match the signature you provided.');
  if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.GetMetricData') return awsError(400, 'UnknownOperationException', '');
  if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return awsError(400, 'SerializationException', '');
  lastInput = JSON.parse(req.body) as typeof lastInput;
  if (!lastInput!.MetricDataQueries.length) {
    return awsError(400, 'ValidationError', 'The parameter MetricDataQueries must contain at least one element.');
  }
  const returned = lastInput!.MetricDataQueries.filter((q) => q.ReturnData !== false);
  return {
    contentType: 'application/x-amz-json-1.0',
    body: {
      MetricDataResults: returned.map((q) => ({
        Id: q.Id,
        Label: q.Id,
        StatusCode: 'Complete',
        Timestamps: (values[q.Id] ?? []).map((_v, i) => lastInput!.EndTime - 60 * (i + 1)),
        Values: values[q.Id] ?? [],
      })),
      Messages: [],
    },
  };
}

const QUERY = JSON.stringify([
  { Id: 'e1', Expression: 'm1 / m2 * 100', Label: 'error rate' },
  {
    Id: 'm1',
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/podinfo-canary/0123' }],
      },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: false,
  },
  {
    Id: 'm2',
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCount',
        Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/podinfo-canary/0123' }],
      },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: false,
  },
]);

const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  type: 'cloudwatch',
  address: api.address,
  region: REGION,
  secret: { aws_access_key_id: 'AKIATOLLGATETEST0001', aws_secret_access_key: KEYS.AKIATOLLGATETEST0001! },
  ...over,
});
const noEnv = {} as NodeJS.ProcessEnv;

beforeAll(async () => {
  await api.start();
  api.handler = cloudwatch;
});
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  values = { e1: [2.5, 1.25], m1: [5], m2: [200] };
  lastInput = undefined;
});

describe('cloudwatch query', () => {
  it('given MetricDataQueries, then a signed GetMetricData over the window is POSTed and the newest value of the returned result comes back', async () => {
    const before = Math.floor(Date.now() / 1000);
    await expect(
      new CloudWatchProvider(cfg(), providerCtx, { env: noEnv }).query(QUERY, signal(), { windowMs: 10 * 60_000 }),
    ).resolves.toBe(2.5);
    const r = api.received[0]!;
    expect(r).toMatchObject({ method: 'POST', path: '/' });
    expect(r.headers['x-amz-target']).toBe('GraniteServiceVersion20100801.GetMetricData');
    expect(r.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(r.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIATOLLGATETEST0001/\\d{8}/${REGION}/monitoring/aws4_request, `),
    );
    expect(r.headers['x-amz-security-token']).toBeUndefined();
    expect(lastInput!.MetricDataQueries).toEqual(JSON.parse(QUERY));
    expect(lastInput!.EndTime - lastInput!.StartTime).toBe(600);
    expect(lastInput!.EndTime).toBeGreaterThanOrEqual(before);
    expect(lastInput!.ScanBy).toBe('TimestampDescending');
  });

  it('given a session token in the Secret, then it is sent and signed', async () => {
    const secret = {
      aws_access_key_id: 'ASIATOLLGATESESSION1',
      aws_secret_access_key: KEYS.ASIATOLLGATESESSION1!,
      aws_session_token: SESSION_TOKEN,
    };
    await expect(new CloudWatchProvider(cfg({ secret }), providerCtx, { env: noEnv }).query(QUERY, signal())).resolves.toBe(2.5);
    expect(api.received[0]!.headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    expect(lastInput!.EndTime - lastInput!.StartTime).toBe(60);
  });

  it('given no Secret, then the AWS_* environment variables sign the request', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'ASIATOLLGATESESSION1',
      AWS_SECRET_ACCESS_KEY: KEYS.ASIATOLLGATESESSION1,
      AWS_SESSION_TOKEN: SESSION_TOKEN,
    } as NodeJS.ProcessEnv;
    await expect(
      new CloudWatchProvider(cfg({ secret: undefined }), providerCtx, { env, officialEndpoint: () => `${api.address}/` }).query(
        QUERY,
        signal(),
      ),
    ).resolves.toBe(2.5);
  });

  it('given no credentials anywhere, then it is ProviderError and nothing is sent', async () => {
    const err = await failure(
      new CloudWatchProvider(cfg({ secret: undefined }), providerCtx, { env: noEnv, officialEndpoint: () => `${api.address}/` }).query(
        QUERY,
        signal(),
      ),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/^cloudwatch: no AWS credentials/);
    expect(api.received).toHaveLength(0);
  });

  it('given a region and no address, then the endpoint is the regional monitoring endpoint', () => {
    expect(
      (
        new CloudWatchProvider({ type: 'cloudwatch', address: '', region: 'ap-southeast-2' }, providerCtx) as unknown as {
          endpoint: string;
        }
      ).endpoint,
    ).toBe('https://monitoring.ap-southeast-2.amazonaws.com/');
  });

  it('given neither region nor address, then it is ProviderError asking for the region', async () => {
    await expect(
      new CloudWatchProvider(cfg({ address: '', region: undefined }), providerCtx, { env: noEnv }).query(QUERY, signal()),
    ).rejects.toThrow('cloudwatch: spec.provider.region is required (or an endpoint in spec.provider.address)');
  });

  it('given a wrong secret key, then it is ProviderError HTTP 403 naming the AWS error, without the key', async () => {
    const secret = { aws_access_key_id: 'AKIATOLLGATETEST0001', aws_secret_access_key: 'not/the/right/secret/key' };
    const err = await failure(new CloudWatchProvider(cfg({ secret }), providerCtx, { env: noEnv }).query(QUERY, signal()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(
      /^cloudwatch: GetMetricData failed: HTTP 403 \(credentials rejected\): InvalidSignatureException: The request signature/,
    );
    expect(err.message).not.toContain('not/the/right/secret/key');
  });

  it('given an unknown access key, then it is ProviderError HTTP 400 UnrecognizedClientException', async () => {
    const secret = { aws_access_key_id: 'AKIAUNKNOWN', aws_secret_access_key: 'whatever-secret' };
    await expect(new CloudWatchProvider(cfg({ secret }), providerCtx, { env: noEnv }).query(QUERY, signal())).rejects.toThrow(
      'cloudwatch: GetMetricData failed: HTTP 400: UnrecognizedClientException: The security token included in the request is invalid.',
    );
  });

  it('given a result without values, then it is NoDataError', async () => {
    values = { e1: [] };
    const err = await failure(new CloudWatchProvider(cfg(), providerCtx, { env: noEnv }).query(QUERY, signal()));
    expect(err).toBeInstanceOf(NoDataError);
  });

  it('given no result at all, then it is NoDataError', async () => {
    const onlyInputs = JSON.stringify([
      { Id: 'm1', MetricStat: { Metric: { Namespace: 'N', MetricName: 'M' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
    ]);
    await expect(new CloudWatchProvider(cfg(), providerCtx, { env: noEnv }).query(onlyInputs, signal())).rejects.toBeInstanceOf(
      NoDataError,
    );
  });

  it('given two queries that return data, then it is MultipleSeriesError', async () => {
    const two = JSON.stringify([
      { Id: 'm1', MetricStat: {} },
      { Id: 'm2', MetricStat: {} },
    ]);
    const err = await failure(new CloudWatchProvider(cfg(), providerCtx, { env: noEnv }).query(two, signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
    expect(err.message).toContain('2 series');
  });

  it('given a result marked Forbidden, then it is ProviderError with its messages', async () => {
    api.handler = () => ({
      body: {
        MetricDataResults: [
          { Id: 'e1', StatusCode: 'Forbidden', Values: [], Messages: [{ Code: 'Forbidden', Value: 'No access to AWS/ApplicationELB' }] },
        ],
      },
    });
    try {
      await expect(new CloudWatchProvider(cfg(), providerCtx, { env: noEnv }).query(QUERY, signal())).rejects.toThrow(
        'cloudwatch: GetMetricData result e1 is Forbidden: No access to AWS/ApplicationELB',
      );
    } finally {
      api.handler = cloudwatch;
    }
  });

  it.each<[string, string, string]>([
    ['not JSON', 'e1 = m1/m2', 'cloudwatch: the query is not JSON'],
    ['an object', '{"Id": "e1"}', 'cloudwatch: the query must be a non-empty JSON array of MetricDataQuery objects'],
    ['an empty array', '[]', 'cloudwatch: the query must be a non-empty JSON array of MetricDataQuery objects'],
  ])('given a query that is %s, then it is ProviderError and nothing is sent', async (_title, query, message) => {
    await expect(new CloudWatchProvider(cfg(), providerCtx, { env: noEnv }).query(query, signal())).rejects.toThrow(message);
    expect(api.received).toHaveLength(0);
  });
});

describe('cloudwatch registration', () => {
  it('given type cloudwatch, then the factory builds the CloudWatch provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('cloudwatch');
  });
});
