import { REDIS_RECORD_VERSION, redisKeys, type CachedRouteRecord } from "../common/redis-contract.js";
import type { EndpointAccess, RouteSource } from "./access.js";
import { RedisScript } from "./redis/script.js";
import type { SharedRedis } from "./redis/shared-redis.js";
import { fromRouteRecord, toRouteRecord } from "./route-record.js";

/** Results of the shared (second-level) cache, counted beside the in-memory ones. */
export const SHARED_ROUTE_CACHE_RESULTS = ["l2_hit", "l2_negative_hit", "l2_miss", "l2_error"] as const;
export type SharedRouteCacheResult = (typeof SHARED_ROUTE_CACHE_RESULTS)[number];

export interface SharedRouteCacheOptions {
  ttlMs: number;
  negativeTtlMs: number;
  onResult?: (result: SharedRouteCacheResult) => void;
  now?: () => number;
}

/**
 * Store one answer unless the control plane has announced a newer version of the endpoint
 * since the lookup began (its invalidation raised the floor): a slow lookup cannot put an old
 * password back. KEYS: routes, route floor. ARGV: role, record JSON, version, TTL ms.
 */
const STORE_ROUTE = new RedisScript(
  "store_route",
  `
local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
if floor > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
`,
);

/**
 * The route cache replicas share (L2, under the in-memory CachedRouteSource): answers of the
 * control plane per (endpoint, role) in a Redis hash per endpoint, so one replica's lookup serves
 * the others, and answers outlive a control-plane outage on replicas that never asked. The
 * control plane deletes the hash when the endpoint changes. Redis being away only means asking
 * the source directly.
 */
export class SharedRouteCache implements RouteSource {
  private readonly now: () => number;

  constructor(
    private readonly source: RouteSource,
    private readonly redis: SharedRedis,
    private readonly opts: SharedRouteCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async lookup(endpointId: string, role: string): Promise<EndpointAccess | null> {
    const cached = await this.redis.run("route_cache", (c) => c.hget(redisKeys.routes(endpointId), role));
    if (cached.ok && cached.value !== null) {
      const record = parse(cached.value);
      if (record && record.expires_at > this.now()) {
        const access = record.access ? fromRouteRecord(record.access) : null;
        if (!record.access || access) {
          this.opts.onResult?.(access ? "l2_hit" : "l2_negative_hit");
          return access;
        }
      }
    }
    this.opts.onResult?.(cached.ok ? "l2_miss" : "l2_error");
    const answer = await this.source.lookup(endpointId, role);
    void this.store(endpointId, role, answer);
    return answer;
  }

  invalidateEndpoint(endpointId: string): void {
    this.source.invalidateEndpoint?.(endpointId);
  }

  invalidateAll(): void {
    this.source.invalidateAll?.();
  }

  private async store(endpointId: string, role: string, access: EndpointAccess | null): Promise<void> {
    const ttlMs = access ? this.opts.ttlMs : this.opts.negativeTtlMs;
    const record: CachedRouteRecord = { v: REDIS_RECORD_VERSION, expires_at: this.now() + ttlMs, access: access ? toRouteRecord(access) : null };
    const keys = [redisKeys.routes(endpointId), redisKeys.routeFloor(endpointId)];
    await this.redis.run("route_cache", (c) => STORE_ROUTE.run(c, keys, [role, JSON.stringify(record), access?.version ?? 0, ttlMs]));
  }
}

function parse(text: string): CachedRouteRecord | null {
  try {
    const r = JSON.parse(text) as CachedRouteRecord;
    return r.v === REDIS_RECORD_VERSION && typeof r.expires_at === "number" ? r : null;
  } catch {
    return null;
  }
}
