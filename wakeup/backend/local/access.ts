import pg from "pg";
import type { ComputeSpec } from "../compute-backend.js";

/** The superuser the template was initialised with; reachable only through the private socket. */
const SUPERUSER = "postgres";

/**
 * Make the tenant's role and database match the spec, idempotently: the role exists, can log in
 * and has exactly this SCRAM secret (PostgreSQL stores a pre-hashed SCRAM-SHA-256$… value
 * verbatim, so no password ever exists here), and the database exists and belongs to it.
 * The secret is validated before it gets here (base64 and `$:` only), and utility statements take
 * no bind parameters, hence the escaped literals.
 */
export async function applyRoleAndDatabase(socketDir: string, port: number, spec: ComputeSpec): Promise<void> {
  const client = new pg.Client({ host: socketDir, port, user: SUPERUSER, database: "postgres" });
  await client.connect();
  try {
    const role = client.escapeIdentifier(spec.role);
    const secret = client.escapeLiteral(spec.scramSecret);
    const roleExists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [spec.role]);
    await client.query(roleExists.rowCount ? `ALTER ROLE ${role} WITH LOGIN PASSWORD ${secret}` : `CREATE ROLE ${role} LOGIN PASSWORD ${secret}`);
    const db = await client.query<{ owner: string }>(
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
      [spec.database],
    );
    const database = client.escapeIdentifier(spec.database);
    if (db.rows.length === 0) await client.query(`CREATE DATABASE ${database} OWNER ${role}`);
    else if (db.rows[0]!.owner !== spec.role) await client.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
  } finally {
    await client.end();
  }
}
