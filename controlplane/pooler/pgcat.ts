import { renameSync, writeFileSync } from "node:fs";
import pg from "pg";
import type { Logger } from "../../common/log.js";
import { renderPgCat } from "./pgcat-config.js";
import type { Pooler, PoolerLogin } from "./port.js";

export interface PgCatOptions {
  /** pgcat.toml that the (separately run) PgCat reads. */
  configFile: string;
  /** Where PgCat listens for clients (and its admin console). */
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  logger: Logger;
}

/**
 * A PgCat run by the platform (production): we own its pgcat.toml and reload it through its
 * admin console (`RELOAD` on the virtual `pgcat` database), never by restarting it.
 */
export function createPgCatPooler(opts: PgCatOptions): Pooler {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: "pgcat",
    needsPlaintextPasswords: true,
    apply(entries) {
      const run = queue.then(async () => {
        const toml = renderPgCat({ listenHost: opts.host, listenPort: opts.port, adminUser: opts.adminUser, adminPassword: opts.adminPassword, entries });
        const tmp = `${opts.configFile}.tmp-${process.pid}`;
        writeFileSync(tmp, toml, { mode: 0o600 });
        renameSync(tmp, opts.configFile);
        const client = new pg.Client({ host: opts.host, port: opts.port, user: opts.adminUser, password: opts.adminPassword, database: "pgcat", connectionTimeoutMillis: 5_000 });
        client.on("error", () => undefined);
        try {
          await client.connect();
          await client.query("RELOAD");
        } finally {
          await client.end().catch(() => undefined);
        }
        opts.logger.debug({ entries: entries.length }, "pgcat reloaded");
      });
      queue = run.catch(() => undefined);
      return run;
    },
    // Pools are per endpoint and users per pool, so the real role name is unambiguous here.
    login(endpointId, role): PoolerLogin {
      return { host: opts.host, port: opts.port, database: endpointId, user: role };
    },
    async close() {
      await queue;
    },
  };
}
