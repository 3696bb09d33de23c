import type { ConnectionConfig } from "../connection-strings.js";
import type { RateLimiter } from "../identity/rate-limit.js";
import type { ControlPlaneMetrics } from "../metrics.js";
import type { ProvisioningContext } from "../provisioning/context.js";

/** What route handlers need. */
export interface ApiDeps {
  ctx: ProvisioningContext;
  connection: ConnectionConfig;
  rateLimiter: RateLimiter;
  internalToken: string;
  metrics: ControlPlaneMetrics;
}
