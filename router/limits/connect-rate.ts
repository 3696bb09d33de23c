import { redisKeys } from "../../common/redis-contract.js";
import { RedisScript } from "../redis/script.js";
import type { SharedRedis } from "../redis/shared-redis.js";
import { TokenBuckets, type BucketRate } from "../token-bucket.js";

/**
 * The token bucket of router/token-bucket.ts, on the Redis clock, for one key. The key expires
 * once the bucket would be full again (a missing bucket is a full one).
 * KEYS: bucket. ARGV: rate per second, burst. Returns 1 (allowed) or 0.
 */
const TAKE_TOKEN = new RedisScript(
  "take_token",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return allowed
`,
);

/**
 * New connections per endpoint (a token bucket): shared by all replicas through Redis, or per
 * replica while Redis is away.
 */
export class ConnectRateLimiter {
  private readonly local: TokenBuckets;

  constructor(
    private readonly rate: BucketRate,
    private readonly redis: SharedRedis | null,
  ) {
    this.local = new TokenBuckets(rate);
  }

  async allow(endpointId: string): Promise<boolean> {
    if (this.redis) {
      const r = await this.redis.run("connect_rate", (c) =>
        TAKE_TOKEN.run(c, [redisKeys.connectRate(endpointId)], [this.rate.ratePerSecond, this.rate.burst]),
      );
      if (r.ok) return r.value === 1;
    }
    return this.local.take(endpointId);
  }
}
