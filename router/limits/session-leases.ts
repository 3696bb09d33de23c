import type { Logger } from "../../common/log.js";
import { redisKeys } from "../../common/redis-contract.js";
import { RedisScript } from "../redis/script.js";
import type { SharedRedis } from "../redis/shared-redis.js";
import { RENEWALS_PER_TTL } from "../settings.js";

/** A session's slot in its endpoint's count; release it exactly when the session ends. */
export interface SessionLease {
  release(): void;
}

/** For sessions that count against no limit. */
export const UNLIMITED_LEASE: SessionLease = Object.freeze({ release() {} });

/**
 * Admission on the Redis clock: drop expired leases, then admit when fewer than max remain.
 * KEYS: sessions. ARGV: member, max, lease ms. Returns {1, count} when admitted, {0, count} when full.
 */
const ADMIT = new RedisScript(
  "admit_session",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[2]) then return {0, n} end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease * 2)
return {1, n + 1}
`,
);

/**
 * Renew (or, after Redis lost them, restore) this replica's leases on one endpoint.
 * KEYS: sessions. ARGV: lease ms, members...
 */
const RENEW = new RedisScript(
  "renew_sessions",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + lease, ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], lease * 2)
return #ARGV - 1
`,
);

export interface SessionLeasesOptions {
  redis: SharedRedis | null;
  /** Prefix of this replica's lease members (sessions ids follow). */
  replicaId: string;
  leaseTtlMs: number;
  log: Logger;
}

/**
 * Concurrent sessions per endpoint across replicas: a sorted set per endpoint whose members are
 * sessions and whose scores are lease expiries. Each replica renews its own leases in one
 * pipeline every TTL/3, so a replica that dies stops renewing and its sessions stop counting one
 * TTL later. Without Redis (or while it is away) the count is this replica's own.
 */
export class SessionLeases {
  /** This replica's sessions per endpoint: the local count and what renewals send. */
  private readonly live = new Map<string, Set<string>>();
  private readonly pendingReleases = new Map<string, string[]>();
  private releaseScheduled = false;
  private readonly renewTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SessionLeasesOptions) {
    if (opts.redis) {
      this.renewTimer = setInterval(() => void this.renew(), Math.max(1, Math.floor(opts.leaseTtlMs / RENEWALS_PER_TTL))).unref();
      opts.redis.onRecovered(() => void this.renew());
    }
  }

  /** A lease for one more session of the endpoint, or null when `max` are open already. */
  async acquire(endpointId: string, sessionId: string, max: number): Promise<SessionLease | null> {
    const member = `${this.opts.replicaId}/${sessionId}`;
    const redis = this.opts.redis;
    let admitted: boolean | null = null;
    if (redis) {
      const r = await redis.run("sessions", (c) => ADMIT.run(c, [redisKeys.sessions(endpointId)], [member, max, this.opts.leaseTtlMs]));
      if (r.ok) admitted = (r.value as [number, number])[0] === 1;
    }
    admitted ??= (this.live.get(endpointId)?.size ?? 0) < max;
    if (!admitted) return null;
    let members = this.live.get(endpointId);
    if (!members) this.live.set(endpointId, (members = new Set()));
    members.add(member);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.forget(endpointId, member);
      },
    };
  }

  /** Sessions this replica holds for the endpoint. */
  localCount(endpointId: string): number {
    return this.live.get(endpointId)?.size ?? 0;
  }

  /** Stop renewing and give back every lease still held (shutdown). */
  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const [endpointId, members] of this.live) for (const m of members) this.queueRelease(endpointId, m);
    this.live.clear();
    await this.flushReleases();
  }

  private forget(endpointId: string, member: string): void {
    const members = this.live.get(endpointId);
    members?.delete(member);
    if (members?.size === 0) this.live.delete(endpointId);
    this.queueRelease(endpointId, member);
  }

  /** Releases of one event-loop turn go out together. */
  private queueRelease(endpointId: string, member: string): void {
    if (!this.opts.redis) return;
    const list = this.pendingReleases.get(endpointId);
    if (list) list.push(member);
    else this.pendingReleases.set(endpointId, [member]);
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    setImmediate(() => void this.flushReleases());
  }

  private async flushReleases(): Promise<void> {
    this.releaseScheduled = false;
    const redis = this.opts.redis;
    if (!redis || this.pendingReleases.size === 0) return;
    const batch = [...this.pendingReleases];
    this.pendingReleases.clear();
    // A release that does not reach Redis is not retried: the lease simply expires.
    await redis.run("sessions", (c) => Promise.all(batch.map(([endpointId, members]) => c.zrem(redisKeys.sessions(endpointId), ...members))));
  }

  private async renew(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis || this.live.size === 0) return;
    const calls = [...this.live].map(([endpointId, members]) => ({ keys: [redisKeys.sessions(endpointId)], args: [this.opts.leaseTtlMs, ...members] }));
    const r = await redis.run("sessions", (c) => RENEW.runMany(c, calls));
    if (r.ok) this.opts.log.debug({ endpoints: calls.length }, "session leases renewed");
  }
}
