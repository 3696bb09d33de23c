import { ApiError } from "../errors.js";
import { createApiKey } from "../identity/api-keys.js";
import { callerOrganization, route, type RouteSpec } from "../http/route.js";
import { newOrganizationId } from "../names.js";
import { listApiKeys, revokeApiKey } from "../store/api-keys.js";
import { withTransaction } from "../store/db.js";
import { getOrganization, insertOrganization } from "../store/organizations.js";
import type { ApiDeps } from "./deps.js";
import * as S from "./schemas.js";
import { apiKeyView, organizationView } from "./views.js";

export function identityRoutes(deps: ApiDeps): RouteSpec[] {
  const { pool } = deps.ctx;
  const org = callerOrganization;
  return [
    route({
      method: "GET",
      path: "/v1/organization",
      operationId: "getOrganization",
      summary: "The caller's organisation",
      tag: "identity",
      auth: { kind: "api-key", scope: "read" },
      responses: { 200: { description: "organisation", schema: S.Organization } },
      async handler({ principal }) {
        const o = await getOrganization(pool, org(principal));
        if (!o) throw new ApiError("not_found", "organisation not found");
        return { status: 200, body: organizationView(o) };
      },
    }),
    route({
      method: "POST",
      path: "/v1/organizations",
      operationId: "createOrganization",
      summary: "Create an organisation and its first admin key (operator organisation only)",
      tag: "identity",
      auth: { kind: "api-key", scope: "admin", operatorOnly: true },
      body: S.CreateOrganizationBody,
      responses: { 201: { description: "created; the admin key is shown once", schema: S.CreatedOrganization } },
      async handler({ body }) {
        const { organization, created } = await withTransaction(pool, async (tx) => {
          const organization = await insertOrganization(tx, { id: newOrganizationId(), name: body.name, plan: body.plan ?? "free", isOperator: false });
          return { organization, created: await createApiKey(tx, organization.id, "initial admin", "admin") };
        });
        return { status: 201, body: { organization: organizationView(organization), admin_key: { ...apiKeyView(created.record), key: created.key } } };
      },
    }),
    route({
      method: "GET",
      path: "/v1/api-keys",
      operationId: "listApiKeys",
      summary: "List the organisation's API keys (never the keys themselves)",
      tag: "identity",
      auth: { kind: "api-key", scope: "admin" },
      responses: { 200: { description: "keys", schema: S.ApiKeyList } },
      async handler({ principal }) {
        return { status: 200, body: { api_keys: (await listApiKeys(pool, org(principal))).map(apiKeyView) } };
      },
    }),
    route({
      method: "POST",
      path: "/v1/api-keys",
      operationId: "createApiKey",
      summary: "Create an API key; the key is shown once",
      tag: "identity",
      auth: { kind: "api-key", scope: "admin" },
      body: S.CreateApiKeyBody,
      idempotent: true,
      responses: { 201: { description: "created", schema: S.CreatedApiKey } },
      async handler({ body, principal, idempotency }) {
        if (idempotency.resumeResourceId) {
          // Only the hash is kept, so a replay cannot show the key again.
          const earlier = (await listApiKeys(pool, org(principal))).find((k) => k.id === idempotency.resumeResourceId);
          if (earlier) return { status: 201, body: { ...apiKeyView(earlier), key: null } };
        }
        const { record, key } = await createApiKey(pool, org(principal), body.name, body.scope);
        await idempotency.remember(record.id);
        return { status: 201, body: { ...apiKeyView(record), key } };
      },
    }),
    route({
      method: "DELETE",
      path: "/v1/api-keys/{id}",
      operationId: "revokeApiKey",
      summary: "Revoke an API key (effective immediately)",
      tag: "identity",
      auth: { kind: "api-key", scope: "admin" },
      params: S.ApiKeyParams,
      responses: { 200: { description: "revoked", schema: S.ApiKey }, 404: { description: "no such key", schema: S.ErrorResponse } },
      async handler({ params, principal }) {
        const revoked = await revokeApiKey(pool, org(principal), params.id);
        if (!revoked) throw new ApiError("api_key_not_found", `API key "${params.id}" not found`);
        return { status: 200, body: apiKeyView(revoked) };
      },
    }),
  ];
}
