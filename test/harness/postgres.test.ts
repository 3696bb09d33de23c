import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startTestPostgres, type TestPostgres } from "./postgres.js";

describe("test Postgres harness", () => {
  let db: TestPostgres;
  beforeAll(async () => {
    db = await startTestPostgres();
  });
  afterAll(async () => db?.stop());

  it("answers over the socket and by SCRAM over TCP", async () => {
    const secret = await db.createRole("harness_user", "pw-1");
    expect(secret).toMatch(/^SCRAM-SHA-256\$4096:/);
    const c = new pg.Client({ host: "127.0.0.1", port: db.port, user: "harness_user", password: "pw-1", database: "postgres" });
    await c.connect();
    const r = await c.query("select 1 as one");
    expect(r.rows[0].one).toBe(1);
    await c.end();
    const bad = new pg.Client({ host: "127.0.0.1", port: db.port, user: "harness_user", password: "wrong", database: "postgres" });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
  });
});
