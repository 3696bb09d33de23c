import type { RouterError, RouterErrorCode } from "../../router/index.js";
import { ClientError, SQLSTATE, type ErrorKind, type SqlState } from "../protocol/errors.js";

/** One table from router error codes to what the client sees (README "Errors" mirrors it). */
const ROUTER_ERRORS: Record<RouterErrorCode, { kind: ErrorKind; sqlstate: SqlState }> = {
  endpoint_missing: { kind: "user", sqlstate: SQLSTATE.invalidAuthorization },
  endpoint_invalid: { kind: "user", sqlstate: SQLSTATE.invalidAuthorization },
  endpoint_mismatch: { kind: "user", sqlstate: SQLSTATE.invalidAuthorization },
  endpoint_not_found: { kind: "routing", sqlstate: SQLSTATE.rejectedEstablishment },
  endpoint_unavailable: { kind: "routing", sqlstate: SQLSTATE.rejectedEstablishment },
  too_many_connections: { kind: "limit", sqlstate: SQLSTATE.tooManyConnections },
  rate_limited: { kind: "limit", sqlstate: SQLSTATE.configurationLimitExceeded },
  // A limit, not a password verdict: 28P01 here would read as "wrong password" for a right one.
  auth_throttled: { kind: "limit", sqlstate: SQLSTATE.configurationLimitExceeded },
  address_not_allowed: { kind: "user", sqlstate: SQLSTATE.invalidAuthorization },
  compute_unavailable: { kind: "compute", sqlstate: SQLSTATE.cannotConnectNow },
  capacity_exhausted: { kind: "limit", sqlstate: SQLSTATE.tooManyConnections },
  lookup_failed: { kind: "routing", sqlstate: SQLSTATE.cannotConnectNow },
};

export function fromRouterError(err: RouterError): ClientError {
  const m = ROUTER_ERRORS[err.code];
  return new ClientError(m.kind, m.sqlstate, err.message, err.detail ?? err.code, err.hint);
}
