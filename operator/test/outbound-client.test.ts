import { formatBytes, OutboundError, redirectNote } from '../src/outbound/client.js';
import { clipRemoteText, Redactor } from '../src/outbound/redact.js';
import type { WebhookPayload } from '@tollgate/contract/payload';
import { HttpWebhookRunner } from '../src/webhooks/runner.js';
import { HostileServer, silent } from './fakes/hostile.js';
import { testHttp, webhookLimits } from './fakes/outbound.js';
import { signal } from './fakes/vendor-api.js';

const payload = { name: 'podinfo', namespace: 'test' } as unknown as WebhookPayload;

describe('Redactor', () => {
  it('given overlapping secrets, then the longest goes first and every occurrence is replaced', () => {
    const r = new Redactor(['abcd', 'abcdefgh']);
    expect(r.redact('x abcdefgh y abcd z abcdefgh')).toBe('x [redacted] y [redacted] z [redacted]');
  });

  it('given a value with a trailing newline (a Secret made from a file), then the trimmed value is redacted too', () => {
    expect(new Redactor(['s3cret-token\n']).redact('token s3cret-token rejected')).toBe('token [redacted] rejected');
  });

  it.each([[undefined], [''], ['abc']])('given %p, then nothing is redacted (too short to be told from ordinary words)', (v) => {
    expect(new Redactor([v]).redact('abc def')).toBe('abc def');
  });
});

describe('clipRemoteText', () => {
  it.each<[string, number, string]>([
    ['a\nb\r\nc\td', 100, 'a b c d'],
    ['\u001b[31mred\u001b[0m', 100, '[31mred [0m'],
    ['  padded  ', 100, 'padded'],
    ['x'.repeat(10), 4, 'xxxx…'],
    ['', 10, ''],
  ])('given %j and %p, then %j', (text, max, out) => {
    expect(clipRemoteText(text, max)).toBe(out);
  });
});

describe('formatBytes and redirectNote', () => {
  it.each<[number, string]>([
    [512, '512 bytes'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024, '1 MiB'],
    [64 * 1024 * 1024, '64 MiB'],
  ])('given %p bytes, then %p', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it.each<[number, string]>([
    [200, ''],
    [301, ' (redirects are not followed)'],
    [308, ' (redirects are not followed)'],
    [404, ''],
  ])('given status %p, then the note is %j', (status, note) => {
    expect(redirectNote(status)).toBe(note);
  });
});

describe('OutboundClient', () => {
  it.each([['data:application/json,{}'], ['file:///etc/passwd'], ['ftp://127.0.0.1/x']])(
    'given a webhook URL %p, then it is refused without being read',
    async (url) => {
      const r = await new HttpWebhookRunner(testHttp, webhookLimits).call({ name: 'gate', url }, payload, signal());
      expect(r).toEqual({ ok: false, message: 'gate: the address is not an http(s) URL' });
    },
  );

  it('given the caller aborts (a shutdown) during a call, then the error says so', async () => {
    const s = await new HostileServer(silent).start();
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const err = await testHttp.request({ url: s.address, signal: ac.signal, timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutboundError);
      expect(err).toMatchObject({ kind: 'deadline', message: 'request aborted' });
    } finally {
      await s.stop();
    }
  });

  it('given a proxy that is not an http(s) URL, then the request is refused', async () => {
    await expect(
      testHttp.request({ url: 'http://127.0.0.1:1/', proxy: 'socks5://127.0.0.1:1080', signal: signal(), timeoutMs: 1000 }),
    ).rejects.toMatchObject({ kind: 'refused', message: 'the proxy is not an http(s) URL' });
  });
});
