import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { chownToServerUser, serverSpawnIds } from "../../common/postgres/index.js";
import type { Logger } from "../../common/log.js";
import { randomAlphanumeric } from "../crypto/random.js";
import { formatScramSecret, scramSecretFor } from "../../common/scram/index.js";
import { pgbouncerDatabaseName, pgbouncerUserName, renderPgBouncer, type PgBouncerFiles } from "./pgbouncer-config.js";
import type { Pooler, PoolerEntry, PoolerLogin } from "./port.js";

export const DEFAULT_PGBOUNCER_BINARY = "/usr/sbin/pgbouncer";
const ADMIN_USER = "orochi_admin";
const ADMIN_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 15_000;

export interface PgBouncerOptions {
  /** Directory for its config, auth and HBA files, log and pid file. */
  dir: string;
  host: string;
  port: number;
  /** Proxy source addresses allowed in (CIDR); default loopback. */
  allowFrom?: readonly string[];
  binary?: string;
  logger: Logger;
}

/**
 * A PgBouncer we run ourselves (local mode and tests). Tenant entries change only through
 * `apply`, which rewrites the files atomically and sends RELOAD on the admin console: sessions
 * already open keep their server connections.
 */
export async function startPgBouncer(opts: PgBouncerOptions): Promise<Pooler> {
  const binary = opts.binary ?? DEFAULT_PGBOUNCER_BINARY;
  if (!existsSync(binary)) throw new Error(`PgBouncer not found at ${binary}: install pgbouncer or choose --pooler none`);
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  chownToServerUser(opts.dir);
  // A fresh admin password per start: only this process talks to the admin console.
  const adminPassword = randomAlphanumeric(32);
  const adminSecret = formatScramSecret(await scramSecretFor(adminPassword));
  const files: PgBouncerFiles = {
    authFile: join(opts.dir, "users.txt"),
    hbaFile: join(opts.dir, "hba.conf"),
    logFile: join(opts.dir, "pgbouncer.log"),
    pidFile: join(opts.dir, "pgbouncer.pid"),
  };
  const iniFile = join(opts.dir, "pgbouncer.ini");
  const allowFrom = opts.allowFrom ?? ["127.0.0.1/32", "::1/128"];
  const write = (entries: readonly PoolerEntry[]) => {
    const rendered = renderPgBouncer({ listenHost: opts.host, listenPort: opts.port, adminUser: ADMIN_USER, adminSecret, allowFrom, files, entries });
    // Auth and HBA files first: the ini names them, and RELOAD reads all three.
    writeAtomically(files.authFile, rendered.authFile);
    writeAtomically(files.hbaFile, rendered.hbaFile);
    writeAtomically(iniFile, rendered.ini);
  };
  write([]);

  const child: ChildProcess = spawn(binary, [iniFile], { ...serverSpawnIds(), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => ((exited = true), resolve()));
    child.once("error", () => ((exited = true), resolve()));
  });

  const admin = async (command: string): Promise<void> => {
    const client = new pg.Client({
      host: opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host,
      port: opts.port,
      user: ADMIN_USER,
      password: adminPassword,
      database: "pgbouncer",
      connectionTimeoutMillis: ADMIN_TIMEOUT_MS,
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query(command);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await admin("SHOW VERSION");
      break;
    } catch (err) {
      if (exited || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`PgBouncer did not start on ${opts.host}:${opts.port}: ${stderr.trim() || String(err)} (log: ${files.logFile})`, { cause: err });
      }
      await sleep(20);
    }
  }
  opts.logger.info({ port: opts.port, dir: opts.dir }, "pgbouncer started");

  // One apply at a time: files and RELOAD must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: "pgbouncer",
    needsPlaintextPasswords: false,
    apply(entries) {
      const run = queue.then(async () => {
        write(entries);
        await admin("RELOAD");
        opts.logger.debug({ entries: entries.length }, "pgbouncer reloaded");
      });
      queue = run.catch(() => undefined);
      return run;
    },
    login(endpointId, role): PoolerLogin {
      return { host: opts.host, port: opts.port, database: pgbouncerDatabaseName(endpointId), user: pgbouncerUserName(endpointId, role) };
    },
    async close() {
      if (exited) return;
      // SIGINT: "safe shutdown" would wait for clients; SIGTERM shuts down at once (1.18).
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/** Write beside, hand to the server user, rename: PgBouncer never reads a half-written file. */
function writeAtomically(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chownToServerUser(tmp);
  renameSync(tmp, path);
}
