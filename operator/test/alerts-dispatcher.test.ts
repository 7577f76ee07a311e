import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { AlertProvider, Canary, CanaryAlert } from '../src/api/types.js';
import { AlertDispatcher, type AlertDispatcherDeps } from '../src/alerts/dispatcher.js';
import { alertOf } from '../src/alerts/messages.js';
import type { Notification } from '../src/alerts/notifier.js';
import { KubeApiError } from '../src/kube/errors.js';
import type { Lister } from '../src/kube/informer.js';
import { testHttp } from './fakes/outbound.js';

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let received: Received[] = [];
/** Status answered per path; 200 otherwise. */
let statusFor: Record<string, number> = {};
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(statusFor[req.url ?? ''] ?? 200, { 'content-type': 'text/plain' });
      res.end(statusFor[req.url ?? ''] ? 'nope' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  statusFor = {};
});

const provider = (namespace: string, name: string, spec: AlertProvider['spec']): AlertProvider => ({ metadata: { namespace, name }, spec });

function lister(items: AlertProvider[]): Lister<AlertProvider> {
  return {
    get: (ns, name) => items.find((p) => p.metadata.namespace === ns && p.metadata.name === name),
    list: (ns) => items.filter((p) => ns === undefined || p.metadata.namespace === ns),
  };
}

const notFound = (): KubeApiError => new KubeApiError(404, 'NotFound', 'secrets not found', 'GET', '/api/v1/namespaces/test/secrets/x');

interface Harness {
  dispatcher: AlertDispatcher;
  logs: Record<string, unknown>[];
  clock: { t: number };
  secretReads: string[];
}

function harness(
  providers: AlertProvider[],
  secrets: Record<string, Record<string, string>> = {},
  extra: Partial<AlertDispatcherDeps> = {},
): Harness {
  const logs: Record<string, unknown>[] = [];
  const clock = { t: Date.UTC(2026, 0, 1, 12) };
  const secretReads: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const dispatcher = new AlertDispatcher({
    providers: lister(providers),
    secrets: {
      read: async (ns, name) => {
        secretReads.push(`${ns}/${name}`);
        const data = secrets[`${ns}/${name}`];
        if (!data) throw notFound();
        return data;
      },
    },
    logger,
    http: testHttp,
    now: () => clock.t,
    crossNamespaceRefs: 'opt-in',
    ...extra,
  });
  return { dispatcher, logs, clock, secretReads };
}

const canaryWith = (alerts: CanaryAlert[]): Canary => ({
  metadata: { name: 'podinfo', namespace: 'test', uid: 'u-1' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '1m', threshold: 5, stepWeight: 10, alerts },
  },
});

const signal = (): AbortSignal => new AbortController().signal;
const status = { phase: 'Failed' as const, canaryWeight: 0, lastAppliedSpec: '7c9d5f6b8' };
const rolledBack = (c: Canary) =>
  alertOf(c, status, 'RolledBack', {
    failedChecks: 5,
    threshold: 5,
    metric: { name: 'request-success-rate', value: 97.5, min: 99, reason: 'BelowMin' },
  });
const newRevision = (c: Canary) => alertOf(c, { phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'abc' }, 'NewRevision');
const waiting = (c: Canary) => alertOf(c, { phase: 'Waiting', lastAppliedSpec: 'abc' }, 'WaitingApproval', { webhook: 'gate' });
const paths = (): string[] => received.map((r) => r.url).sort();

