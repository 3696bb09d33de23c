import { z } from "zod";
import { ERROR_CODES } from "../errors.js";
import type { RouteSpec } from "./route.js";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** Path or query parameters from a zod object's fields. */
function parameters(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const json = jsonSchema(schema, "input");
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === "path" || required.has(name), schema: rest, ...(description ? { description } : {}) };
  });
}

/**
 * The OpenAPI 3.1 document of every route, generated from the same zod schemas that validate
 * requests (JSON Schema 2020-12 is OpenAPI 3.1's dialect).
 */
export function openApiDocument(routes: RouteSpec[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = res.schema ? { description: res.description, content: { "application/json": { schema: jsonSchema(res.schema, "output") } } } : { description: res.description };
    }
    const error = { $ref: "#/components/responses/Error" };
    if (r.auth.kind !== "none") responses["401"] ??= error;
    if (r.auth.kind === "api-key") {
      responses["403"] ??= error;
      responses["429"] ??= { $ref: "#/components/responses/RateLimited" };
    }
    if (r.body || r.query || r.params) responses["400"] ??= error;
    responses.default = error;
    const op: JsonSchema = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      parameters: [
        ...parameters(r.params, "path"),
        ...parameters(r.query, "query"),
        ...(r.idempotent
          ? [{ name: "Idempotency-Key", in: "header", required: false, description: "retry-safe POST: the same key with the same request resumes or replays", schema: { type: "string", maxLength: 255 } }]
          : []),
      ],
      responses,
      security: r.auth.kind === "none" ? [] : r.auth.kind === "internal" ? [{ internalToken: [] }] : [{ apiKey: [] }],
      ...(r.auth.kind === "api-key" ? { "x-orochi-scope": r.auth.scope } : {}),
    };
    if (r.body) {
      const body = jsonSchema(r.body, "input");
      op.requestBody = { required: !r.body.safeParse(undefined).success, content: { "application/json": { schema: body } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  const errorSchema = {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "string", enum: Object.keys(ERROR_CODES) }, message: { type: "string" } },
      },
    },
  };
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info,
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "orochi_sk_… API key (scopes read < write < admin)" },
        internalToken: { type: "http", scheme: "bearer", description: "shared token of the proxies (internal API)" },
      },
      schemas: { Error: errorSchema },
      responses: {
        Error: { description: "error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        RateLimited: {
          description: "rate limit exceeded",
          headers: { "Retry-After": { description: "seconds until a request is allowed again", schema: { type: "integer" } } },
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    },
  };
}
