import { describe, expect, it } from "vitest";
import { TokenBuckets } from "../../router/token-bucket.js";

describe("token buckets", () => {
  it("allow a burst, then the rate, per key", () => {
    let now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 }, { now: () => now });
    expect([1, 2, 3, 4].map(() => buckets.take("a"))).toEqual([true, true, true, false]);
    expect(buckets.take("b")).toBe(true);
    now += 499;
    expect(buckets.take("a")).toBe(false);
    now += 1;
    expect(buckets.take("a")).toBe(true);
    expect(buckets.take("a")).toBe(false);
    // A quiet spell refills up to the burst, not beyond it.
    now += 60_000;
    expect([1, 2, 3, 4].map(() => buckets.take("a"))).toEqual([true, true, true, false]);
  });

  it("keep at most maxKeys buckets, forgetting the least recently used (a forgotten bucket is full)", () => {
    const now = 0;
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1 }, { now: () => now, maxKeys: 2 });
    expect(buckets.take("a")).toBe(true);
    expect(buckets.take("b")).toBe(true);
    expect(buckets.take("a")).toBe(false);
    expect(buckets.take("c")).toBe(true);
    expect(buckets.size).toBe(2);
    // "b" was the least recently used: forgotten, so full again.
    expect(buckets.take("b")).toBe(true);
    expect(buckets.take("a")).toBe(true);
  });

  it("refuse a bucket that could never hold a token", () => {
    expect(() => new TokenBuckets({ ratePerSecond: 0, burst: 1 })).toThrow(/positive rate/);
    expect(() => new TokenBuckets({ ratePerSecond: 1, burst: 0.5 })).toThrow(/burst of at least 1/);
  });
});
