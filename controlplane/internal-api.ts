/**
 * The internal API proxies call (contract; types only, so the router may `import type` them).
 *
 *   GET /internal/v1/endpoints/{endpoint_id}/access?role=<role>
 *   Authorization: Bearer <internal token>
 *
 * 200 → EndpointAccess. Errors use the public error shape `{"error": {"code", "message"}}`:
 *   401 unauthenticated        missing or wrong internal token
 *   400 invalid_request        malformed endpoint id (must match ^ep-[a-z0-9-]{1,60}$) or role
 *   404 endpoint_not_found     unknown, deleted (soft or purged) endpoint: same answer for all,
 *                              so nothing tells a deleted endpoint from one that never existed
 *
 * The endpoint id is the bare id: a "-pooler" suffix is the proxy's business (it picks `pooler`
 * instead of `compute` from the same answer). The role is the startup packet's user.
 *
 * Caching: `version` grows (strictly) with every change a proxy must not miss: password rotation,
 * state changes made through the API, limits (cu, max_connections, allowed_cidrs), compute or
 * pooler address, deletion (which then answers 404). A cached answer with a lower version than
 * the one announced (in-process: ControlPlane.events "endpoint-changed"; later Redis) is stale.
 */
export interface EndpointAccess {
  endpoint_id: string;
  /**
   * The control plane's last known state. The scheduler suspends idle computes on its own, so
   * "running" does not promise a live compute: proxies always go through Wake.
   */
  state: "provisioning" | "running" | "suspended" | "failed";
  cu: number;
  max_connections: number;
  /** CIDRs allowed to connect (IPv4/IPv6); empty = any address. */
  allowed_cidrs: string[];
  /** The compute's address, fixed per endpoint; null until the scheduler has provisioned it. */
  compute: { host: string; port: number } | null;
  /**
   * How to reach this endpoint's pool: the exact startup `database` and `user` to send (with
   * PgBouncer the user is `<role>@<endpoint_id>`; the pooler forces the real role towards the
   * compute). Log in by SCRAM pass-through with the ClientKey recovered from the client's proof:
   * the pooler holds the same secret as `role.scram_secret`. Null when no pooler is configured,
   * the role is unknown, or the compute is not provisioned yet.
   */
  pooler: { host: string; port: number; database: string; user: string } | null;
  /** Null when the role is not the endpoint's role: answer with a fake verifier, not an error. */
  role: { name: string; scram_secret: string } | null;
  /** The database the endpoint's role owns (what clients usually name). */
  database: string;
  version: number;
}

/** Body of the "endpoint-changed" event (in-process now; the router may publish it to Redis). */
export interface EndpointChanged {
  endpoint_id: string;
  version: number;
  reason: "created" | "updated" | "password_rotated" | "state_changed" | "deleted" | "restored" | "purged";
}
