import type { PoolerEntry } from "./port.js";

export interface PgCatRenderInput {
  listenHost: string;
  listenPort: number;
  adminUser: string;
  adminPassword: string;
  entries: readonly PoolerEntry[];
}

/**
 * pgcat.toml with one pool per endpoint (the pool name is what clients send as database). PgCat
 * keeps users per pool, so two tenants' "app" roles never meet; but its config has no field for a
 * SCRAM secret (see PgCat's reference configs), so a pool user carries the plaintext password.
 * Only keys found in PgCat's own example configs are emitted (checked by a test).
 */
export function renderPgCat(input: PgCatRenderInput): string {
  const lines = [
    "# written by the Orochi control plane: edits are overwritten",
    "[general]",
    `host = ${str(input.listenHost)}`,
    `port = ${input.listenPort}`,
    `admin_username = ${str(input.adminUser)}`,
    `admin_password = ${str(input.adminPassword)}`,
    "connect_timeout = 5000",
    "idle_timeout = 30000",
    "",
  ];
  for (const e of [...input.entries].sort((a, b) => a.endpointId.localeCompare(b.endpointId))) {
    if (e.password === undefined) throw new Error(`PgCat needs the plaintext password of ${e.endpointId}`);
    const pool = `pools.${str(e.endpointId)}`;
    lines.push(
      `[${pool}]`,
      `pool_mode = "transaction"`,
      `default_role = "primary"`,
      "query_parser_enabled = false",
      "",
      `[${pool}.users.0]`,
      `username = ${str(e.role)}`,
      `password = ${str(e.password)}`,
      `pool_size = ${e.poolSize}`,
      "statement_timeout = 0",
      "",
      `[${pool}.shards.0]`,
      `servers = [[${str(e.computeHost)}, ${e.computePort}, "primary"]]`,
      `database = ${str(e.database)}`,
      "",
    );
  }
  return lines.join("\n");
}

/** A TOML basic string. */
function str(s: string): string {
  return JSON.stringify(s);
}
