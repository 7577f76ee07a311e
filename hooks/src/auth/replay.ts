/** What remembering a signature found. */
export type Remembered = 'new' | 'seen' | 'full';

/** The default bound: at 100 000 entries of ~150 bytes, about 15 MB; 333 signed requests a second over 300 s. */
const DEFAULT_MAX_SIGNATURES = 100_000;

/**
 * The signatures accepted while they could still be accepted again (until their timestamp leaves the window):
 * a signature seen before is a replay. Bounded: when it is full of unexpired signatures, new signed requests
 * are refused (fail closed) rather than forgetting one that could then be replayed. In memory, per process: a
 * replay sent to another replica within the window is not caught (hooks/README.md).
 */
export class ReplayCache {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly maxEntries = DEFAULT_MAX_SIGNATURES) {}

  get size(): number {
    return this.expiries.size;
  }

  /** Records a signature accepted at nowSeconds that is valid until expiresAtSeconds. */
  remember(signature: string, expiresAtSeconds: number, nowSeconds: number): Remembered {
    const known = this.expiries.get(signature);
    if (known !== undefined && known >= nowSeconds) return 'seen';
    this.dropOldest(nowSeconds);
    if (this.expiries.size >= this.maxEntries) this.sweep(nowSeconds);
    if (this.expiries.size >= this.maxEntries) return 'full';
    this.expiries.set(signature, expiresAtSeconds);
    return 'new';
  }

  /** Entries come in roughly in time order: drop expired ones from the front (cheap, every call). */
  private dropOldest(nowSeconds: number): void {
    for (const [signature, expires] of this.expiries) {
      if (expires >= nowSeconds) return;
      this.expiries.delete(signature);
    }
  }

  /** Drops every expired entry (when full: timestamps up to the window apart can interleave). */
  private sweep(nowSeconds: number): void {
    for (const [signature, expires] of this.expiries) {
      if (expires < nowSeconds) this.expiries.delete(signature);
    }
  }
}
