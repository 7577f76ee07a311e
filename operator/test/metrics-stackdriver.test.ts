import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { createMetricProvider } from '../src/metrics/factory.js';
import { MultipleSeriesError, NoDataError, ProviderError, type ProviderConfig } from '../src/metrics/provider.js';
import { MONITORING_READ_SCOPE } from '../src/metrics/providers/google-token.js';
import { STACKDRIVER_DEFAULT_ADDRESS, StackdriverProvider } from '../src/metrics/providers/stackdriver.js';
import { failure, signal, VendorApi, type Received, type Reply } from './fakes/vendor-api.js';
import { providerCtx } from './fakes/outbound.js';

const PROJECT = 'tollgate-test-123';
const CLIENT_EMAIL = 'flagger@tollgate-test-123.iam.gserviceaccount.com';
const api = new VendorApi();
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const issued = new Set<string>();
let tokenCounter = 0;
let series: unknown[] = [];
let jwtSeen: { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined;

const googleError = (code: number, status: string, message: string): Reply => ({
  status: code,
  body: { error: { code, message, status } },
});

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Google's OAuth2 token endpoint (JWT bearer grant) and the metadata server. */
function tokens(req: Received, key: KeyObject): Reply {
  if (req.path === '/computeMetadata/v1/instance/service-accounts/default/token') {
    if (req.headers['metadata-flavor'] !== 'Google') return { status: 403, body: 'Missing Metadata-Flavor:Google header.' };
    const token = `ya29.metadata-${++tokenCounter}`;
    issued.add(token);
    return { body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  }
  const form = new URLSearchParams(req.body);
  if (
    req.headers['content-type'] !== 'application/x-www-form-urlencoded' ||
    form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer'
  ) {
    return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' } };
  }
  const [h, c, s] = (form.get('assertion') ?? '').split('.');
  if (!h || !c || !s) return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid JWT' } };
  jwtSeen = { header: decodePart(h), claims: decodePart(c) };
  if (!verify('sha256', Buffer.from(`${h}.${c}`), key, Buffer.from(s, 'base64url'))) {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  }
  const now = Date.now() / 1000;
  const claims = jwtSeen.claims;
  if (
    claims.aud !== `${api.address}/token` ||
    claims.iss !== CLIENT_EMAIL ||
    (claims.exp as number) <= now ||
    (claims.iat as number) > now + 60
  ) {
    return {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.' },
    };
  }
  const token = `ya29.sa-${++tokenCounter}`;
  issued.add(token);
  return { body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
}

/** Cloud Monitoring's projects.timeSeries.query (REST v3), as documented. */
function monitoring(req: Received): Reply {
  if (req.path === '/token' || req.path.startsWith('/computeMetadata/')) return tokens(req, publicKey);
  const m = /^\/v3\/projects\/([^/]+)\/timeSeries:query$/.exec(req.path);
  if (!m || req.method !== 'POST') return googleError(404, 'NOT_FOUND', 'Not Found');
  const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!token || !issued.has(token))
    return googleError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    );
  if (m[1] !== PROJECT)
    return googleError(403, 'PERMISSION_DENIED', 'Permission monitoring.timeSeries.list denied (or the resource may not exist).');
  const body = JSON.parse(req.body) as { query?: string };
  if (!body.query) return googleError(400, 'INVALID_ARGUMENT', 'Field query had an invalid value of "": must not be empty.');
  if (body.query.includes('fetch nothing_here'))
    return googleError(400, 'INVALID_ARGUMENT', "Line 1, Col 7: Table 'nothing_here' not found.");
  return {
    body:
      series.length === 0
        ? {}
        : {
            timeSeriesDescriptor: {
              labelDescriptors: [{ key: 'resource.project_id' }],
              pointDescriptors: [{ key: 'value.ratio', valueType: 'DOUBLE', metricKind: 'GAUGE' }],
            },
            timeSeriesData: series,
          },
  };
}

const oneSeries = (...values: object[]) => ({
  labelValues: [{ stringValue: PROJECT }],
  pointData: values.map((v, i) => ({
    values: [v],
    timeInterval: { startTime: `2026-01-01T00:0${9 - i}:00Z`, endTime: `2026-01-01T00:0${9 - i}:00Z` },
  })),
});

const keyJson = (key: KeyObject = privateKey, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'service_account',
    project_id: PROJECT,
    private_key_id: 'abc123keyid',
    client_email: CLIENT_EMAIL,
    client_id: '1000',
    private_key: key.export({ type: 'pkcs8', format: 'pem' }),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: `${api.address}/token`,
    ...over,
  });
