import type { z } from "zod";
import type { Principal } from "../identity/principal.js";
import type { Scope } from "../store/api-keys.js";

export type Auth =
  /** An API key with at least this scope; `operatorOnly` also requires the operator organisation. */
  | { kind: "api-key"; scope: Scope; operatorOnly?: boolean }
  /** The proxies' shared internal token. */
  | { kind: "internal" }
  | { kind: "none" };

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | null;
  /** For idempotent POSTs: the resource an earlier attempt with the same key created or changed. */
  idempotency: { resumeResourceId: string | null; remember(resourceId: string): Promise<void> };
}

/**
 * One route, described once: the zod schemas validate the request (strict objects: unknown
 * fields are rejected) and produce the OpenAPI document, so the two cannot drift apart.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI style: /v1/clusters/{id}. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  auth: Auth;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Honours the Idempotency-Key header. */
  idempotent?: boolean;
  /** Overrides the app's body limit for this route (e.g. usage batches). */
  bodyLimitBytes?: number;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler(input: RouteInput<P, Q, B>): Promise<RouteResult>;
}

/** Keeps each spec's type parameters while collecting specs in one array. */
export function route<P, Q, B>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** The organisation of an API-key route's caller (the app authenticated it before the handler). */
export function callerOrganization(principal: Principal | null): string {
  if (!principal) throw new Error("this route needs an API key principal");
  return principal.organizationId;
}
