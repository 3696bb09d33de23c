import { ApiError } from "../errors.js";
import { route, type RouteSpec } from "../http/route.js";
import type { EndpointAccess } from "../internal-api.js";
import { findLiveClusterByEndpoint } from "../store/clusters.js";
import type { ApiDeps } from "./deps.js";
import * as S from "./schemas.js";

/** The proxies' view of an endpoint (contract in controlplane/internal-api.ts). */
export function internalRoutes(deps: ApiDeps): RouteSpec[] {
  const { ctx } = deps;
  return [
    route({
      method: "GET",
      path: "/internal/v1/endpoints/{endpoint_id}/access",
      operationId: "getEndpointAccess",
      summary: "Access information for one endpoint and role (proxies only, internal token)",
      tag: "internal",
      auth: { kind: "internal" },
      params: S.EndpointParams,
      query: S.AccessQuery,
      responses: { 200: { description: "access information", schema: S.EndpointAccess }, 404: { description: "unknown or deleted endpoint", schema: S.ErrorResponse } },
      async handler({ params, query }) {
        const c = await findLiveClusterByEndpoint(ctx.pool, params.endpoint_id);
        if (!c) throw new ApiError("endpoint_not_found", `endpoint "${params.endpoint_id}" not found`);
        const roleKnown = query.role === c.roleName;
        const provisioned = c.computeHost !== null && c.computePort !== null;
        const body: EndpointAccess = {
          endpoint_id: c.endpointId,
          state: c.status === "deleting" ? "suspended" : c.status,
          cu: c.cu,
          max_connections: c.maxConnections,
          allowed_cidrs: c.allowedCidrs,
          compute: provisioned ? { host: c.computeHost!, port: c.computePort! } : null,
          pooler: ctx.pooler && roleKnown && provisioned ? ctx.pooler.login(c.endpointId, c.roleName) : null,
          role: roleKnown ? { name: c.roleName, scram_secret: c.scramSecret } : null,
          database: c.databaseName,
          version: c.version,
        };
        return { status: 200, body };
      },
    }),
  ];
}
