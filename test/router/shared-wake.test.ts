import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEphemeralRedis, type EphemeralRedis } from "../../common/ephemeral-redis.js";
import { redisKeys } from "../../common/redis-contract.js";
import type { ComputeWaker, WakeResult } from "../../router/compute-waker.js";
import { RouterError } from "../../router/errors.js";
import { SharedRedis } from "../../router/redis/shared-redis.js";
import { SharedWaker } from "../../router/shared-wake.js";

const log = pino({ level: "silent" });
const LOCK_TTL_MS = 600;

/** A scheduler stand-in that counts Wakes; each takes `delayMs` and answers `port`, or fails. */
function fakeScheduler(port: number, opts: { delayMs?: number; fail?: boolean } = {}) {
  let calls = 0;
  const waker: ComputeWaker = {
    async wake(): Promise<WakeResult> {
      calls++;
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 50));
      if (opts.fail) throw new RouterError("compute_unavailable", "scheduler said no");
      return { address: { host: "127.0.0.1", port }, coldStart: true, startupMs: opts.delayMs ?? 50 };
    },
  };
  return { waker, calls: () => calls };
}

/** The wake lock with a real Redis and scripted schedulers: one Wake among replicas, a dead or failing holder. */
describe("SharedWaker", () => {
  let redis: EphemeralRedis;
  const connections: SharedRedis[] = [];
  let probe: Redis;
  let n = 0;

  beforeAll(async () => {
    redis = await startEphemeralRedis();
    probe = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const c of connections) await c.close();
    probe?.disconnect();
    await redis?.stop();
  });

  /** One "replica": its own Redis connections, its own scheduler stand-in. */
  async function replica(inner: ComputeWaker): Promise<SharedWaker> {
    const shared = new SharedRedis({ url: redis.url, commandTimeoutMs: 500, connectTimeoutMs: 1_000, log });
    connections.push(shared);
    expect(await shared.waitReady(5_000)).toBe(true);
    return new SharedWaker(inner, { redis: shared, lockTtlMs: LOCK_TTL_MS, addressTtlMs: 60_000, log });
  }
  const fresh = () => `ep-wake-${++n}`;

  it("concurrent wakes on three replicas: one Wake, every caller gets its address", async () => {
    const schedulers = [fakeScheduler(5001, { delayMs: 200 }), fakeScheduler(5001, { delayMs: 200 }), fakeScheduler(5001, { delayMs: 200 })];
    const wakers = await Promise.all(schedulers.map((s) => replica(s.waker)));
    const endpoint = fresh();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => wakers[i % 3]!.wake(endpoint, { deadlineMs: 5_000 })));
    expect(schedulers.reduce((sum, s) => sum + s.calls(), 0)).toBe(1);
    expect(new Set(results.map((r) => r.address.port))).toEqual(new Set([5001]));
    // The published address spares the next wake on any replica, until a fresh one is asked for.
    await wakers[1]!.wake(endpoint, { deadlineMs: 5_000 });
    expect(schedulers.reduce((sum, s) => sum + s.calls(), 0)).toBe(1);
    await wakers[1]!.wake(endpoint, { deadlineMs: 5_000, fresh: true });
    expect(schedulers[1]!.calls()).toBe(1);
  });

  it("a lock left by a crashed holder blocks others only until its TTL", async () => {
    const s = fakeScheduler(5002);
    const waker = await replica(s.waker);
    const endpoint = fresh();
    await probe.set(redisKeys.wakeLock(endpoint), "token-of-a-dead-replica", "PX", LOCK_TTL_MS);
    const result = await waker.wake(endpoint, { deadlineMs: 5_000 });
    expect(result.address.port).toBe(5002);
    expect(s.calls()).toBe(1);
  });

  it("when the holder's Wake fails, a waiting replica takes the lock and wakes itself", async () => {
    const failing = fakeScheduler(5003, { delayMs: 200, fail: true });
    const working = fakeScheduler(5003);
    const [first, second] = [await replica(failing.waker), await replica(working.waker)];
    const endpoint = fresh();
    const holder = first.wake(endpoint, { deadlineMs: 5_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const waiter = await second.wake(endpoint, { deadlineMs: 5_000 });
    expect(await holder).toBeInstanceOf(RouterError);
    expect(waiter.address.port).toBe(5003);
    expect([failing.calls(), working.calls()]).toEqual([1, 1]);
  });

  it("a waiter gives up at its deadline with a compute_unavailable error", async () => {
    const waker = await replica(fakeScheduler(5004).waker);
    const endpoint = fresh();
    // A live holder that never publishes: it keeps renewing its lock.
    await probe.set(redisKeys.wakeLock(endpoint), "busy-holder", "PX", 60_000);
    await expect(waker.wake(endpoint, { deadlineMs: 300 })).rejects.toMatchObject({ code: "compute_unavailable" });
  });
});
