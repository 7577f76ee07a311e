import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotifier, UnknownAlertProviderError } from '../src/alerts/factory.js';
import { builtinProxySupported } from '../src/alerts/http.js';
import { AlertDeliveryError, type Notification, type NotifierConfig } from '../src/alerts/notifier.js';
import { testHttp } from './fakes/outbound.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local receiver: records every request and answers with the next answer (the last one repeats). */
function captureServer() {
  const state = {
    received: [] as Received[],
    answers: [{ status: 200, body: 'ok' }] as { status: number; body?: string; delayMs?: number }[],
    base: '',
    server: undefined as unknown as http.Server,
  };
  state.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      state.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const a = state.answers.length > 1 ? state.answers.shift()! : state.answers[0]!;
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(a.status, { 'content-type': 'text/plain' });
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  return state;
}

const rx = captureServer();
const proxy = captureServer();
const signal = (): AbortSignal => new AbortController().signal;

beforeAll(async () => {
  for (const s of [rx, proxy]) {
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.base = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  }
});

afterAll(async () => {
  for (const s of [rx, proxy]) {
    s.server.closeAllConnections();
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
  }
});

beforeEach(() => {
  for (const s of [rx, proxy]) {
    s.received = [];
    s.answers = [{ status: 200, body: 'ok' }];
  }
});

const fields = [
  { name: 'Target', value: 'Deployment/podinfo' },
  { name: 'Phase', value: 'Failed' },
  { name: 'Canary weight', value: '0%' },
  { name: 'Revision', value: '7c9d5f6b8' },
  { name: 'Failing metric', value: 'request-success-rate 97.5 < min 99' },
  { name: 'Cluster', value: 'prod-eu' },
];

const rollback: Notification = {
  canary: { name: 'podinfo', namespace: 'test' },
  severity: 'error',
  reason: 'RolledBack',
  message: 'Canary analysis failed, rolled back (failed checks threshold reached 5/5): request-success-rate 97.5 < min 99',
  phase: 'Failed',
  weight: 0,
  revision: '7c9d5f6b8',
  failingMetric: { name: 'request-success-rate', value: 97.5, min: 99, reason: 'BelowMin' },
  cluster: 'prod-eu',
  fields,
};

const cfg = (c: Partial<NotifierConfig> & Pick<NotifierConfig, 'type'>): NotifierConfig => ({ address: `${rx.base}/hook`, ...c });
const only = (): Received => {
  expect(rx.received).toHaveLength(1);
  const r = rx.received[0]!;
  expect(r.method).toBe('POST');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  return r;
};
const json = (r: Received): unknown => JSON.parse(r.body);