describe('AlertDispatcher severity filter', () => {
  // The server's address is known once it listens: the providers are made inside the tests.
  const providers = (): AlertProvider[] => [
    provider('test', 'all', { type: 'webhook', address: `${base}/info` }),
    provider('test', 'warnings', { type: 'webhook', address: `${base}/warn` }),
    provider('test', 'errors', { type: 'webhook', address: `${base}/error` }),
  ];
  const alerts: CanaryAlert[] = [
    { name: 'a-info', severity: 'info', providerRef: { name: 'all' } },
    { name: 'a-warn', severity: 'warn', providerRef: { name: 'warnings' } },
    { name: 'a-error', severity: 'error', providerRef: { name: 'errors' } },
  ];

  it.each([
    ['info', newRevision, ['/info']],
    ['warn', waiting, ['/info', '/warn']],
    ['error', rolledBack, ['/error', '/info', '/warn']],
  ])('given a %s notification, then only the alerts at or below that severity get it', async (_sev, make, expected) => {
    const c = canaryWith(alerts);
    const s = await harness(providers()).dispatcher.notify(c, make(c), signal());
    expect(paths()).toEqual(expected);
    expect(s.sent).toBe(expected.length);
    expect(s.results.filter((r) => r.outcome === 'filtered').map((r) => r.alert)).toEqual(alerts.map((a) => a.name).slice(expected.length));
  });

  it('given an alert without severity, then it gets everything (info)', async () => {
    const c = canaryWith([{ name: 'default', providerRef: { name: 'hook' } }]);
    const h = harness([provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })]);
    await h.dispatcher.notify(c, newRevision(c), signal());
    expect(paths()).toEqual(['/hook']);
  });

  it('given no alerts, then nothing is sent and nothing is remembered', async () => {
    const c = canaryWith([]);
    const s = await harness([]).dispatcher.notify(c, rolledBack(c), signal());
    expect(s).toEqual({ results: [], sent: 0, failed: 0 });
    expect(received).toHaveLength(0);
  });
});

/** An AlertProvider of flagger-system with a Secret, allowing the namespaces of `allow` (no annotation when undefined). */
const sharedSlack = (allow?: string): AlertProvider => ({
  metadata: {
    namespace: 'flagger-system',
    name: 'slack',
    ...(allow !== undefined ? { annotations: { 'tollgate.dev/allow-cross-namespace': allow } } : {}),
  },
  spec: { type: 'slack', secretRef: { name: 'slack-url' } },
});

describe('AlertDispatcher cross-namespace references (finding 9)', () => {
  const shared = canaryWith([{ name: 'shared', providerRef: { name: 'slack', namespace: 'flagger-system' } }]);
  const secrets = (): Record<string, Record<string, string>> => ({ 'flagger-system/slack-url': { address: `${base}/shared` } });

  it.each([[undefined], [''], ['other'], ['tes'], ['test-b, prod']])(
    'given an AlertProvider of another namespace allowing %p, then it is refused: no Secret read, nothing sent, a Warning Event says how to allow it',
    async (allow) => {
      const events: { reason: string; message: string; type: string }[] = [];
      const h = harness([sharedSlack(allow)], secrets(), {
        events: { record: (_o, type, reason, message) => void events.push({ type, reason, message }) },
      });
      const s = await h.dispatcher.notify(shared, rolledBack(shared), signal());
      const why =
        'AlertProvider flagger-system/slack may not be used from namespace test: annotate it with tollgate.dev/allow-cross-namespace: "test" (a comma-separated list, or "*"), or run the operator with --cross-namespace-refs=allow';
      expect(s.results).toEqual([{ alert: 'shared', provider: 'flagger-system/slack', outcome: 'failed', error: why }]);
      expect(h.secretReads).toEqual([]);
      expect(received).toHaveLength(0);
      expect(events).toEqual([{ type: 'Warning', reason: 'CrossNamespaceRefused', message: why }]);
    },
  );

  it.each([['test'], ['*'], [' prod , test ']])(
    'given an AlertProvider of another namespace allowing %p, then it is used with its Secret',
    async (allow) => {
      const h = harness([sharedSlack(allow)], secrets());
      expect((await h.dispatcher.notify(shared, rolledBack(shared), signal())).sent).toBe(1);
      expect(paths()).toEqual(['/shared']);
    },
  );

  it("given --cross-namespace-refs=allow, then an AlertProvider of another namespace is used without the annotation (Flagger's behaviour)", async () => {
    const h = harness([sharedSlack()], secrets(), { crossNamespaceRefs: 'allow' });
    expect((await h.dispatcher.notify(shared, rolledBack(shared), signal())).sent).toBe(1);
    expect(h.secretReads).toEqual(['flagger-system/slack-url']);
  });
});

