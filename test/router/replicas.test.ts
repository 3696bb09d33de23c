import { writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEphemeralRedis, type EphemeralRedis } from "../../common/ephemeral-redis.js";
import { eventually } from "../harness/eventually.js";
import { startTestPostgres, type TestPostgres } from "../harness/postgres.js";
import { RawClient, cancelRequest, errorFields, startupPacket } from "../harness/raw-client.js";
import { tempDir } from "../harness/tempdir.js";
import { LOCAL_DOMAIN, connectError, metricValue, startReplica, waitForActiveQuery, type Replica } from "./replica-fixture.js";

const ROLE = "app";
const PASSWORD = "replica-pw";
const EP = { cancel: "ep-cancel-1", flood: "ep-flood-1", other: "ep-other-1", auth: "ep-auth-1", allow: "ep-allow-1", limit: "ep-limit-1" };
const MAX_SESSIONS = 4;
/** Short so the SIGKILL test does not wait long; renewed three times per TTL. */
const LEASE_TTL_MS = 1_500;
const CONNECT_RATE = 5;
const CONNECT_BURST = 10;
const AUTH_FAILURE_LIMIT = 3;

type KeyedClient = pg.Client & { processID: number; secretKey: number };

/** Issue 5 across two `orochi proxy` processes sharing one Redis (started here) in front of one Postgres. */
describe("two proxy replicas sharing Redis", () => {
  let db: TestPostgres;
  let redis: EphemeralRedis;
  let a: Replica;
  let b: Replica;
  const dir = tempDir("orochi-replicas-");

  beforeAll(async () => {
    [db, redis] = await Promise.all([startTestPostgres(), startEphemeralRedis()]);
    const secret = await db.createRole(ROLE, PASSWORD);
    const address = `127.0.0.1:${db.port}`;
    const routes = join(dir.path, "routes.json");
    const endpoint = (extra: Record<string, unknown> = {}) => ({ address, roles: { [ROLE]: secret }, ...extra });
    writeFileSync(
      routes,
      JSON.stringify({
        endpoints: {
          [EP.cancel]: endpoint(),
          [EP.flood]: endpoint(),
          [EP.other]: endpoint(),
          [EP.auth]: endpoint(),
          [EP.allow]: endpoint({ allowed_cidrs: ["127.0.0.2"] }),
          [EP.limit]: endpoint({ max_connections: MAX_SESSIONS }),
        },
      }),
    );
    const args = [
      "--routes", routes, "--state-dir", dir.path, "--redis", redis.url,
      "--connect-rate", String(CONNECT_RATE), "--connect-burst", String(CONNECT_BURST),
      "--auth-failure-limit", String(AUTH_FAILURE_LIMIT),
      "--session-lease-ttl", String(LEASE_TTL_MS),
    ];
    a = await startReplica(args);
    b = await startReplica(args);
  });
  afterAll(async () => {
    await a?.proc.kill("SIGINT");
    await b?.proc.kill("SIGINT");
    await redis?.stop();
    await db?.stop();
    dir.remove();
  });

  const login = async (r: Replica, endpoint: string, password = PASSWORD, user = ROLE) => {
    const c = r.client(endpoint, { user, password });
    return { client: c, error: await connectError(c) };
  };

  it("select pg_sleep(30) through replica A is cancelled by a cancel request sent to replica B", async () => {
    const c = (await login(a, EP.cancel)).client as KeyedClient;
    const sleeping = c.query("select pg_sleep(30)").then(
      () => null,
      (err: pg.DatabaseError) => err,
    );
    await waitForActiveQuery(db, "select pg_sleep(30)");
    const raw = await RawClient.plain(b.port);
    raw.write(cancelRequest(c.processID, c.secretKey));
    await raw.waitClosed();
    expect((await sleeping)?.code).toBe("57014");
    expect((await c.query("select 'alive' as s")).rows[0].s).toBe("alive");
    expect(metricValue(await b.metrics(), "orochi_proxy_cancel_forwards_total", { path: "redis" })).toBe(1);

    // A wrong key sent to B reaches nothing, and the client hears nothing either way.
    const short = c.query("select pg_sleep(0.5), 'finished' as s");
    await waitForActiveQuery(db, "select pg_sleep(0.5), 'finished' as s");
    const wrong = await RawClient.plain(b.port);
    wrong.write(cancelRequest(c.processID, c.secretKey ^ 1));
    await wrong.waitClosed();
    expect((await short).rows[0].s).toBe("finished");
    expect(metricValue(await b.metrics(), "orochi_proxy_cancel_requests_total", { result: "unknown_key" })).toBe(1);
    await c.end();
  });

  it("a connection flood beyond the endpoint's rate gets 53400 on both replicas; other tenants are unaffected", async () => {
    const attempts = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const { client, error } = await login(i % 2 ? a : b, EP.flood);
        if (!error) await client.end();
        return error;
      }),
    );
    const refused = attempts.filter((e) => e !== null);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(attempts.length);
    for (const e of refused) {
      expect(e!.code).toBe("53400");
      expect(e!.message).toMatch(/too many new connections to endpoint "ep-flood-1"/);
    }
    const counted = (text: string) => metricValue(text, "orochi_proxy_rejections_total", { kind: "connection_rate" });
    expect(counted(await a.metrics()) + counted(await b.metrics())).toBe(refused.length);
    for (const r of [a, b]) {
      const { client, error } = await login(r, EP.other);
      expect(error).toBeNull();
      await client.end();
    }
  });

  it("repeated wrong passwords on one replica get the source refused on both, whether the role exists or not", async () => {
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) {
      const { error } = await login(a, EP.auth, "wrong-password");
      expect(error?.code).toBe("28P01");
    }
    // Refused before any password is checked: the right password, and a role that does not exist, read the same.
    const right = await login(b, EP.auth);
    const unknownRole = await login(b, EP.auth, "whatever", "no_such_role");
    for (const { error } of [right, unknownRole]) {
      expect(error?.code).toBe("53400");
      expect(error?.message).toMatch(/^too many failed authentication attempts for endpoint "ep-auth-1" from your address; try again in \d+ s$/);
    }
    expect(right.error?.message).toBe(unknownRole.error?.message);
    // Another endpoint from the same address is unaffected.
    const other = await login(b, EP.other);
    expect(other.error).toBeNull();
    await other.client.end();
  });

  it("an allow-list refuses a disallowed address before authentication, admits an allowed one", async () => {
    const servername = `${EP.allow}.${LOCAL_DOMAIN}`;
    // From 127.0.0.1: the answer to the startup packet is the error, not an authentication request.
    const refused = await RawClient.plain(a.port);
    await refused.startTls({ ca: a.ca, servername });
    refused.write(startupPacket({ user: ROLE, database: "postgres" }));
    const first = await refused.readMessage();
    expect(first.tag).toBe("E");
    expect(errorFields(first.body)).toMatchObject({ C: "28000", M: 'connections to endpoint "ep-allow-1" are not allowed from address 127.0.0.1' });
    refused.close();

    // The password hack: refused right after the endpoint is read from the password, before checking it.
    const hack = new pg.Client({ host: "127.0.0.1", port: b.port, user: ROLE, password: `endpoint=${EP.allow};not-even-checked`, database: "postgres", ssl: { ca: b.ca } });
    hack.on("error", () => undefined);
    expect((await connectError(hack))?.code).toBe("28000");

    // From 127.0.0.2 (a loopback alias): SCRAM, then a session.
    const socket = netConnect({ host: "127.0.0.1", port: b.port, localAddress: "127.0.0.2" });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const allowed = new RawClient(socket);
    await allowed.startTls({ ca: b.ca, servername });
    await allowed.login({ user: ROLE, database: "postgres" }, PASSWORD);
    expect(await allowed.query("select inet_client_addr() is not null")).toEqual(["t"]);
    allowed.close();
    expect(metricValue(await a.metrics(), "orochi_proxy_rejections_total", { kind: "address_not_allowed" })).toBe(1);
  });

  it(`an endpoint sized for ${MAX_SESSIONS} sessions: ${MAX_SESSIONS} across both replicas, then 53300; a SIGKILLed replica's share comes back after the lease TTL`, async () => {
    const held: pg.Client[] = [];
    for (const r of [a, b, a, b]) {
      const { client, error } = await login(r, EP.limit);
      expect(error).toBeNull();
      held.push(client);
    }
    for (const r of [a, b]) {
      const { error } = await login(r, EP.limit);
      expect(error?.code).toBe("53300");
      expect(error?.message).toMatch(/too many connections to endpoint "ep-limit-1" \(its limit is 4\)/);
    }
    // B dies without releasing anything: its two leases run out instead of being renewed.
    b.proc.child.kill("SIGKILL");
    await b.proc.exited;
    const reclaimed: pg.Client[] = [];
    await eventually(async () => {
      const { client, error } = await login(a, EP.limit);
      expect(error).toBeNull();
      reclaimed.push(client);
    }, 15_000, 300);
    const second = await login(a, EP.limit);
    expect(second.error).toBeNull();
    reclaimed.push(second.client);
    expect((await login(a, EP.limit)).error?.code).toBe("53300");
    // A's own sessions stayed counted (and alive) throughout.
    expect((await held[0]!.query("select 'still here' as s")).rows[0].s).toBe("still here");
    await Promise.all([held[0]!, held[2]!, ...reclaimed].map((c) => c.end()));
  });
});

