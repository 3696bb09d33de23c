import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxyFixture, type ProxyFixture } from "../harness/fixture.js";
import { RawClient, cancelRequest } from "../harness/raw-client.js";

type KeyedClient = pg.Client & { processID: number; secretKey: number };

describe("proxy: cancel requests", () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(async () => f?.stop());

  async function sendCancel(processId: number, secretKey: number): Promise<void> {
    const c = await RawClient.plain(f.proxy.port);
    c.write(cancelRequest(processId, secretKey));
    // The proxy never answers a cancel; it just closes.
    await c.waitClosed();
    expect(c.closed).toBe(true);
  }

  it("the client's BackendKeyData is the proxy's own, not the compute's", async () => {
    const c = (await f.connect()) as KeyedClient;
    const backendPid = (await c.query("select pg_backend_pid() as pid")).rows[0].pid as number;
    expect(c.processID).not.toBe(backendPid);
    await c.end();
  });

  it("select pg_sleep(30) is cancelled within a second by the client's cancel request", async () => {
    const c = (await f.connect()) as KeyedClient;
    const started = Date.now();
    const sleeping = c.query("select pg_sleep(30)").then(
      () => null,
      (err: pg.DatabaseError) => err,
    );
    await waitForQuery(f, "select pg_sleep(30)");
    await sendCancel(c.processID, c.secretKey);
    const err = await sleeping;
    expect(err?.code).toBe("57014");
    expect(Date.now() - started).toBeLessThan(30_000);
    // The session is still usable after the cancel.
    expect((await c.query("select 'alive' as s")).rows[0].s).toBe("alive");
    await c.end();
  });

  it("a cancel with a wrong key changes nothing and reveals nothing", async () => {
    const c = (await f.connect()) as KeyedClient;
    const sleeping = c.query("select pg_sleep(1.5), 'finished' as s");
    await waitForQuery(f, "select pg_sleep(1.5), 'finished' as s");
    await sendCancel(c.processID, c.secretKey ^ 1);
    await sendCancel(c.processID + 1, c.secretKey);
    const r = await sleeping;
    expect(r.rows[0].s).toBe("finished");
    await c.end();
  });

  it("a cancel over TLS (PG17 libpq style) works too", async () => {
    const c = (await f.connect()) as KeyedClient;
    const sleeping = c.query("select pg_sleep(30)").then(
      () => null,
      (err: pg.DatabaseError) => err,
    );
    await waitForQuery(f, "select pg_sleep(30)");
    const raw = await RawClient.plain(f.proxy.port);
    await raw.startTls({ ca: f.ca, servername: f.proxy.host("ep-demo-1") });
    raw.write(cancelRequest(c.processID, c.secretKey));
    await raw.waitClosed();
    expect((await sleeping)?.code).toBe("57014");
    await c.end();
  });
});

async function waitForQuery(f: ProxyFixture, query: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await f.db.sql("select 1 from pg_stat_activity where query = $1 and state = 'active'", [query]);
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`query never started: ${query}`);
}
