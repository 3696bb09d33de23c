import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  copyTemplate,
  ensureTemplate,
  pgMajorVersion,
  startPostgres,
  stopPostgres,
  type PostgresProcess,
} from "../../common/postgres/index.js";
import { freePort } from "./ports.js";
import { tempDir } from "./tempdir.js";

/** A throwaway PostgreSQL server for a test: copied from a cached template, on a free port. */
export interface TestPostgres {
  readonly port: number;
  readonly host: "127.0.0.1";
  readonly socketDir: string;
  readonly dataDir: string;
  readonly process: PostgresProcess;
  /** Superuser client over the Unix socket (trust). */
  admin(database?: string): pg.Client;
  /** Run SQL as superuser. */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  /** CREATE ROLE … LOGIN PASSWORD and return its pg_authid.rolpassword (the SCRAM secret). */
  createRole(name: string, password: string, opts?: { superuser?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

export interface TestPostgresOptions {
  settings?: Record<string, string | number | boolean>;
  /** Enable server TLS with this certificate and key (PEM file paths). */
  ssl?: { certFile: string; keyFile: string };
}

export async function templateDir(): Promise<string> {
  return ensureTemplate(join(tmpdir(), "orochi-pg-template", String(pgMajorVersion()), "data"));
}

export async function startTestPostgres(opts: TestPostgresOptions = {}): Promise<TestPostgres> {
  const template = await templateDir();
  const dir = tempDir("orochi-pg-");
  const dataDir = join(dir.path, "data");
  await copyTemplate(template, dataDir);
  const settings: Record<string, string | number | boolean> = {
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: 200,
    ...opts.settings,
  };
  if (opts.ssl) Object.assign(settings, { ssl: "on", ssl_cert_file: opts.ssl.certFile, ssl_key_file: opts.ssl.keyFile });
  let proc: PostgresProcess | undefined;
  for (let attempt = 0; !proc; attempt++) {
    const port = await freePort();
    try {
      proc = await startPostgres({ dataDir, port, socketDir: join(dir.path, "sock"), settings });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const running = proc;
  const admin = (database = "postgres") =>
    new pg.Client({ host: running.socketDir, port: running.port, user: "postgres", database });
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
        const ident = c.escapeIdentifier(name);
        await c.query(`CREATE ROLE ${ident} LOGIN ${roleOpts.superuser ? "SUPERUSER" : ""} PASSWORD ${c.escapeLiteral(password)}`);
        const r = await c.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [name]);
        return r.rows[0]!.rolpassword;
      } finally {
        await c.end();
      }
    },
    async stop() {
      await stopPostgres(running.pid, "immediate");
      dir.remove();
    },
  };
}
