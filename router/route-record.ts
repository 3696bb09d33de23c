import type { RouteRecord } from "../common/redis-contract.js";
import { formatScramSecret, parseScramSecret } from "../common/scram/index.js";
import type { EndpointAccess } from "./access.js";

/** EndpointAccess as stored in the shared route cache (common/redis-contract.ts RouteRecord). */
export function toRouteRecord(a: EndpointAccess): RouteRecord {
  return {
    endpoint_id: a.endpointId,
    cu: a.cu,
    compute: a.compute ? { host: a.compute.host, port: a.compute.port } : null,
    pooler: a.pooler ? { host: a.pooler.address.host, port: a.pooler.address.port, database: a.pooler.database, user: a.pooler.user } : null,
    managed: a.managed,
    scram_secret: a.secret ? formatScramSecret(a.secret) : null,
    allowed_cidrs: [...a.allowedCidrs],
    max_connections: a.maxConnections ?? null,
    version: a.version ?? 0,
  };
}

/** Back to EndpointAccess; null when the record is not one we can trust (then it is a miss). */
export function fromRouteRecord(r: RouteRecord): EndpointAccess | null {
  const secret = r.scram_secret === null ? null : parseScramSecret(r.scram_secret);
  if (r.scram_secret !== null && !secret) return null;
  if (typeof r.endpoint_id !== "string" || !Array.isArray(r.allowed_cidrs)) return null;
  return {
    endpointId: r.endpoint_id,
    cu: r.cu,
    compute: r.compute,
    pooler: r.pooler ? { address: { host: r.pooler.host, port: r.pooler.port }, database: r.pooler.database, user: r.pooler.user } : null,
    managed: r.managed,
    secret,
    allowedCidrs: r.allowed_cidrs,
    maxConnections: r.max_connections ?? undefined,
    version: r.version,
  };
}
