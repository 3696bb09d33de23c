import type { Queryable } from "./db.js";

export interface IdempotencyRecord {
  requestHash: string;
  resourceId: string | null;
  statusCode: number | null;
  createdAt: Date;
}

/** How long a key is remembered; a retry after that is a new request. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * Claim a key for a request. Returns null when this call claimed it (a fresh request), else the
 * record of the earlier attempt (finished or not).
 */
export async function claimIdempotencyKey(db: Queryable, organizationId: string, key: string, requestHash: string): Promise<IdempotencyRecord | null> {
  await db.query(`DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND created_at < now() - interval '${IDEMPOTENCY_TTL_HOURS} hours'`, [
    organizationId,
    key,
  ]);
  const inserted = await db.query(
    "INSERT INTO idempotency_keys (organization_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key",
    [organizationId, key, requestHash],
  );
  if (inserted.rowCount === 1) return null;
  const { rows } = await db.query<{ request_hash: string; resource_id: string | null; status_code: number | null; created_at: Date }>(
    "SELECT request_hash, resource_id, status_code, created_at FROM idempotency_keys WHERE organization_id = $1 AND key = $2",
    [organizationId, key],
  );
  const row = rows[0];
  // Deleted between our insert and select (expired): claim again.
  if (!row) return claimIdempotencyKey(db, organizationId, key, requestHash);
  return { requestHash: row.request_hash, resourceId: row.resource_id, statusCode: row.status_code, createdAt: row.created_at };
}

export async function recordIdempotentResource(db: Queryable, organizationId: string, key: string, resourceId: string): Promise<void> {
  await db.query("UPDATE idempotency_keys SET resource_id = $3 WHERE organization_id = $1 AND key = $2", [organizationId, key, resourceId]);
}

export async function completeIdempotencyKey(db: Queryable, organizationId: string, key: string, statusCode: number): Promise<void> {
  await db.query("UPDATE idempotency_keys SET status_code = $3 WHERE organization_id = $1 AND key = $2", [organizationId, key, statusCode]);
}

/** Forget an attempt that failed before creating anything, so the same key can be retried. */
export async function releaseIdempotencyKey(db: Queryable, organizationId: string, key: string): Promise<void> {
  await db.query("DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND status_code IS NULL AND resource_id IS NULL", [organizationId, key]);
}
