import { route, type RouteSpec } from "../http/route.js";
import { openApiDocument } from "../http/openapi.js";
import { clusterRoutes } from "./clusters.js";
import type { ApiDeps } from "./deps.js";
import { identityRoutes } from "./identity.js";
import { internalRoutes } from "./internal.js";
import { usageRoutes } from "./usage.js";

export const API_VERSION = "1.0.0";

/** Every route of the control plane, the OpenAPI document included (it describes the others). */
export function allRoutes(deps: ApiDeps): RouteSpec[] {
  const routes = [...clusterRoutes(deps), ...usageRoutes(deps), ...identityRoutes(deps), ...internalRoutes(deps)];
  let document: unknown;
  routes.push(
    route({
      method: "GET",
      path: "/v1/openapi.json",
      operationId: "getOpenApi",
      summary: "This document (OpenAPI 3.1)",
      tag: "meta",
      auth: { kind: "none" },
      responses: { 200: { description: "OpenAPI 3.1 document" } },
      async handler() {
        document ??= openApiDocument(routes, { title: "Orochi Cloud control plane", version: API_VERSION });
        return { status: 200, body: document };
      },
    }),
    route({
      method: "GET",
      path: "/healthz",
      operationId: "health",
      summary: "Liveness (no auth)",
      tag: "meta",
      auth: { kind: "none" },
      responses: { 200: { description: "alive" } },
      async handler() {
        return { status: 200, body: { status: "ok" } };
      },
    }),
  );
  return routes;
}
