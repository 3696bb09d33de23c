export interface BucketRate {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Most tokens a bucket holds: how many may come at once after a quiet spell. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Keys tracked at once; the least recently used go first (a forgotten bucket is a full one). */
export const DEFAULT_MAX_BUCKETS = 100_000;

/**
 * Token buckets by key, in memory (one process): each take() costs a token; tokens come back
 * at `ratePerSecond` up to `burst`. Refilled lazily on use, so idle keys cost no timers.
 * Redis-backed limits use the same arithmetic in Lua (router/limits/connect-rate.ts).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    readonly rate: BucketRate,
    opts: { maxKeys?: number; now?: () => number } = {},
  ) {
    if (!(rate.ratePerSecond > 0) || !(rate.burst >= 1)) throw new Error("a token bucket needs a positive rate and a burst of at least 1");
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_BUCKETS;
    this.now = opts.now ?? Date.now;
  }

  /** Take one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.rate.burst, at: now };
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + ((now - bucket.at) * this.rate.ratePerSecond) / 1000);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return allowed;
  }

  get size(): number {
    return this.buckets.size;
  }
}
