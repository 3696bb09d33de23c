import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { packageRoot } from "../../common/paths.js";
import { withTransaction } from "./db.js";

/** Arbitrary constant: the advisory lock every control plane replica takes to migrate. */
const MIGRATION_LOCK_ID = 0x6f726f63; // "oroc"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** controlplane/migrations/NNN_name.sql, read relative to the package so dist/ finds them too. */
export function loadMigrations(dir = join(packageRoot(), "controlplane", "migrations")): Migration[] {
  return readdirSync(dir)
    .map((file) => /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, m[0]), "utf8") }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Apply the migrations not yet recorded, all in one transaction under an advisory lock, so
 * replicas starting together migrate once and a failure leaves the schema as it was.
 * Returns the versions applied by this call.
 */
export async function migrate(pool: pg.Pool, migrations = loadMigrations()): Promise<number[]> {
  return withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set((await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