describe('AlertDispatcher resolution', () => {
  it("given a providerRef without namespace, then the Canary's namespace is used; with one the provider allows, that namespace and its Secret", async () => {
    const c = canaryWith([
      { name: 'local', providerRef: { name: 'slack' } },
      { name: 'shared', providerRef: { name: 'slack', namespace: 'flagger-system' } },
    ]);
    const h = harness([provider('test', 'slack', { type: 'slack', address: `${base}/local` }), sharedSlack('other,test')], {
      'flagger-system/slack-url': { address: `${base}/shared\n` },
    });
    const s = await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(s.results).toEqual([
      { alert: 'local', provider: 'test/slack', outcome: 'sent' },
      { alert: 'shared', provider: 'flagger-system/slack', outcome: 'sent' },
    ]);
    expect(paths()).toEqual(['/local', '/shared']);
    expect(h.secretReads).toEqual(['flagger-system/slack-url']);
  });

  it('given both spec.address and a Secret address, then the Secret wins', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'teams' } }]);
    const h = harness([provider('test', 'teams', { type: 'msteams', address: `${base}/spec`, secretRef: { name: 'teams' } })], {
      'test/teams': { address: `${base}/secret` },
    });
    await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(paths()).toEqual(['/secret']);
  });

  it('given a Slack Secret with a token, then chat.postMessage-style Bearer auth goes to the address', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'bot' } }]);
    const h = harness([provider('test', 'bot', { type: 'slack', channel: 'deploys', secretRef: { name: 'bot' } })], {
      'test/bot': { address: `${base}/api/chat.postMessage`, token: 'xoxb-9' },
    });
    // chat.postMessage answers {"ok":true}; the capture server answers "ok", which is no JSON: a refusal.
    const s = await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(received[0]!.headers.authorization).toBe('Bearer xoxb-9');
    expect(JSON.parse(received[0]!.body)).toMatchObject({ channel: 'deploys' });
    expect(s.results[0]).toMatchObject({ outcome: 'failed', error: `${base} refused the message: the answer is not JSON` });
    expect(JSON.stringify(h.logs)).not.toContain('xoxb-9');
  });

  it('given the generic webhook with an hmac-key in its Secret, then the dispatched body is signed and carries fields and cluster', async () => {
    const c = canaryWith([{ name: 'pager', providerRef: { name: 'bridge' } }]);
    const h = harness(
      [provider('test', 'bridge', { type: 'webhook', secretRef: { name: 'bridge' } })],
      { 'test/bridge': { address: `${base}/bridge`, 'hmac-key': ' k3y\n' } },
      { cluster: 'prod-eu' },
    );
    await h.dispatcher.notify(c, rolledBack(c), signal());
    const r = received[0]!;
    const ts = String(Math.floor(h.clock.t / 1000));
    expect(r.headers['x-tollgate-timestamp']).toBe(ts);
    const signed = `${ts}\n${String(r.headers['x-tollgate-nonce'])}\nPOST\n/bridge\n${r.body}`;
    expect(r.headers['x-tollgate-signature']).toBe(`v2=${createHmac('sha256', 'k3y').update(signed).digest('hex')}`);
    const body = JSON.parse(r.body) as Notification;
    expect(body).toEqual({
      ...rolledBack(c),
      cluster: 'prod-eu',
      fields: [
        { name: 'Target', value: 'Deployment/podinfo' },
        { name: 'Phase', value: 'Failed' },
        { name: 'Canary weight', value: '0%' },
        { name: 'Revision', value: '7c9d5f6b8' },
        { name: 'Failing metric', value: 'request-success-rate 97.5 < min 99' },
        { name: 'Cluster', value: 'prod-eu' },
      ],
    });
  });

  it("given a new revision, then Flagger's threshold and deadline facts are added", async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'hook' } }]);
    await harness([provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })]).dispatcher.notify(c, newRevision(c), signal());
    expect((JSON.parse(received[0]!.body) as Notification).fields).toEqual([
      { name: 'Target', value: 'Deployment/podinfo' },
      { name: 'Phase', value: 'Progressing' },
      { name: 'Canary weight', value: '0%' },
      { name: 'Revision', value: 'abc' },
      { name: 'Failed checks threshold', value: '5' },
      { name: 'Progress deadline', value: '600s' },
    ]);
  });

  it('given a template on the provider, then the text is rendered with the cluster', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'chat' } }]);
    const h = harness(
      [
        provider('test', 'chat', {
          type: 'rocket',
          address: `${base}/rocket`,
          template: '[{{ cluster }}] {{ canary }}: {{ metric }} {{ value }} ({{ threshold }})',
        }),
      ],
      {},
      { cluster: 'prod-eu' },
    );
    await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(JSON.parse(received[0]!.body).text).toBe('[prod-eu] podinfo: request-success-rate 97.5 (min 99)');
  });

  it('given an invalid template, then the default text is sent and one warning is logged for the provider', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'chat' } }]);
    const h = harness([provider('test', 'chat', { type: 'discord', address: `${base}/discord`, template: '{{ canary }} {{ bogus }}' })]);
    await h.dispatcher.notify(c, rolledBack(c), signal());
    await h.dispatcher.notify(c, newRevision(c), signal());
    expect(received.map((r) => JSON.parse(r.body).embeds[0].description)).toEqual([rolledBack(c).message, newRevision(c).message]);
    expect(h.logs.filter((l) => l.level === 40)).toHaveLength(1);
  });

  it('given two alerts naming the same provider, then it gets the notification once', async () => {
    const c = canaryWith([
      { name: 'everything', severity: 'info', providerRef: { name: 'hook' } },
      { name: 'errors', severity: 'error', providerRef: { name: 'hook', namespace: 'test' } },
    ]);
    const s = await harness([provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })]).dispatcher.notify(
      c,
      rolledBack(c),
      signal(),
    );
    expect(received).toHaveLength(1);
    expect(s.results.map((r) => r.outcome)).toEqual(['sent', 'duplicate']);
  });
});

