import { readFileSync } from "node:fs";
import pg from "pg";
import type { ProxyConfigInput } from "../../proxy/index.js";
import { startTestPostgres, type TestPostgres } from "./postgres.js";
import { startTestProxy, type TestProxy } from "./proxy.js";

export const ENDPOINT = "ep-demo-1";
export const ROLE = "app";
export const PASSWORD = "s3cret-pw";

/** A Postgres with role app/s3cret-pw behind a proxy serving it as ep-demo-1. */
export interface ProxyFixture {
  db: TestPostgres;
  proxy: TestProxy;
  ca: Buffer;
  /** node-postgres settings reaching ep-demo-1 through the proxy by SNI. */
  clientConfig(overrides?: pg.ClientConfig): pg.ClientConfig;
  /** A connected node-postgres client through the proxy. */
  connect(overrides?: pg.ClientConfig): Promise<pg.Client>;
  /** libpq keyword/value connection string through the proxy. */
  libpq(extra?: Record<string, string>): string;
  stop(): Promise<void>;
}

export async function startProxyFixture(config: Partial<ProxyConfigInput> = {}): Promise<ProxyFixture> {
  const db = await startTestPostgres();
  try {
    const secret = await db.createRole(ROLE, PASSWORD);
    const proxy = await startTestProxy({ [ENDPOINT]: { address: `127.0.0.1:${db.port}`, cu: 1, roles: { [ROLE]: secret } } }, config);
    const ca = readFileSync(proxy.caFile);
    const clientConfig = (overrides: pg.ClientConfig = {}): pg.ClientConfig => ({
      host: "127.0.0.1",
      port: proxy.port,
      user: ROLE,
      password: PASSWORD,
      database: "postgres",
      ssl: { ca, servername: proxy.host(ENDPOINT) },
      ...overrides,
    });
    return {
      db,
      proxy,
      ca,
      clientConfig,
      async connect(overrides) {
        const c = new pg.Client(clientConfig(overrides));
        c.on("error", () => undefined);
        await c.connect();
        return c;
      },
      libpq(extra = {}) {
        const kv: Record<string, string> = {
          host: proxy.host(ENDPOINT),
          hostaddr: "127.0.0.1",
          port: String(proxy.port),
          user: ROLE,
          password: PASSWORD,
          dbname: "postgres",
          sslmode: "require",
          ...extra,
        };
        return Object.entries(kv)
          .map(([k, v]) => `${k}='${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`)
          .join(" ");
      },
      async stop() {
        await proxy.stop();
        await db.stop();
      },
    };
  } catch (err) {
    await db.stop();
    throw err;
  }
}
