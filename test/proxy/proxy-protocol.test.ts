import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeProxyHeader } from "../../proxy/protocol/proxy-protocol.js";
import { ENDPOINT, PASSWORD, ROLE } from "../harness/fixture.js";
import { startTestPostgres, type TestPostgres } from "../harness/postgres.js";
import { startTestProxy, type TestProxy } from "../harness/proxy.js";
import { RawClient, startupPacket } from "../harness/raw-client.js";

/** Behind a TCP load balancer: the PROXY v2 header carries the real client address. */
describe("proxy behind a load balancer (PROXY protocol v2)", () => {
  let db: TestPostgres;
  let proxy: TestProxy;
  let ca: Buffer;
  beforeAll(async () => {
    db = await startTestPostgres();
    const secret = await db.createRole(ROLE, PASSWORD);
    proxy = await startTestProxy(
      { [ENDPOINT]: { address: `127.0.0.1:${db.port}`, roles: { [ROLE]: secret }, allowed_cidrs: ["203.0.113.0/24"] } },
      { proxyProtocol: true },
    );
    ca = readFileSync(proxy.caFile);
  });
  afterAll(async () => {
    await proxy?.stop();
    await db?.stop();
  });

  async function viaBalancer(source: string): Promise<RawClient> {
    const c = await RawClient.plain(proxy.port);
    c.write(encodeProxyHeader({ address: source, port: 40000 }, { address: "10.0.0.1", port: 4432 }));
    await c.startTls({ ca, servername: proxy.host(ENDPOINT) });
    return c;
  }

  it("the client address from the header passes the allow-list and the session works", async () => {
    const c = await viaBalancer("203.0.113.9");
    await c.login({ user: ROLE, database: "postgres" }, PASSWORD);
    expect(await c.query("select 'through the balancer'")).toEqual(["through the balancer"]);
    c.close();
  });

  it("a client address outside the allow-list is refused before authentication", async () => {
    const c = await viaBalancer("198.51.100.1");
    c.write(startupPacket({ user: ROLE, database: "postgres" }));
    const e = await c.readError();
    expect(e.C).toBe("28000");
    c.close();
  });

  it("a connection without the header is refused", async () => {
    const c = await RawClient.plain(proxy.port);
    c.write(Buffer.alloc(16, 1));
    const e = await c.readError();
    expect(e.C).toBe("08P01");
    expect(e.M).toMatch(/PROXY protocol v2 header/);
  });
});
