import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

let cached: string | undefined;

/**
 * Directory holding initdb/postgres/pg_ctl: OROCHI_PG_BIN, else the newest
 * /usr/lib/postgresql/<major>/bin, else `pg_config --bindir`.
 */
export function pgBinDir(): string {
  if (cached) return cached;
  const fromEnv = process.env.OROCHI_PG_BIN;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, "postgres"))) throw new Error(`OROCHI_PG_BIN=${fromEnv} has no postgres binary`);
    return (cached = fromEnv);
  }
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((d) => /^\d+$/.test(d) && existsSync(join(base, d, "bin", "postgres")))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return (cached = join(base, majors[0], "bin"));
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (existsSync(join(dir, "postgres"))) return (cached = dir);
  } catch {
    // fall through to the error below
  }
  throw new Error("PostgreSQL server binaries not found: install postgresql or set OROCHI_PG_BIN");
}

export function pgBin(name: "postgres" | "initdb" | "pg_ctl" | "psql" | "pgbench"): string {
  if (name === "psql" || name === "pgbench") {
    const local = join(pgBinDir(), name);
    return existsSync(local) ? local : name;
  }
  return join(pgBinDir(), name);
}

/** Major version of the server binaries, e.g. 15. */
export function pgMajorVersion(): number {
  const out = execFileSync(pgBin("postgres"), ["--version"], { encoding: "utf8" });
  const m = /(\d+)(?:\.\d+)?/.exec(out);
  if (!m) throw new Error(`cannot parse postgres --version: ${out}`);
  return Number(m[1]);
}
