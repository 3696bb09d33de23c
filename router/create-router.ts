import type { Logger } from "../common/log.js";
import type { RouteSource } from "./access.js";
import type { ComputeWaker } from "./compute-waker.js";
import type { RejectionKind } from "./limits/admission.js";
import type { SharedRedis } from "./redis/shared-redis.js";
import { CachedRouteSource, type RouteCacheOptions, type RouteCacheResult, ROUTE_CACHE_DEFAULTS } from "./route-cache.js";
import { Router } from "./router.js";
import { resolveRouterSettings, type RouterSettings } from "./settings.js";
import { SharedRouteCache, type SharedRouteCacheResult } from "./shared-route-cache.js";
import { SharedWaker } from "./shared-wake.js";

/** What the router reports as it works (the proxy turns these into metrics). */
export interface RouterObserver {
  routeCache?(result: RouteCacheResult | SharedRouteCacheResult): void;
  rejection?(kind: RejectionKind): void;
}

export interface CreateRouterOptions {
  source: RouteSource;
  /** Cache the source's answers in memory (and in Redis when given): for remote sources. */
  cache?: Omit<RouteCacheOptions, "onResult" | "now"> | null;
  waker?: ComputeWaker | null;
  redis?: SharedRedis | null;
  settings?: Partial<RouterSettings>;
  replicaId: string;
  log: Logger;
  observer?: RouterObserver;
}

/**
 * The router with its layers: route source → shared cache (Redis) → in-memory cache, and the
 * scheduler's waker behind the cross-replica wake lock. Without Redis the same router serves one
 * proxy with in-memory state.
 */
export function createRouter(opts: CreateRouterOptions): Router {
  const settings = resolveRouterSettings(opts.settings);
  const redis = opts.redis ?? null;
  const observe = opts.observer ?? {};
  let source = opts.source;
  if (opts.cache) {
    const ttlMs = opts.cache.ttlMs ?? ROUTE_CACHE_DEFAULTS.ttlMs;
    const negativeTtlMs = opts.cache.negativeTtlMs ?? ROUTE_CACHE_DEFAULTS.negativeTtlMs;
    if (redis) source = new SharedRouteCache(source, redis, { ttlMs, negativeTtlMs, onResult: (r) => observe.routeCache?.(r) });
    source = new CachedRouteSource(source, { ...opts.cache, onResult: (r) => observe.routeCache?.(r) });
  }
  let waker = opts.waker ?? null;
  if (waker && redis) waker = new SharedWaker(waker, { redis, lockTtlMs: settings.wakeLockTtlMs, addressTtlMs: settings.computeAddressTtlMs, log: opts.log });
  return new Router({ source, waker, redis, settings, replicaId: opts.replicaId, log: opts.log, onRejection: (k) => observe.rejection?.(k) });
}
