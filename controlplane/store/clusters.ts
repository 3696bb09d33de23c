import type { Size, Tier } from "../sizes.js";
import type { Queryable } from "./db.js";

export const CLUSTER_STATUSES = ["provisioning", "running", "suspended", "failed", "deleting"] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

export interface ClusterRecord {
  id: string;
  organizationId: string;
  name: string;
  endpointId: string;
  region: string;
  tier: Tier;
  size: Size;
  cu: number;
  minCu: number;
  maxCu: number;
  autoSuspendSeconds: number;
  maxConnections: number;
  allowedCidrs: string[];
  databaseName: string;
  roleName: string;
  passwordSealed: Buffer;
  scramSecret: string;
  status: ClusterStatus;
  computeHost: string | null;
  computePort: number | null;
  converged: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  purgedAt: Date | null;
}

/** Columns by field, the single mapping between records and rows. */
const COLUMNS = {
  id: "id",
  organizationId: "organization_id",
  name: "name",
  endpointId: "endpoint_id",
  region: "region",
  tier: "tier",
  size: "size",
  cu: "cu",
  minCu: "min_cu",
  maxCu: "max_cu",
  autoSuspendSeconds: "auto_suspend_seconds",
  maxConnections: "max_connections",
  allowedCidrs: "allowed_cidrs",
  databaseName: "database_name",
  roleName: "role_name",
  passwordSealed: "password_sealed",
  scramSecret: "scram_secret",
  status: "status",
  computeHost: "compute_host",
  computePort: "compute_port",
  converged: "converged",
  version: "version",
  createdAt: "created_at",
  updatedAt: "updated_at",
  deletedAt: "deleted_at",
  purgedAt: "purged_at",
} as const satisfies Record<keyof ClusterRecord, string>;

type Row = Record<string, unknown>;

function toRecord(row: Row): ClusterRecord {
  const out: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(COLUMNS)) out[field] = row[column];
  // bigint comes back as a string from pg; versions stay far below 2^53.
  out.version = Number(row.version);
  return out as unknown as ClusterRecord;
}

export type NewCluster = Omit<ClusterRecord, "version" | "createdAt" | "updatedAt" | "deletedAt" | "purgedAt" | "computeHost" | "computePort" | "converged">;

export async function insertCluster(db: Queryable, c: NewCluster): Promise<ClusterRecord> {
  const fields = Object.keys(c) as (keyof NewCluster)[];
  const columns = fields.map((f) => COLUMNS[f]);
  const { rows } = await db.query(
    `INSERT INTO clusters (${columns.join(", ")}) VALUES (${fields.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING *`,
    fields.map((f) => c[f]),
  );
  return toRecord(rows[0]!);
}

export type ClusterChange = Partial<Omit<ClusterRecord, "id" | "organizationId" | "endpointId" | "version" | "createdAt" | "updatedAt">>;

/**
 * Update fields of one cluster. `bumpVersion` marks a change proxies must see (their cached
 * access info is stale from now on). Returns the new record, or null when the row is gone.
 */
export async function updateCluster(db: Queryable, id: string, change: ClusterChange, bumpVersion: boolean): Promise<ClusterRecord | null> {
  const fields = Object.keys(change).filter((f) => change[f as keyof ClusterChange] !== undefined) as (keyof ClusterChange)[];
  const sets = fields.map((f, i) => `${COLUMNS[f]} = $${i + 2}`);
  sets.push("updated_at = now()");
  if (bumpVersion) sets.push("version = version + 1");
  const { rows } = await db.query(`UPDATE clusters SET ${sets.join(", ")} WHERE id = $1 RETURNING *`, [id, ...fields.map((f) => change[f])]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** By id (`cl_…`) or by name among the organisation's live clusters. Purged clusters are gone. */
export async function findCluster(db: Queryable, organizationId: string, idOrName: string): Promise<ClusterRecord | null> {
  const byId = idOrName.startsWith("cl_");
  const { rows } = await db.query(
    byId
      ? "SELECT * FROM clusters WHERE organization_id = $1 AND id = $2 AND purged_at IS NULL"
      : "SELECT * FROM clusters WHERE organization_id = $1 AND name = $2 AND deleted_at IS NULL",
    [organizationId, idOrName],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function getClusterById(db: Queryable, id: string): Promise<ClusterRecord | null> {
  const { rows } = await db.query("SELECT * FROM clusters WHERE id = $1", [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Lock the row for a read-modify-write sequence inside a transaction. */
export async function lockCluster(db: Queryable, id: string): Promise<ClusterRecord | null> {
  const { rows } = await db.query("SELECT * FROM clusters WHERE id = $1 FOR UPDATE", [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function listClusters(db: Queryable, organizationId: string, includeDeleted: boolean): Promise<ClusterRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM clusters WHERE organization_id = $1 AND purged_at IS NULL ${includeDeleted ? "" : "AND deleted_at IS NULL"} ORDER BY created_at, id`,
    [organizationId],
  );
  return rows.map(toRecord);
}

/** The live (not deleted) cluster behind an endpoint id: what proxies may route to. */
export async function findLiveClusterByEndpoint(db: Queryable, endpointId: string): Promise<ClusterRecord | null> {
  const { rows } = await db.query("SELECT * FROM clusters WHERE endpoint_id = $1 AND deleted_at IS NULL", [endpointId]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Every cluster whose entry belongs in the pooler (live and provisioned). */
export async function listPoolableClusters(db: Queryable): Promise<ClusterRecord[]> {
  const { rows } = await db.query("SELECT * FROM clusters WHERE deleted_at IS NULL AND compute_host IS NOT NULL ORDER BY endpoint_id");
  return rows.map(toRecord);
}

/** Clusters whose scheduler/pooler side has not caught up, or soft-deleted ones past their grace period. */
export async function listClustersNeedingWork(db: Queryable, purgeBefore: Date): Promise<ClusterRecord[]> {
  const { rows } = await db.query(
    "SELECT * FROM clusters WHERE purged_at IS NULL AND (NOT converged OR (deleted_at IS NOT NULL AND deleted_at < $1)) ORDER BY updated_at",
    [purgeBefore],
  );
  return rows.map(toRecord);
}

/**
 * Record that the scheduler and pooler reflect this version of the row. A row changed meanwhile
 * (higher version) stays unconverged, so the newer change is converged too.
 */
export async function markConverged(db: Queryable, id: string, version: number): Promise<boolean> {
  const r = await db.query("UPDATE clusters SET converged = true WHERE id = $1 AND version = $2", [id, version]);
  return r.rowCount === 1;
}