describe('slack', () => {
  it('given an incoming webhook, then text, channel, username and a coloured attachment with Block Kit fields are posted', async () => {
    await createNotifier(cfg({ type: 'slack', channel: '#deploys', username: 'canary-bot' }), { http: testHttp }).post(rollback, signal());
    const r = only();
    expect(r.url).toBe('/hook');
    expect(r.headers.authorization).toBeUndefined();
    expect(json(r)).toEqual({
      channel: '#deploys',
      username: 'canary-bot',
      text: 'Canary analysis failed, rolled back (failed checks threshold reached 5/5): request-success-rate 97.5 &lt; min 99',
      attachments: [
        {
          color: '#a30200',
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: '*podinfo.test*' } },
            {
              type: 'section',
              fields: [
                { type: 'mrkdwn', text: '*Target*\nDeployment/podinfo' },
                { type: 'mrkdwn', text: '*Phase*\nFailed' },
                { type: 'mrkdwn', text: '*Canary weight*\n0%' },
                { type: 'mrkdwn', text: '*Revision*\n7c9d5f6b8' },
                { type: 'mrkdwn', text: '*Failing metric*\nrequest-success-rate 97.5 &lt; min 99' },
                { type: 'mrkdwn', text: '*Cluster*\nprod-eu' },
              ],
            },
          ],
        },
      ],
    });
  });

  it('given no channel and no username, then no channel is sent (the webhook has its own) and the username is tollgate', async () => {
    await createNotifier(cfg({ type: 'slack' }), { http: testHttp }).post({ ...rollback, severity: 'info', fields: [] }, signal());
    const body = json(only()) as Record<string, any>;
    expect(body.channel).toBeUndefined();
    expect(body.username).toBe('tollgate');
    expect(body.attachments[0].color).toBe('#2eb886');
    expect(body.attachments[0].blocks).toHaveLength(1);
  });

  it('given a token, then chat.postMessage is called with Bearer auth and the default channel general', async () => {
    rx.answers = [{ status: 200, body: '{"ok":true,"channel":"C1","ts":"1.2"}' }];
    await createNotifier(cfg({ type: 'slack', token: 'xoxb-1-2-3', address: `${rx.base}/api/chat.postMessage` }), { http: testHttp }).post(
      rollback,
      signal(),
    );
    const r = only();
    expect(r.url).toBe('/api/chat.postMessage');
    expect(r.headers.authorization).toBe('Bearer xoxb-1-2-3');
    expect(json(r)).toMatchObject({ channel: 'general', username: 'tollgate' });
  });

  it("given a token and an answer ok=false, then the post fails with Slack's error and without the token", async () => {
    rx.answers = [{ status: 200, body: '{"ok":false,"error":"channel_not_found"}' }];
    const err = await createNotifier(cfg({ type: 'slack', token: 'xoxb-secret-token', channel: 'nope' }), { http: testHttp })
      .post(rollback, signal())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertDeliveryError);
    expect((err as Error).message).toBe(`${rx.base} refused the message: channel_not_found`);
    expect((err as Error).message).not.toContain('xoxb');
  });

  it('given a template with Slack markup, then the markup is kept and only the values are escaped', async () => {
    const n = { ...rollback, message: 'a <b> & c' };
    await createNotifier(cfg({ type: 'slack', template: '<!here> {{ canary }} in {{ cluster }}: {{ message }}' }), { http: testHttp }).post(
      n,
      signal(),
    );
    expect((json(only()) as { text: string }).text).toBe('<!here> podinfo in prod-eu: a &lt;b&gt; &amp; c');
  });
});

describe('msteams', () => {
  it('given a Workflows webhook, then an Adaptive Card 1.4 in a message envelope is posted', async () => {
    rx.answers = [{ status: 202 }];
    await createNotifier(cfg({ type: 'msteams', channel: 'ignored', username: 'ignored' }), { http: testHttp }).post(rollback, signal());
    expect(json(only())).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
            body: [
              { type: 'TextBlock', text: 'podinfo.test', weight: 'Bolder', size: 'Medium', color: 'Attention', wrap: true },
              { type: 'TextBlock', text: rollback.message, wrap: true },
              { type: 'FactSet', facts: fields.map((f) => ({ title: f.name, value: f.value })) },
            ],
          },
        },
      ],
    });
  });

  it.each([
    ['info', 'Good'],
    ['warn', 'Warning'],
    ['error', 'Attention'],
  ] as const)('given severity %s, then the title colour is %s', async (severity, color) => {
    await createNotifier(cfg({ type: 'msteams' }), { http: testHttp }).post({ ...rollback, severity, fields: [] }, signal());
    const body = json(only()) as any;
    expect(body.attachments[0].content.body[0].color).toBe(color);
    expect(body.attachments[0].content.body).toHaveLength(2);
  });
});

describe('discord', () => {
  it('given a webhook, then one embed with title, description, colour and inline fields is posted', async () => {
    rx.answers = [{ status: 204 }];
    await createNotifier(cfg({ type: 'discord', channel: 'ignored' }), { http: testHttp }).post(rollback, signal());
    expect(json(only())).toEqual({
      username: 'tollgate',
      embeds: [
        {
          title: 'podinfo.test',
          description: rollback.message,
          color: 0xa30200,
          fields: fields.map((f) => ({ name: f.name, value: f.value, inline: true })),
        },
      ],
    });
  });

  it('given a Flagger-style address ending in /slack, then the native endpoint gets the embed', async () => {
    await createNotifier(cfg({ type: 'discord', address: `${rx.base}/api/webhooks/1/abc/slack?wait=true` }), { http: testHttp }).post(
      rollback,
      signal(),
    );
    expect(only().url).toBe('/api/webhooks/1/abc?wait=true');
  });

  it("given a long message, then the embed stays within Discord's limits", async () => {
    await createNotifier(cfg({ type: 'discord' }), { http: testHttp }).post({ ...rollback, message: 'x'.repeat(10_000) }, signal());
    const embed = (json(only()) as any).embeds[0];
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    expect(embed.description.endsWith('…')).toBe(true);
  });
});

