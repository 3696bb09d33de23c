/**
 * The Redis wire contract between proxy replicas (router/) and the control plane: every key,
 * channel and stored record shape, defined once (router/README.md explains each). Redis is
 * optional; without it each proxy keeps the same state in memory for itself.
 *
 * Keys of one endpoint share the hash tag `{<endpoint id>}` so a Redis Cluster keeps them in one
 * slot (the scripts touch several of them at once). Endpoint ids are validated before they get
 * here (`ep-` + lowercase letters, digits, `-`), so they never contain `{`, `}` or `:`.
 */

/** Bumped when a stored record's shape changes incompatibly; readers ignore other versions. */
export const REDIS_RECORD_VERSION = 1;

export const REDIS_CHANNELS = {
  /** EndpointChangedMessage: the control plane changed an endpoint; drop what is cached for it. */
  endpointChanged: "orochi:endpoint-changed",
  /** ComputeWokenMessage: a replica woke a compute; replicas waiting on the wake lock use it. */
  computeWoken: "orochi:compute-woken",
} as const;

export const redisKeys = {
  /** Hash, field = role, value = CachedRouteRecord JSON; PEXPIRE = the route cache TTL. */
  routes: (endpointId: string) => `orochi:{${endpointId}}:routes`,
  /** String, the lowest endpoint version a cached route may carry (set by the control plane). */
  routeFloor: (endpointId: string) => `orochi:{${endpointId}}:route-floor`,
  /** Sorted set of live sessions: member = `<replica>/<session>`, score = lease expiry (Redis clock, ms). */
  sessions: (endpointId: string) => `orochi:{${endpointId}}:sessions`,
  /** Hash {tokens, ts}: the endpoint's connection-rate token bucket. */
  connectRate: (endpointId: string) => `orochi:{${endpointId}}:connect-rate`,
  /** String counter of failed authentications from one source within the window. */
  authFailures: (endpointId: string, source: string) => `orochi:{${endpointId}}:auth-failures:${source}`,
  /** String, present while a source is refused for too many failed authentications. */
  authBlocked: (endpointId: string, source: string) => `orochi:{${endpointId}}:auth-blocked:${source}`,
  /** String = the holder's random token, PX = the lock TTL: one replica wakes the compute. */
  wakeLock: (endpointId: string) => `orochi:{${endpointId}}:wake-lock`,
  /** String = ComputeWokenMessage JSON: the address the last wake returned. */
  computeAddress: (endpointId: string) => `orochi:{${endpointId}}:compute`,
  /** String = CancelKeyRecord JSON, keyed by the proxy's own BackendKeyData (both halves). */
  cancelKey: (processId: number, secretKey: number) => `orochi:cancel:${processId}:${secretKey}`,
} as const;

/** What the control plane publishes on REDIS_CHANNELS.endpointChanged (controlplane/internal-api.ts EndpointChanged). */
export interface EndpointChangedMessage {
  endpoint_id: string;
  version: number;
  reason: string;
}

/** Published on REDIS_CHANNELS.computeWoken and stored at redisKeys.computeAddress. */
export interface ComputeWokenMessage {
  v: number;
  endpoint_id: string;
  host: string;
  port: number;
  cold_start: boolean;
  /** Random per wake: a waiter that needs a fresh wake tells a new answer from an old one. */
  wake_id: string;
}

/** Stored at redisKeys.cancelKey: where a cancel for that key must go. */
export interface CancelKeyRecord {
  v: number;
  endpoint_id: string;
  /** The backend's (compute's or pooler's) address and its own BackendKeyData. */
  host: string;
  port: number;
  process_id: number;
  secret_key: number;
  /** The replica holding the session (logs only). */
  replica: string;
}

/** A field of redisKeys.routes: one (endpoint, role) answer of the control plane. */
export interface CachedRouteRecord {
  v: number;
  /** Epoch ms after which the answer must not be used. */
  expires_at: number;
  /** null: the endpoint does not exist (negative caching). */
  access: RouteRecord | null;
}

export interface RouteRecord {
  endpoint_id: string;
  cu: number;
  compute: { host: string; port: number } | null;
  pooler: { host: string; port: number; database?: string | undefined; user?: string | undefined } | null;
  managed: boolean;
  /** pg_authid form, or null for a role that does not exist. */
  scram_secret: string | null;
  allowed_cidrs: string[];
  max_connections: number | null;
  version: number;
}

/** How long a route floor outlives the change that set it: longer than any route TTL plus a lookup. */
export const ROUTE_FLOOR_TTL_MS = 86_400_000;

/**
 * The control plane's invalidation, atomic: raise the endpoint's route floor (so a lookup that
 * raced the change cannot store the old answer), drop the cached routes and compute address,
 * and tell every replica.
 * KEYS: routeFloor, routes, computeAddress. ARGV: version, floor TTL ms, channel, message JSON.
 */
export const INVALIDATE_ENDPOINT_LUA = `
local floor = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > floor then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
redis.call('DEL', KEYS[2], KEYS[3])
return redis.call('PUBLISH', ARGV[3], ARGV[4])
`;
