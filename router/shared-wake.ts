import { randomUUID } from "node:crypto";
import type { Logger } from "../common/log.js";
import { REDIS_CHANNELS, REDIS_RECORD_VERSION, redisKeys, type ComputeWokenMessage } from "../common/redis-contract.js";
import type { ComputeWaker, WakeOptions, WakeResult } from "./compute-waker.js";
import { RouterError } from "./errors.js";
import { RedisScript } from "./redis/script.js";
import type { SharedRedis } from "./redis/shared-redis.js";
import { RENEWALS_PER_TTL } from "./settings.js";
import { waitWithin } from "../common/wait-within.js";

/** A waiting replica looks at the lock and the published address at least this often (messages usually come first). */
export const WAKE_POLL_INTERVAL_MS = 100;

/** The holder's finish, atomic: publish the address, tell the waiters, let go of the lock. KEYS: compute, lock. ARGV: message, TTL ms, channel, token. */
const PUBLISH_WAKE = new RedisScript(
  "publish_wake",
  `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return 1
`,
);
/** KEYS: lock. ARGV: token. Only the holder may release. */
const RELEASE_LOCK = new RedisScript("release_wake_lock", `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);
/** KEYS: lock. ARGV: token, TTL ms. Only the holder may renew. */
const RENEW_LOCK = new RedisScript("renew_wake_lock", `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`);

export interface SharedWakerOptions {
  redis: SharedRedis;
  lockTtlMs: number;
  addressTtlMs: number;
  log: Logger;
}

type Waited = { kind: "woken"; message: ComputeWokenMessage } | { kind: "lock_released" } | { kind: "redis_unavailable" } | { kind: "timeout" };

/** Used when a caller gives no deadline (the proxy always does: what is left of its handshake). */
const DEFAULT_WAKE_DEADLINE_MS = 15_000;

/**
 * Single-flight wake across replicas (DESIGN.md step 6): concurrent connects to a cold endpoint
 * on any number of replicas cause one scheduler Wake. The replica that takes the endpoint's wake
 * lock (SET NX with a TTL it renews while waking, so a crashed holder blocks nobody for longer
 * than the TTL) calls the scheduler and publishes the address; the others wait for that
 * publication within their deadline, and try the lock themselves if it is released without one.
 * The published address also spares warm endpoints a Wake per replica. Within a replica,
 * concurrent callers share one flight. Without Redis, each replica wakes on its own.
 */
export class SharedWaker implements ComputeWaker {
  private readonly flights = new Map<string, Promise<WakeResult>>();
  private readonly waiters = new Map<string, Set<(m: ComputeWokenMessage) => void>>();

  constructor(
    private readonly inner: ComputeWaker,
    private readonly opts: SharedWakerOptions,
  ) {
    opts.redis.subscribe(REDIS_CHANNELS.computeWoken, (text) => {
      const m = parseWoken(text);
      if (m) for (const w of this.waiters.get(m.endpoint_id) ?? []) w(m);
    });
  }

  wake(endpointId: string, opts: WakeOptions = {}): Promise<WakeResult> {
    const deadlineMs = opts.deadlineMs ?? DEFAULT_WAKE_DEADLINE_MS;
    const key = opts.fresh ? `${endpointId} fresh` : endpointId;
    let flight = this.flights.get(key);
    if (!flight) {
      // The shared flight runs with the first caller's deadline and no signal (others may still
      // want it); each caller waits on it within its own deadline and signal.
      flight = this.wakeAcrossReplicas(endpointId, deadlineMs, opts.fresh === true).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return waitWithin(flight, deadlineMs, opts.signal, {
      timeout: () => notStarted(endpointId, `waited ${deadlineMs} ms for the wake`),
      abandoned: () => new RouterError("compute_unavailable", "connection abandoned while the compute was being woken", "the client went away"),
    });
  }

  /** The published address failed to connect: make the next connect on any replica wake again. */
  forget(endpointId: string): void {
    void this.opts.redis.run("wake", (c) => c.del(redisKeys.computeAddress(endpointId)));
  }

  private async wakeAcrossReplicas(endpointId: string, deadlineMs: number, fresh: boolean): Promise<WakeResult> {
    const redis = this.opts.redis;
    const deadlineAt = Date.now() + deadlineMs;
    const alone = () => this.inner.wake(endpointId, { deadlineMs: Math.max(1, deadlineAt - Date.now()) });
    const seen = await redis.run("wake", (c) => c.get(redisKeys.computeAddress(endpointId)));
    if (!seen.ok) return alone();
    const before = seen.value === null ? null : parseWoken(seen.value);
    // Published by an earlier wake: nothing is being started now, so no cold start to announce.
    if (before && !fresh) return { ...fromMessage(before), coldStart: false };
    for (;;) {
      const token = randomUUID();
      const lock = await redis.run("wake", (c) => c.set(redisKeys.wakeLock(endpointId), token, "PX", this.opts.lockTtlMs, "NX"));
      if (!lock.ok) return alone();
      if (lock.value === "OK") return this.wakeHoldingLock(endpointId, token, deadlineAt);
      this.opts.log.debug({ endpoint: endpointId }, "another replica is waking the compute; waiting for its address");
      const waited = await this.waitForOtherReplica(endpointId, before?.wake_id ?? null, deadlineAt);
      switch (waited.kind) {
        case "woken":
          this.opts.log.info({ endpoint: endpointId, cold_start: waited.message.cold_start }, "compute woken by another replica");
          return fromMessage(waited.message);
        case "redis_unavailable":
          return alone();
        case "timeout":
          throw notStarted(endpointId, "the replica holding the wake lock did not publish an address in time");
        case "lock_released":
          this.opts.log.info({ endpoint: endpointId }, "wake lock released without an address (its holder failed or died); trying to wake here");
      }
    }
  }

  private async wakeHoldingLock(endpointId: string, token: string, deadlineAt: number): Promise<WakeResult> {
    const redis = this.opts.redis;
    const lockKey = redisKeys.wakeLock(endpointId);
    const renew = setInterval(
      () => void redis.run("wake", (c) => RENEW_LOCK.run(c, [lockKey], [token, this.opts.lockTtlMs])),
      Math.max(1, Math.floor(this.opts.lockTtlMs / RENEWALS_PER_TTL)),
    );
    try {
      const result = await this.inner.wake(endpointId, { deadlineMs: Math.max(1, deadlineAt - Date.now()) });
      const message: ComputeWokenMessage = {
        v: REDIS_RECORD_VERSION,
        endpoint_id: endpointId,
        host: result.address.host,
        port: result.address.port,
        cold_start: result.coldStart,
        wake_id: randomUUID(),
      };
      const keys = [redisKeys.computeAddress(endpointId), lockKey];
      await redis.run("wake", (c) => PUBLISH_WAKE.run(c, keys, [JSON.stringify(message), this.opts.addressTtlMs, REDIS_CHANNELS.computeWoken, token]));
      return result;
    } catch (err) {
      await redis.run("wake", (c) => RELEASE_LOCK.run(c, [lockKey], [token]));
      throw err;
    } finally {
      clearInterval(renew);
    }
  }

  /** Until a new address is published, the lock is let go, Redis fails, or the deadline passes. */
  private waitForOtherReplica(endpointId: string, seenWakeId: string | null, deadlineAt: number): Promise<Waited> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      let done = false;
      const listeners = this.waiters.get(endpointId) ?? new Set();
      this.waiters.set(endpointId, listeners);
      const finish = (w: Waited) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        listeners.delete(onMessage);
        if (listeners.size === 0) this.waiters.delete(endpointId);
        resolve(w);
      };
      const isNew = (m: ComputeWokenMessage | null): m is ComputeWokenMessage => m !== null && m.wake_id !== seenWakeId;
      const onMessage = (m: ComputeWokenMessage) => {
        if (isNew(m)) finish({ kind: "woken", message: m });
      };
      const poll = async () => {
        if (done) return;
        if (Date.now() >= deadlineAt) return finish({ kind: "timeout" });
        const r = await this.opts.redis.run("wake", (c) => c.mget(redisKeys.computeAddress(endpointId), redisKeys.wakeLock(endpointId)));
        if (!r.ok) return finish({ kind: "redis_unavailable" });
        const [address, lock] = r.value;
        const published = address ? parseWoken(address) : null;
        if (isNew(published)) return finish({ kind: "woken", message: published });
        if (lock === null) return finish({ kind: "lock_released" });
        if (!done) timer = setTimeout(() => void poll(), Math.max(1, Math.min(WAKE_POLL_INTERVAL_MS, deadlineAt - Date.now())));
      };
      listeners.add(onMessage);
      timer = setTimeout(() => void poll(), WAKE_POLL_INTERVAL_MS);
    });
  }
}

function fromMessage(m: ComputeWokenMessage): WakeResult {
  return { address: { host: m.host, port: m.port }, coldStart: m.cold_start, startupMs: 0, byOtherReplica: true };
}

function parseWoken(text: string): ComputeWokenMessage | null {
  try {
    const m = JSON.parse(text) as ComputeWokenMessage;
    const valid = m.v === REDIS_RECORD_VERSION && typeof m.endpoint_id === "string" && typeof m.host === "string" && typeof m.port === "number" && typeof m.wake_id === "string";
    return valid ? m : null;
  } catch {
    return null;
  }
}

function notStarted(endpointId: string, detail: string): RouterError {
  return new RouterError("compute_unavailable", `the compute of endpoint "${endpointId}" could not be started right now; try again shortly`, detail);
}