describe('gchat', () => {
  it('given a space webhook, then the text and a cardsV2 card with a header and one widget per field are posted', async () => {
    await createNotifier(cfg({ type: 'gchat' }), { http: testHttp }).post(
      { ...rollback, fields: [...fields, { name: 'Note', value: '<b>&' }] },
      signal(),
    );
    expect(json(only())).toEqual({
      text: rollback.message,
      cardsV2: [
        {
          cardId: 'tollgate-alert',
          card: {
            header: { title: 'podinfo.test', subtitle: 'RolledBack (error)' },
            sections: [
              {
                widgets: [
                  ...fields.map((f) => ({ decoratedText: { topLabel: f.name, text: f.value.replace('<', '&lt;') } })),
                  { decoratedText: { topLabel: 'Note', text: '&lt;b&gt;&amp;' } },
                ],
              },
            ],
          },
        },
      ],
    });
  });
});

describe('rocket', () => {
  it('given an incoming webhook, then alias, channel (with its #), text and a Slack-style attachment are posted', async () => {
    await createNotifier(cfg({ type: 'rocket', channel: 'deploys', username: 'canary-bot' }), { http: testHttp }).post(rollback, signal());
    expect(json(only())).toEqual({
      alias: 'canary-bot',
      channel: '#deploys',
      text: rollback.message,
      attachments: [
        {
          title: 'podinfo.test',
          color: '#a30200',
          fields: fields.map((f) => ({ title: f.name, value: f.value, short: true })),
        },
      ],
    });
  });

  it.each([
    ['@oncall', '@oncall'],
    ['#ops', '#ops'],
  ])('given channel %s, then it is sent as %s', async (channel, sent) => {
    await createNotifier(cfg({ type: 'rocket', channel }), { http: testHttp }).post(rollback, signal());
    expect((json(only()) as { channel: string }).channel).toBe(sent);
  });
});

describe('webhook', () => {
  it('given no key, then the Notification itself is posted as JSON, unsigned', async () => {
    await createNotifier(cfg({ type: 'webhook' }), { http: testHttp }).post(rollback, signal());
    const r = only();
    expect(json(r)).toEqual(rollback);
    expect(r.headers['x-tollgate-signature']).toBeUndefined();
  });

  it('given an hmac-key, then the request is signed as the operator signs webhook calls (method, path, timestamp, nonce, body)', async () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    await createNotifier(cfg({ type: 'webhook', hmacKey: 's3cret' }), { http: testHttp, now: () => now }).post(rollback, signal());
    const r = only();
    const ts = String(Math.floor(now / 1000));
    expect(r.headers['x-tollgate-timestamp']).toBe(ts);
    expect(r.url).toBe('/hook');
    const signed = `${ts}\n${String(r.headers['x-tollgate-nonce'])}\nPOST\n/hook\n${r.body}`;
    expect(r.headers['x-tollgate-signature']).toBe(`v2=${createHmac('sha256', 's3cret').update(signed).digest('hex')}`);
    expect(r.body).not.toContain('s3cret');
  });

  it('given a token and a template, then a Bearer header is sent and message is the rendered template', async () => {
    await createNotifier(cfg({ type: 'webhook', token: 't0k', template: '[{{ cluster }}] {{ canary }}.{{ namespace }} {{ reason }}' }), {
      http: testHttp,
    }).post(rollback, signal());
    const r = only();
    expect(r.headers.authorization).toBe('Bearer t0k');
    expect(json(r)).toEqual({ ...rollback, message: '[prod-eu] podinfo.test RolledBack' });
  });
});

