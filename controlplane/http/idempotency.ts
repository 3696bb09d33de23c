import { createHash } from "node:crypto";
import type pg from "pg";
import { ApiError } from "../errors.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  recordIdempotentResource,
  releaseIdempotencyKey,
} from "../store/idempotency.js";
import type { RouteInput, RouteResult } from "./route.js";

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key on POST: the first attempt claims the key; a retry with the same key and
 * request resumes from the resource the first attempt created (so a create that failed midway is
 * converged, not duplicated) or replays a finished one. The same key with another request → 422.
 */
export async function runIdempotent(
  pool: pg.Pool,
  organizationId: string,
  key: string,
  request: { method: string; path: string; body: unknown },
  run: (idempotency: RouteInput<unknown, unknown, unknown>["idempotency"]) => Promise<RouteResult>,
): Promise<RouteResult> {
  if (!KEY_PATTERN.test(key)) throw new ApiError("invalid_request", "Idempotency-Key must be 1-255 printable ASCII characters");
  const hash = createHash("sha256").update(JSON.stringify([request.method, request.path, request.body ?? null])).digest("hex");
  const earlier = await claimIdempotencyKey(pool, organizationId, key, hash);
  if (earlier && earlier.requestHash !== hash) throw new ApiError("idempotency_key_reused", "this Idempotency-Key was used for a different request");
  if (earlier && earlier.resourceId === null && earlier.statusCode === null) {
    throw new ApiError("idempotency_key_in_progress", "a request with this Idempotency-Key is still in progress; retry later");
  }
  let resourceId = earlier?.resourceId ?? null;
  const remember = async (id: string) => {
    resourceId = id;
    await recordIdempotentResource(pool, organizationId, key, id);
  };
  try {
    const result = await run({ resumeResourceId: earlier?.resourceId ?? null, remember });
    await completeIdempotencyKey(pool, organizationId, key, result.status);
    return result;
  } catch (err) {
    // Nothing was created: let the same key try again. Otherwise keep it so a retry resumes.
    if (resourceId === null) await releaseIdempotencyKey(pool, organizationId, key).catch(() => undefined);
    throw err;
  }
}