const cfg = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
  type: 'stackdriver',
  address: api.address,
  secret: { project: PROJECT, serviceAccountKey: keyJson() },
  ...over,
});

const MQL =
  "fetch k8s_container | metric 'istio.io/service/server/request_count' | filter resource.pod_name =~ 'podinfo-.*' | within 1m | every 1m";

beforeAll(async () => {
  await api.start();
  api.handler = monitoring;
});
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  series = [oneSeries({ doubleValue: 0.995 }, { doubleValue: 0.5 })];
  jwtSeen = undefined;
});

describe('stackdriver query', () => {
  it('given a service account key, then a signed JWT buys a token, and the MQL is POSTed to timeSeries:query with it', async () => {
    await expect(new StackdriverProvider(cfg(), providerCtx).query(MQL, signal())).resolves.toBe(0.995);
    const [tokenReq, queryReq] = api.received as [Received, Received];
    expect(tokenReq).toMatchObject({ method: 'POST', path: '/token' });
    expect(jwtSeen!.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'abc123keyid' });
    expect(jwtSeen!.claims).toMatchObject({ iss: CLIENT_EMAIL, aud: `${api.address}/token`, scope: MONITORING_READ_SCOPE });
    expect((jwtSeen!.claims.exp as number) - (jwtSeen!.claims.iat as number)).toBe(3600);
    expect(queryReq).toMatchObject({ method: 'POST', path: `/v3/projects/${PROJECT}/timeSeries:query` });
    expect(queryReq.headers.authorization).toMatch(/^Bearer ya29\.sa-\d+$/);
    expect(JSON.parse(queryReq.body)).toEqual({ query: MQL });
  });

  it('given two queries, then the token is fetched once', async () => {
    const p = new StackdriverProvider(cfg(), providerCtx);
    await p.query(MQL, signal());
    await p.query(MQL, signal());
    expect(api.received.map((r) => r.path)).toEqual([
      '/token',
      `/v3/projects/${PROJECT}/timeSeries:query`,
      `/v3/projects/${PROJECT}/timeSeries:query`,
    ]);
  });

  it('given no serviceAccountKey, then the token comes from the metadata server (workload identity)', async () => {
    const saved = process.env.GCE_METADATA_HOST;
    process.env.GCE_METADATA_HOST = api.address.replace('http://', '');
    try {
      await expect(
        new StackdriverProvider(cfg({ secret: { project: PROJECT } }), providerCtx, { officialAddress: api.address }).query(MQL, signal()),
      ).resolves.toBe(0.995);
    } finally {
      if (saved === undefined) delete process.env.GCE_METADATA_HOST;
      else process.env.GCE_METADATA_HOST = saved;
    }
    expect(api.received[0]!.path).toBe('/computeMetadata/v1/instance/service-accounts/default/token');
    expect(api.received[0]!.params.get('scopes')).toBe(MONITORING_READ_SCOPE);
    expect(api.received[1]!.headers.authorization).toMatch(/^Bearer ya29\.metadata-\d+$/);
  });

  it('given no address, then it is monitoring.googleapis.com', () => {
    expect(STACKDRIVER_DEFAULT_ADDRESS).toBe('https://monitoring.googleapis.com');
  });

  it.each<[string, object, number]>([
    ['a doubleValue', { doubleValue: 12.5 }, 12.5],
    ['an int64Value (a JSON string)', { int64Value: '42' }, 42],
    ['a zero doubleValue', { doubleValue: 0 }, 0],
  ])('given %s in the newest point, then it is returned', async (_title, value, expected) => {
    series = [oneSeries(value, { doubleValue: 99 })];
    await expect(new StackdriverProvider(cfg(), providerCtx).query(MQL, signal())).resolves.toBe(expected);
  });

  it.each<[string, () => unknown[]]>([
    ['an empty answer', () => []],
    ['a series without points', () => [oneSeries()]],
    ['a NaN doubleValue', () => [oneSeries({ doubleValue: 'NaN' })]],
  ])('given %s, then it is NoDataError', async (_title, make) => {
    series = make();
    await expect(new StackdriverProvider(cfg(), providerCtx).query(MQL, signal())).rejects.toBeInstanceOf(NoDataError);
  });

  it('given two series, then it is MultipleSeriesError', async () => {
    series = [oneSeries({ doubleValue: 1 }), oneSeries({ doubleValue: 2 })];
    const err = await failure(new StackdriverProvider(cfg(), providerCtx).query(MQL, signal()));
    expect(err).toBeInstanceOf(MultipleSeriesError);
  });

  it('given a distribution value, then it is ProviderError asking for a number', async () => {
    series = [oneSeries({ distributionValue: { count: '3', mean: 2 } })];
    await expect(new StackdriverProvider(cfg(), providerCtx).query(MQL, signal())).rejects.toThrow(
      /^stackdriver: the query's value is a distributionValue/,
    );
  });

  it("given an invalid MQL query, then it is ProviderError HTTP 400 with Google's message", async () => {
    await expect(new StackdriverProvider(cfg(), providerCtx).query('fetch nothing_here', signal())).rejects.toThrow(
      "stackdriver: query failed: HTTP 400: Line 1, Col 7: Table 'nothing_here' not found.",
    );
  });

  it('given a project the account may not read, then it is ProviderError HTTP 403', async () => {
    await expect(
      new StackdriverProvider(cfg({ secret: { project: 'someone-else', serviceAccountKey: keyJson() } }), providerCtx).query(MQL, signal()),
    ).rejects.toThrow(
      'stackdriver: query failed: HTTP 403 (credentials rejected): Permission monitoring.timeSeries.list denied (or the resource may not exist).',
    );
  });

  it('given a key the token endpoint does not know, then it is ProviderError naming the token request, without the key', async () => {
    const err = await failure(
      new StackdriverProvider(cfg({ secret: { project: PROJECT, serviceAccountKey: keyJson(other.privateKey) } }), providerCtx).query(
        MQL,
        signal(),
      ),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe('stackdriver: service account token request failed: HTTP 400: invalid_grant: Invalid JWT Signature.');
    expect(api.received).toHaveLength(1);
  });

  it.each<[string, Record<string, string> | undefined, string]>([
    ['no Secret', undefined, "stackdriver: the provider's Secret (spec.provider.secretRef) needs project"],
    [
      'a key that is not JSON',
      { project: PROJECT, serviceAccountKey: 'not json' },
      'stackdriver: serviceAccountKey is not JSON (expected a service account key file)',
    ],
    [
      'a key without private_key',
      { project: PROJECT, serviceAccountKey: '{"type":"service_account","client_email":"a@b"}' },
      'stackdriver: serviceAccountKey needs client_email and private_key',
    ],
    [
      'a key of another type',
      { project: PROJECT, serviceAccountKey: '{"type":"authorized_user"}' },
      'stackdriver: serviceAccountKey has type authorized_user, expected service_account',
    ],
  ])('given %s, then it is ProviderError and nothing is sent', async (_title, secret, message) => {
    await expect(new StackdriverProvider(cfg({ secret }), providerCtx).query(MQL, signal())).rejects.toThrow(message);
    expect(api.received).toHaveLength(0);
  });
});

describe('stackdriver registration', () => {
  it('given type stackdriver, then the factory builds the Cloud Monitoring provider', () => {
    expect(createMetricProvider(cfg(), providerCtx).type).toBe('stackdriver');
  });
});