describe('delivery failures', () => {
  it('given a 404 whose body quotes the path, then the error names the host and status, never the path', async () => {
    rx.answers = [{ status: 404, body: 'no_service for /services/T0/B0/SECRETPATH' }];
    const err = await createNotifier(cfg({ type: 'slack', address: `${rx.base}/services/T0/B0/SECRETPATH` }), { http: testHttp })
      .post(rollback, signal())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertDeliveryError);
    expect((err as AlertDeliveryError).status).toBe(404);
    expect((err as Error).message).toBe(`${rx.base} answered 404: no_service for <path>`);
  });

  it('given a receiver slower than the timeout, then the post fails with a timeout', async () => {
    rx.answers = [{ status: 200, delayMs: 1000 }];
    await expect(createNotifier(cfg({ type: 'discord' }), { http: testHttp, timeoutMs: 50 }).post(rollback, signal())).rejects.toThrow(
      /no complete answer within 50ms/,
    );
  });

  it('given a connection refused, then the post fails naming only the host', async () => {
    const err = await createNotifier(cfg({ type: 'gchat', address: 'http://127.0.0.1:1/v1/spaces/AAA/messages?key=K&token=T' }), {
      http: testHttp,
    })
      .post(rollback, signal())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertDeliveryError);
    expect((err as Error).message).toMatch(/^http:\/\/127\.0\.0\.1:1: /);
    expect((err as Error).message).not.toMatch(/token=T|AAA/);
  });

  it.each([['ftp://secret@host/x'], ['not a url /secret']])(
    'given the address %p, which is not an http(s) URL, then the client refuses the post and it is not quoted',
    async (address) => {
      const err = await createNotifier(cfg({ type: 'rocket', address }), { http: testHttp })
        .post(rollback, signal())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlertDeliveryError);
      expect((err as Error).message).toBe('the address is not an http(s) URL');
    },
  );
});

describe('proxy', () => {
  it('given spec.proxy, then the request goes through the proxy (absolute-form for http)', async () => {
    expect(builtinProxySupported()).toBe(true);
    await createNotifier(cfg({ type: 'webhook', address: 'http://alerts.example.invalid/in', proxy: proxy.base }), { http: testHttp }).post(
      rollback,
      signal(),
    );
    expect(rx.received).toHaveLength(0);
    expect(proxy.received).toHaveLength(1);
    expect(proxy.received[0]!.url).toBe('http://alerts.example.invalid/in');
    expect(JSON.parse(proxy.received[0]!.body)).toEqual(rollback);
  });

  it('given spec.proxy and an https address, then the proxy is asked for a CONNECT tunnel to the receiver', async () => {
    const tunnels: string[] = [];
    const onConnect = (req: http.IncomingMessage, socket: import('node:stream').Duplex): void => {
      tunnels.push(req.url ?? '');
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    };
    proxy.server.on('connect', onConnect);
    try {
      const err = await createNotifier(
        cfg({ type: 'slack', address: 'https://hooks.example.invalid/services/T/B/SECRET', proxy: proxy.base }),
        { http: testHttp },
      )
        .post(rollback, signal())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlertDeliveryError);
      expect((err as Error).message).not.toContain('SECRET');
      expect(tunnels).toEqual(['hooks.example.invalid:443']);
      expect(proxy.received).toHaveLength(0);
    } finally {
      proxy.server.off('connect', onConnect);
    }
  });

  it.each([
    ['22.19.0', false],
    ['22.21.0', true],
    ['23.11.0', false],
    ['24.4.1', false],
    ['24.5.0', true],
    ['26.0.0', true],
  ])('given Node %s, then built-in proxy support is %p', (version, ok) => {
    expect(builtinProxySupported(version)).toBe(ok);
  });
});

describe('createNotifier', () => {
  it.each(['slack', 'msteams', 'discord', 'gchat', 'rocket', 'webhook'])('given type %s, then a notifier of that type is made', (type) => {
    expect(createNotifier(cfg({ type }), { http: testHttp }).type).toBe(type);
  });

  it.each(['pagerduty', '', 'Slack', 'toString', '__proto__'])(
    'given type %p, then a typed error is thrown and nothing falls back',
    (type) => {
      expect(() => createNotifier(cfg({ type }), { http: testHttp })).toThrow(UnknownAlertProviderError);
    },
  );
});
