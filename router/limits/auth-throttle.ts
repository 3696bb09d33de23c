import { redisKeys } from "../../common/redis-contract.js";
import { RedisScript } from "../redis/script.js";
import type { SharedRedis } from "../redis/shared-redis.js";

export interface AuthThrottleSettings {
  /** Failures within the window that get a source refused. */
  readonly limit: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

/**
 * Count one failure; at the limit, refuse the source for blockMs and start counting afresh.
 * KEYS: failures, blocked. ARGV: limit, window ms, block ms. Returns the failures counted.
 */
const RECORD_FAILURE = new RedisScript(
  "record_auth_failure",
  `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
end
return n
`,
);

interface LocalState {
  failures: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/** Sources tracked at once without Redis; the oldest are forgotten first. */
const MAX_LOCAL_SOURCES = 100_000;

/**
 * Failed authentications per (endpoint, source address): after `limit` of them within the
 * window, the source is refused for a while before any password is checked. Known and unknown
 * roles count alike, so a refusal says nothing about which roles exist. Shared through Redis,
 * per replica while Redis is away.
 */
export class AuthThrottle {
  private readonly local = new Map<string, LocalState>();

  constructor(
    private readonly settings: AuthThrottleSettings,
    private readonly redis: SharedRedis | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the source is still refused for; 0 when it may try. */
  async blockedForMs(endpointId: string, source: string): Promise<number> {
    if (this.redis) {
      const r = await this.redis.run("auth_throttle", (c) => c.pttl(redisKeys.authBlocked(endpointId, source)));
      if (r.ok) return Math.max(0, r.value);
    }
    const s = this.local.get(`${endpointId} ${source}`);
    return s ? Math.max(0, s.blockedUntil - this.now()) : 0;
  }

  async recordFailure(endpointId: string, source: string): Promise<void> {
    const { limit, windowMs, blockMs } = this.settings;
    if (this.redis) {
      const keys = [redisKeys.authFailures(endpointId, source), redisKeys.authBlocked(endpointId, source)];
      const r = await this.redis.run("auth_throttle", (c) => RECORD_FAILURE.run(c, keys, [limit, windowMs, blockMs]));
      if (r.ok) return;
    }
    this.recordLocally(`${endpointId} ${source}`);
  }

  private recordLocally(key: string): void {
    const now = this.now();
    let s = this.local.get(key);
    if (!s || s.windowEndsAt <= now) s = { failures: 0, windowEndsAt: now + this.settings.windowMs, blockedUntil: s?.blockedUntil ?? 0 };
    s.failures += 1;
    if (s.failures >= this.settings.limit) {
      s.blockedUntil = now + this.settings.blockMs;
      s.failures = 0;
    }
    this.local.delete(key);
    this.local.set(key, s);
    if (this.local.size > MAX_LOCAL_SOURCES) this.local.delete(this.local.keys().next().value as string);
  }
}
