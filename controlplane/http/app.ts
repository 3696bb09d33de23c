import { timingSafeEqual, createHash } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type pg from "pg";
import type { Logger } from "../../common/log.js";
import { ApiError } from "../errors.js";
import { authenticate } from "../identity/authenticate.js";
import type { Principal } from "../identity/principal.js";
import type { RateLimiter } from "../identity/rate-limit.js";
import { scopeAllows } from "../identity/scopes.js";
import { UNMATCHED_ROUTE, type ControlPlaneMetrics } from "../metrics.js";
import { errorSummary } from "../provisioning/context.js";
import { runIdempotent } from "./idempotency.js";
import type { RouteSpec } from "./route.js";
import { validate } from "./validate.js";

export interface AppOptions {
  pool: pg.Pool;
  routes: RouteSpec[];
  rateLimiter: RateLimiter;
  internalToken: string;
  bodyLimitBytes: number;
  logger: Logger;
  /** Served at GET /metrics (no auth, no tenant data); every response is counted into it. */
  metrics: ControlPlaneMetrics;
}

/** fastify's own errors we answer with our codes (everything else is a 500). */
const FASTIFY_ERRORS: Record<string, () => ApiError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new ApiError("body_too_large", "request body too large"),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ApiError("unsupported_media_type", "request bodies must be application/json"),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ApiError("malformed_json", "the body is empty but Content-Type is application/json"),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ApiError("malformed_json", "the body is not valid JSON"),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ApiError("invalid_request", "Content-Length does not match the body"),
};

function toApiError(err: unknown, logger: Logger, req: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: string; statusCode?: number; name?: string };
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return known();
  // JSON.parse errors from the content parser carry statusCode 400 without a FST code.
  if (e.statusCode === 400 && e.name === "SyntaxError") return new ApiError("malformed_json", "the body is not valid JSON");
  logger.error({ err: errorSummary(err), method: req.method, url: req.url }, "unhandled error");
  return new ApiError("internal_error", "internal error; it has been logged");
}

function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply.code(err.status).headers(err.headers).header("content-type", "application/json; charset=utf-8").send(err.toBody());
}

/** Constant-time comparison of bearer tokens (hash first, so lengths leak nothing either). */
function tokensEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The fastify app: every route of `routes`, JSON errors, auth, scopes, rate limits, idempotency. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: opts.bodyLimitBytes, logger: false, return503OnClosing: true, forceCloseConnections: true });

  // JSON only: fastify also parses text/plain by default, which no route wants.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler((err, req, reply) => sendError(reply, toApiError(err, opts.logger, req)));
  app.setNotFoundHandler((req, reply) => sendError(reply, new ApiError("not_found", `no route ${req.method} ${req.url.split("?")[0]}`)));
  app.addHook("onResponse", async (req, reply) => {
    // URL without query string; headers (Authorization) are never logged.
    opts.logger.debug({ method: req.method, path: req.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
    // The route template, never the raw URL: ids and scanners' paths must not become series.
    const route = req.routeOptions.url ?? UNMATCHED_ROUTE;
    opts.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    opts.metrics.httpDuration.observe({ route }, reply.elapsedTime / 1000);
  });
  app.get("/metrics", async (_req, reply) => {
    const body = await opts.metrics.registry.metrics();
    return reply.header("content-type", opts.metrics.registry.contentType).header("cache-control", "no-store").send(body);
  });

  const methodsByPath = new Map<string, Set<string>>();
  for (const spec of opts.routes) {
    const url = spec.path.replace(/\{([a-z_]+)\}/g, ":$1");
    methodsByPath.set(url, (methodsByPath.get(url) ?? new Set()).add(spec.method));
    app.route({
      method: spec.method,
      url,
      ...(spec.bodyLimitBytes ? { bodyLimit: spec.bodyLimitBytes } : {}),
      handler: async (req, reply) => {
        const principal = await authorize(spec, req, opts);
        const params = validate(spec.params, req.params, "path");
        const query = validate(spec.query, req.query, "query");
        const body = validate(spec.body, req.body, "body");
        const idemKey = req.headers["idempotency-key"];
        const run = (idempotency: Parameters<RouteSpec["handler"]>[0]["idempotency"]) => spec.handler({ params, query, body, principal, idempotency });
        const result =
          spec.idempotent && principal && typeof idemKey === "string"
            ? await runIdempotent(opts.pool, principal.organizationId, idemKey, { method: spec.method, path: req.url.split("?")[0]!, body }, run)
            : await run({ resumeResourceId: null, remember: async () => undefined });
        return reply.code(result.status).header("cache-control", "no-store").send(result.body);
      },
    });
  }
  // A known path with another method: 405 with Allow, not 404.
  for (const [url, methods] of methodsByPath) {
    const others = ["GET", "POST", "PATCH", "PUT", "DELETE"].filter((m) => !methods.has(m) && !(m === "HEAD" && methods.has("GET")));
    if (others.length === 0) continue;
    app.route({
      method: others as ("GET" | "POST" | "PATCH" | "PUT" | "DELETE")[],
      url,
      handler: async (_req, reply) => sendError(reply.header("allow", [...methods].join(", ")), new ApiError("method_not_allowed", `allowed: ${[...methods].join(", ")}`)),
    });
  }
  await app.ready();
  return app;
}

async function authorize(spec: RouteSpec, req: FastifyRequest, opts: AppOptions): Promise<Principal | null> {
  const auth = spec.auth;
  if (auth.kind === "none") return null;
  if (auth.kind === "internal") {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m || !tokensEqual(m[1]!, opts.internalToken)) throw new ApiError("unauthenticated", "missing or wrong internal token");
    return null;
  }
  const principal = await authenticate(opts.pool, req.headers.authorization);
  const retryAfter = opts.rateLimiter.take(principal.keyId, principal.plan);
  if (retryAfter > 0) throw new ApiError("rate_limited", `rate limit of your plan (${principal.plan}) exceeded; retry after ${retryAfter} s`, { "retry-after": String(retryAfter) });
  if (!scopeAllows(principal.scope, auth.scope)) throw new ApiError("forbidden", `this call needs an API key with the ${auth.scope} scope`);
  if (auth.operatorOnly && !principal.isOperator) throw new ApiError("forbidden", "only the operator organisation may do this");
  return principal;
}