describe('AlertDispatcher failures', () => {
  it('given every kind of failure, then notify resolves, the others are still sent, and one warning per failure names the provider and no secret', async () => {
    const c = canaryWith([
      { name: 'missing', providerRef: { name: 'ghost' } },
      { name: 'no-secret', providerRef: { name: 'needs-secret' } },
      { name: 'no-address', providerRef: { name: 'empty-secret' } },
      { name: 'refused', providerRef: { name: 'refuses' } },
      { name: 'unreachable', providerRef: { name: 'down' } },
      { name: 'invalid', providerRef: { name: 'bad-type' } },
      { name: 'ok', providerRef: { name: 'fine' } },
    ]);
    statusFor = { '/services/T1/B1/SECRETPATH': 500 };
    const h = harness(
      [
        provider('test', 'needs-secret', { type: 'slack', secretRef: { name: 'absent' } }),
        provider('test', 'empty-secret', { type: 'msteams', secretRef: { name: 'empty' } }),
        provider('test', 'refuses', { type: 'slack', secretRef: { name: 'slack' } }),
        provider('test', 'down', { type: 'gchat', address: 'http://127.0.0.1:1/v1/spaces/S/messages?key=KEY&token=TOKEN' }),
        provider('test', 'bad-type', { type: 'pagerduty', address: `${base}/pd` }),
        provider('test', 'fine', { type: 'webhook', address: `${base}/fine` }),
      ],
      { 'test/empty': { token: 'irrelevant' }, 'test/slack': { address: `${base}/services/T1/B1/SECRETPATH` } },
    );
    const s = await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(s.sent).toBe(1);
    expect(s.failed).toBe(6);
    expect(Object.fromEntries(s.results.map((r) => [r.alert, r.error ?? r.outcome]))).toEqual({
      missing: 'AlertProvider test/ghost not found',
      'no-secret': 'Secret test/absent not found',
      'no-address': 'no address: set spec.address, or the address key of Secret test/empty',
      refused: `${base} answered 500: nope`,
      unreachable: expect.stringMatching(/^http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/),
      invalid: 'spec.type "pagerduty" is not supported (supported: slack, msteams, discord, rocket, gchat, webhook)',
      ok: 'sent',
    });
    const warnings = h.logs.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(6);
    for (const w of warnings) {
      expect(w).toMatchObject({ canary: 'podinfo.test', reason: 'RolledBack' });
      expect(String(w.msg)).toMatch(/^alert not delivered through AlertProvider test\//);
    }
    const all = JSON.stringify(h.logs) + JSON.stringify(s);
    for (const secret of ['SECRETPATH', 'KEY', 'TOKEN', 'irrelevant']) expect(all).not.toContain(secret);
  });

  it('given a notifier factory that throws, then notify still resolves with a failure', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'hook' } }]);
    const h = harness(
      [provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })],
      {},
      {
        createNotifier: () => {
          throw new Error('boom');
        },
      },
    );
    await expect(h.dispatcher.notify(c, rolledBack(c), signal())).resolves.toMatchObject({
      failed: 1,
      results: [{ outcome: 'failed', error: 'boom' }],
    });
  });

  it('given a Secret read that fails otherwise, then the failure names the Secret', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'hook' } }]);
    const logger = pino({ level: 'silent' });
    const d = new AlertDispatcher({
      providers: lister([provider('test', 'hook', { type: 'webhook', secretRef: { name: 'creds' } })]),
      secrets: {
        read: async () => {
          throw new Error('connect ETIMEDOUT');
        },
      },
      logger,
      http: testHttp,
      now: () => 0,
      crossNamespaceRefs: 'opt-in',
    });
    expect((await d.notify(c, rolledBack(c), signal())).results[0]!.error).toBe('Secret test/creds: connect ETIMEDOUT');
  });
});

