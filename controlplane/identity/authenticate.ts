import type pg from "pg";
import { ApiError } from "../errors.js";
import { findActiveApiKey } from "../store/api-keys.js";
import { hashApiKey, looksLikeApiKey } from "./api-key-secret.js";
import type { Principal } from "./principal.js";

/** `Authorization: Bearer orochi_sk_…` → the key's principal, or 401. */
export async function authenticate(pool: pg.Pool, authorization: string | undefined): Promise<Principal> {
  if (!authorization) throw new ApiError("unauthenticated", "missing Authorization header (expected: Bearer orochi_sk_…)");
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m) throw new ApiError("unauthenticated", "malformed Authorization header (expected: Bearer orochi_sk_…)");
  const token = m[1]!;
  // Same answer for malformed, unknown and revoked keys: nothing to learn by probing.
  if (!looksLikeApiKey(token)) throw new ApiError("invalid_api_key", "the API key is invalid or revoked");
  const key = await findActiveApiKey(pool, hashApiKey(token));
  if (!key) throw new ApiError("invalid_api_key", "the API key is invalid or revoked");
  return { keyId: key.id, organizationId: key.organizationId, plan: key.plan, scope: key.scope, isOperator: key.isOperator };
}
