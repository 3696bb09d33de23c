import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../free-port.js";
import { pgMajorVersion } from "./binaries.js";
import { startPostgres, stopPostgres, type PostgresProcess } from "./instance.js";
import { copyTemplate, ensureTemplate } from "./template.js";

/** A throwaway PostgreSQL server (tests, benchmarks): copied from a cached template, on a free port. */
export interface EphemeralPostgres {
  readonly port: number;
  readonly host: "127.0.0.1";
  readonly socketDir: string;
  readonly dataDir: string;
  readonly process: PostgresProcess;
  /** Superuser client over the Unix socket (trust). */
  admin(database?: string): pg.Client;
  /** Run SQL as superuser. */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  /** CREATE ROLE … LOGIN PASSWORD and return its pg_authid.rolpassword (the SCRAM verifier). */
  createRole(name: string, password: string, opts?: { superuser?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

export interface EphemeralPostgresOptions {
  settings?: Record<string, string | number | boolean>;
  /** Durable settings (fsync etc.) instead of the fast throwaway ones. */
  durable?: boolean;
}

/** The shared initdb template for throwaway servers, made once per machine and major version. */
export function ephemeralTemplate(): Promise<string> {
  return ensureTemplate(join(tmpdir(), "orochi-pg-template", String(pgMajorVersion()), "data"));
}

export async function startEphemeralPostgres(opts: EphemeralPostgresOptions = {}): Promise<EphemeralPostgres> {
  const template = await ephemeralTemplate();
  const dir = mkdtempSync(join(tmpdir(), "orochi-pg-"));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, "data");
  await copyTemplate(template, dataDir);
  const settings: Record<string, string | number | boolean> = {
    ...(opts.durable ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }),
    max_connections: 200,
    ...opts.settings,
  };
  let proc: PostgresProcess | undefined;
  for (let attempt = 0; !proc; attempt++) {
    try {
      proc = await startPostgres({ dataDir, port: await freePort(), socketDir: join(dir, "sock"), settings });
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const running = proc;
  const admin = (database = "postgres") => new pg.Client({ host: running.socketDir, port: running.port, user: "postgres", database });
  const sql = async <T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> => {
    const c = admin();
    await c.connect();
    try {
      return (await c.query<T>(text, params)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    port: running.port,
    host: "127.0.0.1",
    socketDir: running.socketDir,
    dataDir,
    process: running,
    admin,
    sql,
    async createRole(name, password, roleOpts = {}) {
      const c = admin();
      await c.connect();
      try {
        await c.query(`CREATE ROLE ${c.escapeIdentifier(name)} LOGIN ${roleOpts.superuser ? "SUPERUSER" : ""} PASSWORD ${c.escapeLiteral(password)}`);
        const r = await c.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [name]);
        return r.rows[0]!.rolpassword;
      } finally {
        await c.end();
      }
    },
    async stop() {
      await stopPostgres(running.pid, "immediate");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