describe('AlertDispatcher de-duplication', () => {
  it('given the same notification again within 5 minutes, then it is not sent again; after 5 minutes it is', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'hook' } }]);
    const h = harness([provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })]);
    await h.dispatcher.notify(c, rolledBack(c), signal());
    h.clock.t += 60_000;
    const again = await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(again.results).toEqual([{ alert: 'a', provider: 'test/hook', outcome: 'duplicate' }]);
    h.clock.t += 4 * 60_000 - 1;
    await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(received).toHaveLength(1);
    h.clock.t += 1;
    await h.dispatcher.notify(c, rolledBack(c), signal());
    expect(received).toHaveLength(2);
  });

  it('given a different notification, or the same one about another Canary, then it is sent', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'hook' } }]);
    const other: Canary = { ...c, metadata: { name: 'backend', namespace: 'test', uid: 'u-2' } };
    const h = harness([provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })]);
    await h.dispatcher.notify(c, rolledBack(c), signal());
    await h.dispatcher.notify(c, { ...rolledBack(c), weight: 10 }, signal());
    await h.dispatcher.notify(c, waiting(c), signal());
    await h.dispatcher.notify(other, rolledBack(other), signal());
    expect(received).toHaveLength(4);
  });

  it('given a requeue loop failing to deliver, then the endpoint is tried once per window, not on every loop', async () => {
    const c = canaryWith([{ name: 'a', providerRef: { name: 'hook' } }]);
    statusFor = { '/hook': 503 };
    const h = harness([provider('test', 'hook', { type: 'webhook', address: `${base}/hook` })]);
    for (let i = 0; i < 5; i++) {
      await h.dispatcher.notify(c, rolledBack(c), signal());
      h.clock.t += 1000;
    }
    expect(received).toHaveLength(1);
    expect(h.logs.filter((l) => l.level === 40)).toHaveLength(1);
  });
});
