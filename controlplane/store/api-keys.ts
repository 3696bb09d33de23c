import type { Queryable } from "./db.js";
import type { Plan } from "./organizations.js";

export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  name: string;
  scope: Scope;
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  organization_id: string;
  name: string;
  scope: Scope;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

const toRecord = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  scope: r.scope,
  keyPrefix: r.key_prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export async function insertApiKey(
  db: Queryable,
  key: { id: string; organizationId: string; name: string; scope: Scope; keyHash: Buffer; keyPrefix: string },
): Promise<ApiKeyRecord> {
  const { rows } = await db.query<ApiKeyRow>(
    "INSERT INTO api_keys (id, organization_id, name, scope, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    [key.id, key.organizationId, key.name, key.scope, key.keyHash, key.keyPrefix],
  );
  return toRecord(rows[0]!);
}

/** The unrevoked key with this hash, with its organisation's plan (for rate limits). */
export async function findActiveApiKey(db: Queryable, keyHash: Buffer): Promise<(ApiKeyRecord & { plan: Plan; isOperator: boolean }) | null> {
  const { rows } = await db.query<ApiKeyRow & { plan: Plan; is_operator: boolean }>(
    `SELECT k.*, o.plan, o.is_operator FROM api_keys k JOIN organizations o ON o.id = k.organization_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [keyHash],
  );
  const row = rows[0];
  return row ? { ...toRecord(row), plan: row.plan, isOperator: row.is_operator } : null;
}

export async function listApiKeys(db: Queryable, organizationId: string): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<ApiKeyRow>("SELECT * FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id", [organizationId]);
  return rows.map(toRecord);
}

/** Revoke; null when the key is not this organisation's (callers answer 404 either way). */
export async function revokeApiKey(db: Queryable, organizationId: string, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query<ApiKeyRow>(
    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE organization_id = $1 AND id = $2 RETURNING *",
    [organizationId, id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}
