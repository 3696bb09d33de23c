import { describe, expect, it } from "vitest";
import type { EndpointAccess, RouteSource } from "./access.js";
import { CachedRouteSource, type RouteCacheResult } from "./route-cache.js";

const access = (endpointId: string, version = 1): EndpointAccess => ({
  endpointId,
  cu: 1,
  compute: null,
  pooler: null,
  managed: true,
  secret: null,
  allowedCidrs: [],
  version,
});

/** A scripted source: answers from a map, counts calls, can be made to fail or to hang. */
function fakeSource() {
  const answers = new Map<string, EndpointAccess | null>();
  let calls = 0;
  let failing: Error | null = null;
  let gate: Promise<void> | null = null;
  const source: RouteSource = {
    async lookup(endpointId) {
      calls++;
      if (gate) await gate;
      if (failing) throw failing;
      return answers.get(endpointId) ?? null;
    },
  };
  return {
    source,
    answers,
    calls: () => calls,
    fail: (e: Error | null) => (failing = e),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe("CachedRouteSource", () => {
  it("serves answers until their TTL, then asks again", async () => {
    let now = 0;
    const f = fakeSource();
    f.answers.set("ep-a-1", access("ep-a-1"));
    const results: RouteCacheResult[] = [];
    const cache = new CachedRouteSource(f.source, { ttlMs: 1000, now: () => now, onResult: (r) => results.push(r) });
    await cache.lookup("ep-a-1", "app");
    await cache.lookup("ep-a-1", "app");
    expect(f.calls()).toBe(1);
    now = 1001;
    await cache.lookup("ep-a-1", "app");
    expect(f.calls()).toBe(2);
    expect(results).toEqual(["miss", "hit", "miss"]);
  });

  it("keeps serving cached answers while the source is down, until their TTL", async () => {
    let now = 0;
    const f = fakeSource();
    f.answers.set("ep-a-1", access("ep-a-1"));
    const cache = new CachedRouteSource(f.source, { ttlMs: 1000, errorTtlMs: 100, now: () => now });
    await cache.lookup("ep-a-1", "app");
    f.fail(new Error("control plane down"));
    now = 900;
    expect(await cache.lookup("ep-a-1", "app")).toMatchObject({ endpointId: "ep-a-1" });
    now = 1001;
    await expect(cache.lookup("ep-a-1", "app")).rejects.toThrow("control plane down");
  });

  it("remembers unknown endpoints and errors briefly", async () => {
    let now = 0;
    const f = fakeSource();
    const cache = new CachedRouteSource(f.source, { negativeTtlMs: 50, errorTtlMs: 20, now: () => now });
    expect(await cache.lookup("ep-none-1", "app")).toBeNull();
    expect(await cache.lookup("ep-none-1", "app")).toBeNull();
    expect(f.calls()).toBe(1);
    now = 51;
    f.fail(new Error("boom"));
    await expect(cache.lookup("ep-none-1", "app")).rejects.toThrow("boom");
    await expect(cache.lookup("ep-none-1", "app")).rejects.toThrow("boom");
    expect(f.calls()).toBe(2);
  });

  it("asks the source once for many concurrent lookups of one key", async () => {
    const f = fakeSource();
    f.answers.set("ep-a-1", access("ep-a-1"));
    const release = f.hold();
    const cache = new CachedRouteSource(f.source);
    const all = Promise.all(Array.from({ length: 100 }, () => cache.lookup("ep-a-1", "app")));
    release();
    expect((await all).every((a) => a?.endpointId === "ep-a-1")).toBe(true);
    expect(f.calls()).toBe(1);
  });

  it("invalidation drops every role of the endpoint and discards a lookup already in flight", async () => {
    const f = fakeSource();
    f.answers.set("ep-a-1", access("ep-a-1", 1));
    const cache = new CachedRouteSource(f.source);
    await cache.lookup("ep-a-1", "app");
    await cache.lookup("ep-a-1", "other");
    const release = f.hold();
    const inflight = cache.lookup("ep-b-2", "app");
    cache.invalidateEndpoint("ep-a-1");
    cache.invalidateEndpoint("ep-b-2");
    release();
    await inflight;
    f.answers.set("ep-a-1", access("ep-a-1", 2));
    expect((await cache.lookup("ep-a-1", "app"))?.version).toBe(2);
    await cache.lookup("ep-b-2", "app");
    expect(f.calls()).toBe(5);
  });

  it("stays within its size bound, evicting the least recently used", async () => {
    const f = fakeSource();
    for (const id of ["ep-a-1", "ep-b-2", "ep-c-3"]) f.answers.set(id, access(id));
    const cache = new CachedRouteSource(f.source, { maxEntries: 2 });
    await cache.lookup("ep-a-1", "app");
    await cache.lookup("ep-b-2", "app");
    await cache.lookup("ep-a-1", "app"); // a is now the most recent
    await cache.lookup("ep-c-3", "app"); // evicts b
    expect(cache.size).toBe(2);
    await cache.lookup("ep-a-1", "app");
    expect(f.calls()).toBe(3);
    await cache.lookup("ep-b-2", "app");
    expect(f.calls()).toBe(4);
  });
});
