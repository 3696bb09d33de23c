import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chownToServerUser, copyTemplate, ensureTemplate, pgMajorVersion, startPostgres, stopPostgres } from "../../common/postgres/index.js";
import { freePort } from "../../common/free-port.js";

export interface EmbeddedPostgres {
  /** Unix-socket URL (trust auth in a private directory). */
  url: string;
  stop(): Promise<void>;
}

/**
 * The control plane's own Postgres in local mode, kept under <state dir>/controlplane/postgres so
 * a second start finds everything again. Reached over its private Unix socket only.
 */
export async function startEmbeddedPostgres(stateDir: string): Promise<EmbeddedPostgres> {
  const base = join(stateDir, "controlplane");
  const dataDir = join(base, "postgres");
  const socketDir = join(base, "socket");
  mkdirSync(base, { recursive: true, mode: 0o755 });
  chownToServerUser(base);
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    const template = await ensureTemplate(join(stateDir, "templates", String(pgMajorVersion()), "data"));
    await copyTemplate(template, dataDir);
  }
  const port = await freePort();
  // listen_addresses empty: socket only, nothing on TCP.
  const proc = await startPostgres({ dataDir, port, socketDir, listen: "" });
  return {
    url: `postgresql://postgres@/postgres?host=${encodeURIComponent(socketDir)}&port=${port}`,
    stop: () => stopPostgres(proc.pid, "fast"),
  };
}
