/**
 * Why the router could not produce a route. The proxy maps each code to a SQLSTATE in one
 * table (proxy/session/router-errors.ts); messages are written for the person connecting.
 */
export type RouterErrorCode =
  | "endpoint_missing" // no endpoint id anywhere in the connection
  | "endpoint_invalid" // malformed endpoint id
  | "endpoint_mismatch" // SNI and options name different endpoints
  | "endpoint_not_found"
  | "endpoint_unavailable" // known, but not routable now (suspended without a scheduler, deleting)
  | "too_many_connections" // the endpoint's concurrent-session limit, across replicas
  | "rate_limited" // the endpoint's connection rate
  | "auth_throttled" // too many failed authentications from this source
  | "address_not_allowed" // the endpoint's allow-list does not admit the client's address
  | "compute_unavailable" // wake failed / scheduler down
  | "capacity_exhausted" // the scheduler has no room to start the compute
  | "lookup_failed"; // control plane unreachable and nothing cached

export class RouterError extends Error {
  constructor(
    readonly code: RouterErrorCode,
    message: string,
    /** Internal context for logs only. */
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "RouterError";
  }
}
