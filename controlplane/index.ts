/** Public face of the control plane. */
export { startControlPlane, type ControlPlane } from "./server.js";
export { resolveControlPlaneConfig, type ControlPlaneConfig, type ControlPlaneConfigInput } from "./config.js";
export {
  DEFAULT_CONTROL_PLANE_PORT,
  DEFAULT_POOLER_PORT,
  DEFAULT_PROXY_PORT,
  DEFAULT_DOMAIN,
  DEFAULT_REGION,
} from "./config.js";
export type { EndpointAccess, EndpointChanged } from "./internal-api.js";
export type { SchedulerPort, ComputeInfo, ProvisionSpec, ComputeState } from "./scheduler/port.js";
export { ERROR_CODES, type ErrorCode } from "./errors.js";
export { adminKeyPath } from "./identity/bootstrap.js";
export { internalTokenPath } from "./internal-token.js";
export { connectionInfo, type ConnectionConfig, type ConnectionInfo } from "./connection-strings.js";
export { schedulerPortFromClient } from "./scheduler/wakeup-adapter.js";
export { publishInvalidations, type InvalidationPublisher } from "./redis-invalidations.js";
