import { readFileSync } from "node:fs";
import pg from "pg";
import type { TestPostgres } from "../harness/postgres.js";
import { startOrochi, type OrochiProcess } from "../harness/orochi-process.js";

export const LOCAL_DOMAIN = "local.orochi.localhost";

/** One `orochi proxy` process on free ports. */
export interface Replica {
  readonly proc: OrochiProcess;
  readonly port: number;
  readonly httpPort: number;
  readonly ca: Buffer;
  /** Its /metrics text. */
  metrics(): Promise<string>;
  /** node-postgres settings for an endpoint through this replica (SNI). */
  client(endpoint: string, overrides?: pg.ClientConfig): pg.Client;
}

/**
 * Start a proxy replica. Replicas given the same --state-dir share the local CA and the key of
 * the fake verifiers, as production replicas share theirs: start them one after the other, so
 * the first creates what the others read.
 */
export async function startReplica(args: string[]): Promise<Replica> {
  const proc = await startOrochi(["proxy", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", ...args]);
  const port = proc.ready.port as number;
  const httpPort = proc.ready.http_port as number;
  const ca = readFileSync(proc.ready.ca_file as string);
  return {
    proc,
    port,
    httpPort,
    ca,
    metrics: async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text(),
    client(endpoint, overrides = {}) {
      const c = new pg.Client({ host: "127.0.0.1", port, database: "postgres", ssl: { ca, servername: `${endpoint}.${LOCAL_DOMAIN}` }, ...overrides });
      c.on("error", () => undefined);
      return c;
    },
  };
}

/** A sample's value in Prometheus text (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",");
    if (wanted.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

/** Connect; the server's error (with its SQLSTATE) or null on success. The client is left connected on success. */
export async function connectError(client: pg.Client): Promise<pg.DatabaseError | null> {
  return client.connect().then(
    () => null,
    (err: pg.DatabaseError) => err,
  );
}

/** Wait until `query` runs on the server (so a cancel has something to cancel). */
export async function waitForActiveQuery(db: TestPostgres, query: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await db.sql("select 1 from pg_stat_activity where query = $1 and state = 'active'", [query]);
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`query never started: ${query}`);
}

/** The sum of a metric's samples over all label values. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) sum += Number(m[2]);
  }
  return sum;
}
