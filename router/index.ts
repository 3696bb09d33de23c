export { Router, type ConnectTarget, type ConnectHooks, type RouterOptions } from "./router.js";
export { createRouter, type CreateRouterOptions, type RouterObserver } from "./create-router.js";
export { RouterError, type RouterErrorCode } from "./errors.js";
export {
  ENDPOINT_ID_PATTERN,
  HOW_TO_PASS_ENDPOINT,
  endpointLabelFromSni,
  extractEndpointFromOptions,
  isValidEndpointId,
  parseEndpointLabel,
  parsePasswordHack,
  resolveEndpoint,
  type EndpointRequest,
  type EndpointSource,
} from "./endpoint-id.js";
export { type EndpointAccess, type HostPort, type PoolerTarget, type RouteSource, parseHostPort, formatHostPort } from "./access.js";
export { StaticRouteSource, parseRouteTable } from "./static-routes.js";
export { CancelKeyMap, type CancelTarget, type ProxyCancelKey } from "./cancel-keys.js";
export { CancelService, type CancelResolution } from "./cancel-service.js";
export { schedulerWaker, type ComputeWaker, type WakeOptions, type WakeResult } from "./compute-waker.js";
export { ControlPlaneRouteSource, CONTROL_PLANE_SOURCE_DEFAULTS, type ControlPlaneSourceOptions } from "./controlplane-source.js";
export { CachedRouteSource, ROUTE_CACHE_DEFAULTS, type RouteCacheOptions, type RouteCacheResult } from "./route-cache.js";
export { SHARED_ROUTE_CACHE_RESULTS, type SharedRouteCacheResult } from "./shared-route-cache.js";
export { SharedRedis, REDIS_OPERATIONS, type RedisOperation, type SharedRedisOptions } from "./redis/shared-redis.js";
export { ROUTER_DEFAULTS, resolveRouterSettings, CANCEL_SUBNET_PREFIXES, AUTH_SOURCE_PREFIXES, type RouterSettings } from "./settings.js";
export { REJECTION_KINDS, type RejectionKind } from "./limits/admission.js";
export type { SessionLease } from "./limits/session-leases.js";
