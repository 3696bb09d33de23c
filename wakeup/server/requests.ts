import type { ComputeSpec } from "../backend/compute-backend.js";
import type { ProvisionRequest, ReportActivityRequest } from "../proto/messages.js";
import type { ActivityReport } from "./activity-tracker.js";
import { invalidArgument } from "./errors.js";
import { checkCu, checkDatabaseName, checkEndpointId, checkRoleName, checkScramSecret } from "./validation.js";

/** Longest accepted proxy id ("host:pid" or a configured name). */
export const MAX_PROXY_ID_LENGTH = 200;
/** Bounds one report's size before anything is stored. */
export const MAX_ENDPOINTS_PER_REPORT = 10_000;
/** A report that is not renewed within an hour is stale whatever the proxy asked for. */
export const MAX_ACTIVITY_TTL_SECONDS = 3_600;

export interface ProvisionCommand {
  readonly spec: ComputeSpec;
  readonly autoSuspendSeconds: number;
  readonly start: boolean;
  readonly restartIfNeeded: boolean;
}

/** A ProvisionRequest checked field by field (INVALID_ARGUMENT naming the field otherwise). */
export function parseProvisionRequest(req: ProvisionRequest, defaultAutoSuspendSeconds: number): ProvisionCommand {
  return {
    spec: {
      endpointId: checkEndpointId(req.endpointId),
      cu: checkCu(req.cu),
      database: checkDatabaseName(req.database),
      role: checkRoleName(req.role),
      scramSecret: checkScramSecret(req.scramSecret),
    },
    autoSuspendSeconds: req.autoSuspendSeconds ?? defaultAutoSuspendSeconds,
    start: req.start ?? false,
    restartIfNeeded: req.restartIfNeeded ?? false,
  };
}

export function parseActivityReport(req: ReportActivityRequest, defaultTtlSeconds: number): ActivityReport {
  if (!req.proxyId || req.proxyId.length > MAX_PROXY_ID_LENGTH) {
    throw invalidArgument(`proxy_id is required and at most ${MAX_PROXY_ID_LENGTH} characters`);
  }
  if (req.endpoints.length > MAX_ENDPOINTS_PER_REPORT) {
    throw invalidArgument(`at most ${MAX_ENDPOINTS_PER_REPORT} endpoints per report`);
  }
  if (req.ttlSeconds > MAX_ACTIVITY_TTL_SECONDS) throw invalidArgument(`ttl_seconds must be at most ${MAX_ACTIVITY_TTL_SECONDS}`);
  return {
    proxyId: req.proxyId,
    endpoints: req.endpoints.map((e) => ({ endpointId: checkEndpointId(e.endpointId, "endpoints[].endpoint_id"), openSessions: e.openSessions })),
    fullSnapshot: req.fullSnapshot,
    ttlMs: (req.ttlSeconds || defaultTtlSeconds) * 1000,
  };
}
