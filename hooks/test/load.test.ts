import { runLoad } from '../src/load/generator.js';
import { LatencyHistogram } from '../src/load/histogram.js';
import { localServer } from './helpers.js';

describe('LatencyHistogram', () => {
  it('reads percentiles within 1% and keeps exact max and mean', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10);
    expect(h.total).toBe(1000);
    expect(Math.abs(h.percentile(0.5) - 50) / 50).toBeLessThan(0.01);
    expect(Math.abs(h.percentile(0.99) - 99) / 99).toBeLessThan(0.01);
    expect(h.max).toBe(100);
    expect(h.mean).toBeCloseTo(50.05, 5);
  });

  it('answers 0 without samples and never more than the max', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(0.99)).toBe(0);
    h.record(0.2);
    expect(h.percentile(1)).toBeLessThanOrEqual(0.2);
  });
});

describe('runLoad', () => {
  it('stops early when the signal aborts and reports what it did', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    try {
      const ac = new AbortController();
      const started = Date.now();
      const pending = runLoad({ url: target.url, rate: 50, durationMs: 30_000, concurrency: 2 }, ac.signal);
      setTimeout(() => ac.abort(), 300);
      const report = await pending;
      expect(Date.now() - started).toBeLessThan(2500);
      expect(report.requests).toBeGreaterThan(0);
      expect(report.latencyMs.p99).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });
});
