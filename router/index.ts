export { Router, type ConnectTarget, type ConnectHooks, type RouterOptions } from "./router.js";
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
export { schedulerWaker, type ComputeWaker, type WakeResult } from "./compute-waker.js";
export { ControlPlaneRouteSource, CONTROL_PLANE_SOURCE_DEFAULTS, type ControlPlaneSourceOptions } from "./controlplane-source.js";
export { CachedRouteSource, ROUTE_CACHE_DEFAULTS, type RouteCacheOptions, type RouteCacheResult } from "./route-cache.js";
