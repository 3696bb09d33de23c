import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgBin } from "../../common/postgres/index.js";
import { ENDPOINT, PASSWORD, ROLE, startProxyFixture, type ProxyFixture } from "../harness/fixture.js";
import { RawClient, startupPacket } from "../harness/raw-client.js";

const run = promisify(execFile);

describe("proxy: real clients connect and run queries", () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(async () => f?.stop());

  it("node-postgres with SNI (ssl.servername)", async () => {
    const c = await f.connect();
    const r = await c.query("select current_user as u, 40 + 2 as n");
    expect(r.rows[0]).toEqual({ u: ROLE, n: 42 });
    await c.end();
  });

  it("node-postgres with the endpoint in options (certificate checked against 127.0.0.1)", async () => {
    const c = await f.connect({ ssl: { ca: f.ca }, options: `-c search_path=public endpoint=${ENDPOINT}` });
    const r = await c.query("select current_setting('search_path') as sp");
    expect(r.rows[0].sp).toBe("public");
    await c.end();
  });

  it("node-postgres with the endpoint in the password (password hack)", async () => {
    const c = await f.connect({ ssl: { ca: f.ca }, password: `endpoint=${ENDPOINT};${PASSWORD}` });
    expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
    await c.end();
  });

  it("node-postgres through the -pooler host name is refused when the endpoint has no pooler", async () => {
    const c = new pg.Client(f.clientConfig({ ssl: { ca: f.ca, servername: f.proxy.host(`${ENDPOINT}-pooler`) } }));
    await expect(c.connect()).rejects.toMatchObject({ code: "08004", message: expect.stringContaining("no connection pooler") });
  });

  it("psql with sslmode=require", async () => {
    const { stdout } = await run(pgBin("psql"), [f.libpq({ sslmode: "require" }), "-XAtc", "select 'via-proxy', current_user"]);
    expect(stdout.trim()).toBe(`via-proxy|${ROLE}`);
  });

  it("psql with sslmode=verify-full against the generated CA, and SCRAM channel binding required", async () => {
    const { stdout } = await run(pgBin("psql"), [
      f.libpq({ sslmode: "verify-full", sslrootcert: f.proxy.caFile, channel_binding: "require" }),
      "-XAtc",
      "select ssl::text from pg_stat_ssl where pid = pg_backend_pid() union all select 'ok'",
    ]);
    // The compute leg is plain TCP on loopback; the client leg was verified TLS with -PLUS.
    expect(stdout.trim().split("\n")).toEqual(["false", "ok"]);
  });

  it("pgbench through the proxy", async () => {
    const script = join(f.proxy.stateDir, "select.sql");
    writeFileSync(script, "SELECT 1;\n");
    const { stdout } = await run(pgBin("pgbench"), [
      "-n", "-c", "4", "-t", "25", "-f", script, f.libpq({ sslmode: "require" }),
    ]);
    expect(stdout).toMatch(/number of transactions actually processed: 100\/100/);
    expect(stdout).toMatch(/number of failed transactions: 0/);
  });

  it("pgbench -C (a new connection per transaction)", async () => {
    const script = join(f.proxy.stateDir, "select.sql");
    writeFileSync(script, "SELECT 1;\n");
    const { stdout } = await run(pgBin("pgbench"), ["-n", "-C", "-c", "2", "-t", "10", "-f", script, f.libpq()]);
    expect(stdout).toMatch(/number of transactions actually processed: 20\/20/);
  });

  it("PG17 direct TLS with ALPN postgresql (raw client)", async () => {
    const c = await RawClient.directTls(f.proxy.port, { ca: f.ca, servername: f.proxy.host(ENDPOINT) });
    const greeting = await c.login({ user: ROLE, database: "postgres" }, PASSWORD);
    expect(greeting.some((m) => m.tag === "K")).toBe(true);
    expect(await c.query("select 'direct-tls'")).toEqual(["direct-tls"]);
    c.close();
  });

  it("direct TLS without ALPN postgresql is refused (another protocol: TLS alert; none: 08P01)", async () => {
    await expect(RawClient.directTls(f.proxy.port, { ca: f.ca, servername: f.proxy.host(ENDPOINT), alpn: ["http/1.1"] })).rejects.toThrow(/no application protocol|alert/i);
    const none = await RawClient.directTls(f.proxy.port, { ca: f.ca, servername: f.proxy.host(ENDPOINT), alpn: [] });
    const e = await none.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/ALPN protocol "postgresql"/);
  });

  it("a 3.x protocol minor version gets NegotiateProtocolVersion and proceeds as 3.0", async () => {
    const c = await RawClient.plain(f.proxy.port);
    await c.startTls({ ca: f.ca, servername: f.proxy.host(ENDPOINT) });
    c.write(startupPacket({ user: ROLE, database: "postgres", "_pq_.some_option": "1" }, (3 << 16) | 2));
    const m = await c.readMessage();
    expect(m.tag).toBe("v");
    expect(m.body.readUInt32BE(0)).toBe(3 << 16);
    expect(m.body.readUInt32BE(4)).toBe(1);
    expect(m.body.toString("utf8", 8)).toBe("_pq_.some_option\0");
    c.close();
  });

  it("forwards allow-listed startup parameters and drops the rest", async () => {
    const c = await f.connect({ application_name: "orochi-test", statement_timeout: 12345 } as pg.ClientConfig);
    const r = await c.query("select current_setting('application_name') as app, current_setting('statement_timeout') as st");
    expect(r.rows[0]).toEqual({ app: "orochi-test", st: "12345ms" });
    await c.end();
  });
});
