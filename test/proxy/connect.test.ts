import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres, type TestPostgres } from "../harness/postgres.js";
import { startTestProxy, type TestProxy } from "../harness/proxy.js";

describe("proxy: clients connect through the proxy", () => {
  let db: TestPostgres;
  let proxy: TestProxy;
  const endpoint = "ep-demo-1";

  beforeAll(async () => {
    db = await startTestPostgres();
    const secret = await db.createRole("app", "s3cret-pw");
    proxy = await startTestProxy({ [endpoint]: { address: `127.0.0.1:${db.port}`, cu: 1, roles: { app: secret } } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await db?.stop();
  });

  it("node-postgres with SNI (ssl.servername) runs queries", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: proxy.port,
      user: "app",
      password: "s3cret-pw",
      database: "postgres",
      ssl: { ca: readFileSync(proxy.caFile), servername: proxy.host(endpoint) },
    });
    await client.connect();
    const r = await client.query("select current_user as u, 40 + 2 as n");
    expect(r.rows[0]).toEqual({ u: "app", n: 42 });
    await client.end();
  });
});
