/**
 * Findings 4 and 5 of issue 12: a body pattern that backtracks for ever, and load without bounds. Each test
 * performs the attack and shows that the service stays responsive and generates nothing.
 */
import request from 'supertest';
import { localServer, post, task, testService, type TestService } from './helpers.js';

let svc: TestService;
beforeEach(() => {
  svc = testService();
});
afterEach(() => svc.shutdown(0));

describe('ReDoS through bodyPattern', () => {
  it('answers a catastrophic pattern at once while /healthz stays responsive', async () => {
    let asked!: () => void;
    const targetAsked = new Promise<void>((resolve) => (asked = resolve));
    const target = await localServer((_req, res) => {
      res.end(`${'a'.repeat(28)}!`);
      asked();
    });
    try {
      const started = Date.now();
      const check = post(svc, '/', task({ type: 'http', url: target.url, bodyPattern: '^(a+)+$' })).then((r) => r);
      await targetAsked;
      const probeStart = Date.now();
      const health = await request(svc.app).get('/healthz');
      const probeMs = Date.now() - probeStart;
      const res = await check;
      expect([health.status, probeMs < 1000]).toEqual([200, true]);
      expect(res.status).toBe(500);
      expect(res.body.message).toMatch(/^request 1\/1: body did not match/);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await target.close();
    }
  });

  it.each([
    ['(a)\\1', 'backreferences'],
    ['foo(?=bar)', 'lookahead'],
    ['(?<!x)y', 'lookbehind'],
    ['(.*a){1000}', 'too complex'],
  ])('refuses %j (%s) with 400 before any request', async (pattern, what) => {
    const target = await localServer((_req, res) => res.end('aaa'));
    try {
      const res = await post(svc, '/', task({ type: 'http', url: target.url, bodyPattern: pattern }));
      expect([res.status, res.body.error]).toEqual([400, 'invalid_metadata']);
      expect(res.body.problems[0]).toMatch(/^bodyPattern: /);
      expect(res.body.problems[0]).toContain(what === 'too complex' ? 'too complex' : 'RE2 syntax');
      expect(target.hits()).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe('load caps', () => {
  it('refuses 100,000 req/s x 1,000 connections for 1 h with 400 naming each cap, and sends nothing', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    try {
      const res = await post(
        svc,
        '/',
        task({ type: 'load', url: target.url, rate: '100000', concurrency: '1000', duration: '1h' }, { checksum: 'a' }),
      );
      expect([res.status, res.body.error]).toEqual([400, 'invalid_metadata']);
      expect(res.body.problems).toEqual([
        'rate: 100000 req/s is more than MAX_LOAD_RATE (1000 req/s)',
        'concurrency: 1000 is more than MAX_LOAD_CONCURRENCY (100)',
        'duration: 3600s is more than MAX_LOAD_DURATION (1800s)',
        'requests: 360000000 in all is more than MAX_LOAD_REQUESTS (1000000)',
      ]);
      expect(svc.runner.size).toBe(0);
      expect(target.hits()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('applies the settings, not only the defaults', async () => {
    const capped = testService({ loadLimits: { maxRate: 5, maxConcurrency: 2, maxDurationMs: 10_000, maxRequests: 20 } });
    try {
      const res = await post(capped, '/', task({ type: 'load', url: 'http://127.0.0.1:9/', rate: '5', duration: '5s', wait: 'true' }));
      expect(res.body.problems).toEqual(['requests: 25 in all is more than MAX_LOAD_REQUESTS (20)']);
    } finally {
      await capped.shutdown(0);
    }
  });

  it('holds hey to the same caps: -q is required, q x c, c, -z and the requests are bounded', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    try {
      const cases: [string, RegExp][] = [
        [`hey -z 1h -q 100 -c 1000 ${target.url}`, /MAX_LOAD_RATE.*MAX_LOAD_CONCURRENCY.*MAX_LOAD_DURATION.*MAX_LOAD_REQUESTS/],
        [`hey -c 2 -n 100000 ${target.url}`, /hey needs -q/],
        [`hey -q 0 -c 2 ${target.url}`, /hey needs -q/],
        [`hey -q 600 -c 2 -z 1s ${target.url}`, /rate: 1200 req\/s is more than MAX_LOAD_RATE/],
        [`hey -q 1 -c 1 -n 2000000 ${target.url}`, /MAX_LOAD_REQUESTS/],
        [`hey -q=1 -c=1 -z=31m ${target.url}`, /MAX_LOAD_DURATION/],
      ];
      for (const [cmd, message] of cases) {
        const res = await post(svc, '/', task({ cmd }, { checksum: 'a' }));
        expect([cmd, res.status, res.body.error]).toEqual([cmd, 400, 'argument_not_allowed']);
        expect(res.body.message).toMatch(message);
      }
      expect(svc.runner.size).toBe(0);
      expect(target.hits()).toBe(0);
      const fine = await post(svc, '/', task({ type: 'bash', cmd: `hey -n 4 -c 2 -q 10 ${target.url}` }));
      expect(fine.status).toBe(200);
      expect(target.hits()).toBe(4);
    } finally {
      await target.close();
    }
  });
});
