import { Redis } from "ioredis";
import type { Logger } from "../common/log.js";
import { INVALIDATE_ENDPOINT_LUA, REDIS_CHANNELS, ROUTE_FLOOR_TTL_MS, redisKeys } from "../common/redis-contract.js";
import type { EndpointChanged } from "./internal-api.js";
import type { EndpointEvents } from "./provisioning/events.js";

/** While Redis is away, unpublished invalidations are retried this often (and at once when it returns). */
export const INVALIDATION_RETRY_INTERVAL_MS = 1_000;
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export interface InvalidationPublisher {
  /** Publish whatever is still pending (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Carries the control plane's "endpoint-changed" events to every proxy replica through Redis
 * (common/redis-contract.ts): one atomic script per change drops the shared cached route and
 * compute address, raises the route floor and publishes the event. A change that cannot be
 * published (Redis away) is kept, latest version per endpoint, and published when Redis returns,
 * so no replica keeps an old password past its cache TTL because of an outage.
 */
export function publishInvalidations(opts: { events: EndpointEvents; url: string; log: Logger }): InvalidationPublisher {
  const redis = new Redis(opts.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectionName: "orochi-controlplane",
  });
  const pending = new Map<string, EndpointChanged>();
  let flushing: Promise<void> | null = null;
  let failing = false;

  const publishOne = async (e: EndpointChanged) => {
    const keys = [redisKeys.routeFloor(e.endpoint_id), redisKeys.routes(e.endpoint_id), redisKeys.computeAddress(e.endpoint_id)];
    await redis.eval(INVALIDATE_ENDPOINT_LUA, keys.length, ...keys, e.version, ROUTE_FLOOR_TTL_MS, REDIS_CHANNELS.endpointChanged, JSON.stringify(e));
    opts.log.debug({ endpoint: e.endpoint_id, version: e.version, reason: e.reason }, "invalidation published");
  };
  /** Publish what is pending now; false when Redis failed (the rest waits for a retry). */
  const flushOnce = async (): Promise<boolean> => {
    for (const [id, e] of [...pending]) {
      try {
        await publishOne(e);
        if (pending.get(id) === e) pending.delete(id);
        if (failing) opts.log.info("invalidations reach Redis again");
        failing = false;
      } catch (err) {
        if (!failing) opts.log.warn({ err: (err as Error).message, pending: pending.size }, "could not publish invalidations to Redis; retrying until it is back");
        failing = true;
        return false;
      }
    }
    return true;
  };
  const flush = (): Promise<void> => {
    // Loop: changes that arrive during a flush go out in the same one.
    flushing ??= (async () => {
      while (pending.size > 0 && (await flushOnce()));
    })().finally(() => (flushing = null));
    return flushing;
  };

  opts.events.on("endpoint-changed", (e) => {
    const queued = pending.get(e.endpoint_id);
    if (!queued || queued.version <= e.version) pending.set(e.endpoint_id, e);
    void flush();
  });
  redis.on("error", () => undefined);
  redis.on("ready", () => void flush());
  const retry = setInterval(() => {
    if (pending.size > 0) void flush();
  }, INVALIDATION_RETRY_INTERVAL_MS).unref();

  return {
    flush,
    async close() {
      clearInterval(retry);
      await flush().catch(() => undefined);
      redis.disconnect();
    },
  };
}
