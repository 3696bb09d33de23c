import { readFileSync } from "node:fs";
import { connect } from "node:net";
import pg from "pg";
import { serialize } from "pg-protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT, PASSWORD, ROLE, startProxyFixture, type ProxyFixture } from "../harness/fixture.js";
import { startTestProxy, type TestProxy } from "../harness/proxy.js";
import { RawClient, sslRequest, startupPacket } from "../harness/raw-client.js";

/** Every bad client gets its own clear error while a healthy session keeps working. */
describe("proxy: bad input gets a clear error and harms nobody else", () => {
  let f: ProxyFixture;
  let healthy: pg.Client;
  beforeAll(async () => {
    f = await startProxyFixture();
    healthy = await f.connect();
  });
  afterEach(async () => {
    const r = await healthy.query("select 'still-here' as s");
    expect(r.rows[0].s).toBe("still-here");
  });
  afterAll(async () => {
    await healthy?.end();
    await f?.stop();
  });

  async function connectError(overrides: pg.ClientConfig): Promise<pg.DatabaseError> {
    const c = new pg.Client(f.clientConfig(overrides));
    c.on("error", () => undefined);
    try {
      await c.connect();
    } catch (err) {
      return err as pg.DatabaseError;
    } finally {
      await c.end().catch(() => undefined);
    }
    throw new Error("connection unexpectedly succeeded");
  }

  /** Raw client that has done SSLRequest + TLS with SNI for the demo endpoint. */
  async function tlsClient(): Promise<RawClient> {
    const c = await RawClient.plain(f.proxy.port);
    await c.startTls({ ca: f.ca, servername: f.proxy.host(ENDPOINT) });
    return c;
  }

  it("wrong password: 28P01", async () => {
    const err = await connectError({ password: "wrong" });
    expect(err.code).toBe("28P01");
    expect(err.message).toBe(`password authentication failed for user "${ROLE}"`);
  });

  it("unknown role: the same error as a wrong password", async () => {
    const err = await connectError({ user: "nobody", password: "whatever" });
    expect(err.code).toBe("28P01");
    expect(err.message).toBe(`password authentication failed for user "nobody"`);
  });

  it("unknown role: the SCRAM salt is stable between attempts (looks like a real role)", async () => {
    const salts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await tlsClient();
      c.write(serialize.startup({ user: "ghost", database: "postgres" }));
      expect((await c.readMessage()).tag).toBe("R");
      c.write(serialize.sendSASLInitialResponseMessage("SCRAM-SHA-256", "n,,n=,r=abcdefgh"));
      const m = await c.readMessage();
      salts.push(/s=([^,]+)/.exec(m.body.toString("utf8", 4))![1]!);
      expect(m.body.toString("utf8", 4)).toMatch(/,i=4096$/);
      c.close();
    }
    expect(salts[0]).toBe(salts[1]);
  });

  it("missing endpoint: 28000 with a message that says how to pass it", async () => {
    const err = await connectError({ ssl: { ca: f.ca } });
    expect(err.code).toBe("28000");
    expect(err.message).toMatch(/endpoint ID is not specified/);
    expect(err.hint).toMatch(/options=endpoint=/);
    expect(err.hint).toMatch(/endpoint=<endpoint-id>;<password>/);
  });

  it("SNI and options naming different endpoints: 28000", async () => {
    const err = await connectError({ options: "endpoint=ep-other-9" });
    expect(err.code).toBe("28000");
    expect(err.message).toMatch(/differ/);
  });

  it("malformed endpoint id: 28000", async () => {
    const err = await connectError({ ssl: { ca: f.ca }, options: "endpoint=Not_An_Id" });
    expect(err.code).toBe("28000");
    expect(err.message).toMatch(/invalid endpoint id/);
  });

  it("unknown endpoint: 08004, without internal details", async () => {
    const err = await connectError({ ssl: { ca: f.ca, servername: f.proxy.host("ep-nope-1") } });
    expect(err.code).toBe("08004");
    expect(err.message).toBe('endpoint "ep-nope-1" not found');
  });

  it("plaintext when TLS is required: 28000 insecure", async () => {
    const err = await connectError({ ssl: false, options: `endpoint=${ENDPOINT}` });
    expect(err.code).toBe("28000");
    expect(err.message).toMatch(/connection is insecure \(try using sslmode=require\)/);
  });

  it("unknown database: the compute's own error is passed on", async () => {
    const err = await connectError({ database: "no_such_db" });
    expect(err.code).toBe("3D000");
    expect(err.message).toMatch(/database "no_such_db" does not exist/);
  });

  function lengthOnly(length: number, rest: Buffer = Buffer.alloc(0)): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(length >>> 0);
    return Buffer.concat([b, rest]);
  }

  it.each([
    ["length 4 (< 8)", lengthOnly(4)],
    ["length 7 (< 8)", lengthOnly(7, Buffer.from([0, 3, 0]))],
    ["length 10 001 (> 10 000)", lengthOnly(10_001)],
    ["length 0xFFFFFFFF", lengthOnly(0xffffffff)],
  ])("startup %s: 08P01 before any body is buffered", async (_name, bytes) => {
    const c = await RawClient.plain(f.proxy.port);
    c.write(bytes);
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/length/);
    await c.waitClosed();
  });

  it("startup packet without its terminator: 08P01", async () => {
    const good = startupPacket({ user: ROLE, database: "postgres" });
    const broken = Buffer.from(good.subarray(0, good.length - 1));
    broken.writeUInt32BE(broken.length, 0);
    const c = await RawClient.plain(f.proxy.port);
    c.write(broken);
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/terminator/);
  });

  it.each([
    ["2.0", 2 << 16],
    ["4.0", 4 << 16],
  ])("protocol %s: 0A000 unsupported frontend protocol", async (_v, version) => {
    const c = await tlsClient();
    c.write(startupPacket({ user: ROLE }, version));
    const e = await c.readError();
    expect(e.C).toBe("0A000");
    expect(e.M).toMatch(/unsupported frontend protocol/);
  });

  it("bytes pipelined behind an SSLRequest: 08P01 (CVE-2021-23214)", async () => {
    const c = await RawClient.plain(f.proxy.port);
    c.write(Buffer.concat([sslRequest(), startupPacket({ user: ROLE, database: "postgres" })]));
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/unencrypted data after SSL request/);
  });

  it("a second SSLRequest inside TLS: 08P01", async () => {
    const c = await tlsClient();
    c.write(sslRequest());
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/already uses TLS/);
  });

  it("GSSENCRequest gets N, then SSLRequest and login work", async () => {
    const c = await RawClient.plain(f.proxy.port);
    const gss = Buffer.alloc(8);
    gss.writeUInt32BE(8, 0);
    gss.writeUInt32BE(80877104, 4);
    c.write(gss);
    expect((await c.readBytes(1)).toString()).toBe("N");
    await c.startTls({ ca: f.ca, servername: f.proxy.host(ENDPOINT) });
    await c.login({ user: ROLE, database: "postgres" }, PASSWORD);
    expect(await c.query("select 'after-gss'")).toEqual(["after-gss"]);
    c.close();
  });

  it("a second StartupMessage during authentication: 08P01", async () => {
    const c = await tlsClient();
    c.write(serialize.startup({ user: ROLE, database: "postgres" }));
    expect((await c.readMessage()).tag).toBe("R");
    c.write(serialize.startup({ user: ROLE, database: "postgres" }));
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/expected SASLInitialResponse/);
  });

  it("a SASL message declaring length 0xFFFFFFFF: 08P01 at once", async () => {
    const c = await tlsClient();
    c.write(serialize.startup({ user: ROLE, database: "postgres" }));
    expect((await c.readMessage()).tag).toBe("R");
    const msg = Buffer.alloc(5);
    msg[0] = 0x70;
    msg.writeUInt32BE(0xffffffff, 1);
    c.write(msg);
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/invalid length of client message: 4294967295 bytes exceeds the limit/);
  });

  it("garbage SCRAM messages: 08P01", async () => {
    const c = await tlsClient();
    c.write(serialize.startup({ user: ROLE, database: "postgres" }));
    await c.readMessage();
    c.write(serialize.sendSASLInitialResponseMessage("SCRAM-SHA-256", "x,,garbage"));
    const e = await c.readError();
    expect(e.C).toBe("08P01");
  });

  it("channel binding downgrade (client says y while -PLUS was offered): 08P01", async () => {
    const c = await tlsClient();
    c.write(serialize.startup({ user: ROLE, database: "postgres" }));
    const offer = await c.readMessage();
    expect(offer.body.toString("utf8", 4)).toContain("SCRAM-SHA-256-PLUS");
    c.write(serialize.sendSASLInitialResponseMessage("SCRAM-SHA-256", "y,,n=,r=abcdefghijkl"));
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/channel binding/);
  });

  it("replication connections: 0A000", async () => {
    const err = await connectError({ replication: "database" } as pg.ClientConfig);
    expect(err.code).toBe("0A000");
  });

  it("500 connections opened and held idle do not stop a new session", async () => {
    const idle = await Promise.all(
      Array.from({ length: 500 }, () => new Promise<ReturnType<typeof connect>>((res, rej) => {
        const s = connect({ port: f.proxy.port, host: "127.0.0.1" });
        s.on("error", () => undefined);
        s.once("connect", () => res(s)).once("error", rej);
      })),
    );
    try {
      while (f.proxy.server.clientCount < 500) await new Promise((r) => setTimeout(r, 10));
      const c = await f.connect();
      expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
      await c.end();
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});

describe("proxy: handshake deadline and connection limit", () => {
  let f: ProxyFixture;
  let strict: TestProxy;
  let strictCa: Buffer;
  beforeAll(async () => {
    f = await startProxyFixture();
    strict = await startTestProxy(
      JSON.parse(readFileSync(f.proxy.routesFile, "utf8")).endpoints,
      { handshakeTimeoutMs: 400, maxClientConnections: 3 },
    );
    strictCa = readFileSync(strict.caFile);
  });
  afterAll(async () => {
    await strict?.stop();
    await f?.stop();
  });

  it("a client that stalls before its startup packet gets 57P05 and is closed", async () => {
    const c = await RawClient.plain(strict.port);
    const e = await c.readError(5_000);
    expect(e.C).toBe("57P05");
    expect(e.M).toMatch(/handshake not completed within 400 ms/);
    await c.waitClosed();
  });

  it("a client that stalls inside TLS during SCRAM is closed too", async () => {
    const c = await RawClient.plain(strict.port);
    await c.startTls({ ca: strictCa, servername: strict.host(ENDPOINT) });
    c.write(serialize.startup({ user: ROLE, database: "postgres" }));
    const e = await c.readError(5_000);
    expect(e.C).toBe("57P05");
    await c.waitClosed();
  });

  it("beyond max client connections: 53300, and healthy again once they leave", async () => {
    const held = await Promise.all([0, 1, 2].map(() => RawClient.plain(strict.port)));
    const c = new pg.Client({ ...f.clientConfig(), port: strict.port, ssl: { ca: strictCa, servername: strict.host(ENDPOINT) } });
    c.on("error", () => undefined);
    await expect(c.connect()).rejects.toMatchObject({ code: "53300" });
    for (const h of held) h.close();
    while (strict.server.clientCount > 0) await new Promise((r) => setTimeout(r, 10));
    const ok = new pg.Client({ ...f.clientConfig(), port: strict.port, ssl: { ca: strictCa, servername: strict.host(ENDPOINT) } });
    await ok.connect();
    await ok.end();
  });
});

