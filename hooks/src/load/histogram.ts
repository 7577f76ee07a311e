/** Buckets grow by 1% each, so a percentile read from a bucket is within about 0.5% of the true value. */
const LOG_STEP = Math.log(1.01);
const MIN_US = 1;

/** Latencies in logarithmic buckets of microseconds: constant memory over hours of load, ~1% precision. */
export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;

  record(ms: number): void {
    const us = Math.max(MIN_US, ms * 1000);
    const b = Math.floor(Math.log(us) / LOG_STEP);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    this.sumMs += ms;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  get total(): number {
    return this.count;
  }

  get max(): number {
    return this.maxMs;
  }

  get mean(): number {
    return this.count ? this.sumMs / this.count : 0;
  }

  /** The latency in ms below which a share p (0..1) of the samples fall; 0 without samples. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return Math.min(this.maxMs, Math.exp((b + 0.5) * LOG_STEP) / 1000);
    }
    return this.maxMs;
  }
}
