import type { Plan } from "../store/organizations.js";

export interface RateLimit {
  /** Requests per minute (sustained). */
  perMinute: number;
  /** Bucket size: how many requests may come at once. */
  burst: number;
}

/** Per API key, from the architecture's table (Free 60/min burst 100, Pro 600/min, Enterprise 6000/min). */
export const PLAN_RATE_LIMITS: Record<Plan, RateLimit> = {
  free: { perMinute: 60, burst: 100 },
  pro: { perMinute: 600, burst: 600 },
  enterprise: { perMinute: 6000, burst: 6000 },
};

/** Keys idle this long are forgotten (their bucket would be full again anyway). */
const IDLE_FORGET_MS = 10 * 60_000;

/**
 * Token buckets per API key, in this process's memory: with several replicas each enforces the
 * limit separately (the router issue's Redis would share them).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; updated: number }>();
  readonly #limits: Record<Plan, RateLimit>;
  readonly #now: () => number;

  constructor(limits: Record<Plan, RateLimit> = PLAN_RATE_LIMITS, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Take one token: 0 when allowed, else the seconds until one is available (for Retry-After). */
  take(keyId: string, plan: Plan): number {
    const limit = this.#limits[plan];
    const now = this.#now();
    const perMs = limit.perMinute / 60_000;
    const bucket = this.#buckets.get(keyId) ?? { tokens: limit.burst, updated: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.updated) * perMs);
    bucket.updated = now;
    this.#buckets.set(keyId, bucket);
    if (this.#buckets.size > 10_000) this.#sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }

  #sweep(now: number): void {
    for (const [id, b] of this.#buckets) if (now - b.updated > IDLE_FORGET_MS) this.#buckets.delete(id);
  }
}
