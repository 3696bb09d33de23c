import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { pgBin } from "./binaries.js";
import { chownToServerUser, serverSpawnIds } from "./server-user.js";

const execFileAsync = promisify(execFile);

/**
 * The host-based authentication every instance we start uses: the private Unix socket
 * (directory mode 0700) is trusted for administration; TCP needs SCRAM-SHA-256.
 */
export const HBA_CONF = [
  "# written by orochi: socket trusted (private directory), TCP by SCRAM only",
  "local all all trust",
  "host all all 127.0.0.1/32 scram-sha-256",
  "host all all ::1/128 scram-sha-256",
  "",
].join("\n");

/**
 * initdb once into `dir` (atomically: build beside it, then rename), so instances are made by
 * copying the template instead of paying for initdb each time. Safe against concurrent callers.
 */
export async function ensureTemplate(dir: string): Promise<string> {
  if (existsSync(join(dir, "PG_VERSION"))) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  chownToServerUser(dirname(dir));
  const work = mkdtempSync(join(dirname(dir), ".template-"));
  chownToServerUser(work);
  const data = join(work, "data");
  try {
    await execFileAsync(
      pgBin("initdb"),
      ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
      { ...serverSpawnIds(), env: { ...process.env, LC_ALL: "C.UTF-8" } },
    );
    writeFileSync(join(data, "pg_hba.conf"), HBA_CONF);
    chownToServerUser(join(data, "pg_hba.conf"));
    try {
      renameSync(data, dir);
    } catch (err) {
      if (!existsSync(join(dir, "PG_VERSION"))) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** Copy a template data directory (ownership and modes preserved). */
export async function copyTemplate(template: string, dest: string): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  await execFileAsync("cp", ["-a", template, dest]);
}
