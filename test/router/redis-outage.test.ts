import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEphemeralRedis, type EphemeralRedis } from "../../common/ephemeral-redis.js";
import { redisKeys } from "../../common/redis-contract.js";
import { startProxy, type RunningProxy } from "../../proxy/index.js";
import { eventually } from "../harness/eventually.js";
import { startTestPostgres, type TestPostgres } from "../harness/postgres.js";
import { RawClient, cancelRequest } from "../harness/raw-client.js";
import { tempDir } from "../harness/tempdir.js";
import { LOCAL_DOMAIN, connectError, waitForActiveQuery } from "./replica-fixture.js";

const ROLE = "app";
const PASSWORD = "outage-pw";
const EP = { plain: "ep-outage-1", capped: "ep-capped-1" };

type KeyedClient = pg.Client & { processID: number; secretKey: number };

/**
 * Redis killed under two replicas (in this process: a process would add nothing here) and
 * started again on the same port, empty: sessions carry on, new connections keep working on
 * local state, and shared behaviour comes back by itself.
 */
describe("Redis outage under two replicas", () => {
  let db: TestPostgres;
  let redis: EphemeralRedis;
  let a: RunningProxy;
  let b: RunningProxy;
  let ca: Buffer;
  const dir = tempDir("orochi-outage-");

  beforeAll(async () => {
    [db, redis] = await Promise.all([startTestPostgres(), startEphemeralRedis()]);
    const secret = await db.createRole(ROLE, PASSWORD);
    const routes = join(dir.path, "routes.json");
    const endpoint = { address: `127.0.0.1:${db.port}`, roles: { [ROLE]: secret } };
    writeFileSync(routes, JSON.stringify({ endpoints: { [EP.plain]: endpoint, [EP.capped]: { ...endpoint, max_connections: 2 } } }));
    const start = () =>
      startProxy({ routesFile: routes, stateDir: dir.path, redis: { url: redis.url }, log: pino({ level: "silent" }), config: { port: 0, httpPort: null } });
    a = await start();
    b = await start();
    ca = readFileSync(a.caFile!);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    await db?.stop();
    dir.remove();
  });

  const client = (proxy: RunningProxy, endpoint: string) => {
    const c = new pg.Client({ host: "127.0.0.1", port: proxy.port, user: ROLE, password: PASSWORD, database: "postgres", ssl: { ca, servername: `${endpoint}.${LOCAL_DOMAIN}` } });
    c.on("error", () => undefined);
    return c as KeyedClient;
  };
  const connected = async (proxy: RunningProxy, endpoint: string) => {
    const c = client(proxy, endpoint);
    expect(await connectError(c)).toBeNull();
    return c;
  };
  const redisUp = async (proxy: RunningProxy) => (await proxy.server.metrics.redis!.up.get()).values[0]?.value;
  /** Cancel `c`'s running pg_sleep through `via`, retrying until it is cancelled (keys come back asynchronously). */
  const cancelThrough = async (via: RunningProxy, c: KeyedClient) => {
    const sleeping = c.query("select pg_sleep(30)").then(
      () => null,
      (err: pg.DatabaseError) => err,
    );
    await waitForActiveQuery(db, "select pg_sleep(30)");
    let done = false;
    void sleeping.then(() => (done = true));
    await eventually(async () => {
      const raw = await RawClient.plain(via.port);
      raw.write(cancelRequest(c.processID, c.secretKey));
      await raw.waitClosed();
      await new Promise((r) => setTimeout(r, 100));
      expect(done).toBe(true);
    }, 10_000, 0);
    return sleeping;
  };

  it("sessions survive, new connections work on local state, and shared cancel and limits return with Redis", async () => {
    const before = await connected(a, EP.plain);
    const cappedOnA = await connected(a, EP.capped);

    await redis.kill();
    await eventually(async () => {
      expect(await redisUp(a)).toBe(0);
      expect(await redisUp(b)).toBe(0);
    });
    expect((await before.query("select 'survived' as s")).rows[0].s).toBe("survived");
    const during = await connected(b, EP.plain);
    const another = await connected(a, EP.plain);
    await another.end();
    // Degraded: a cancel for B's session sent to A has nowhere to look it up, and does nothing.
    const short = during.query("select pg_sleep(0.3), 'finished' as s");
    await waitForActiveQuery(db, "select pg_sleep(0.3), 'finished' as s");
    const raw = await RawClient.plain(a.port);
    raw.write(cancelRequest(during.processID, during.secretKey));
    await raw.waitClosed();
    expect((await short).rows[0].s).toBe("finished");

    await redis.restart();
    await eventually(async () => {
      expect(await redisUp(a)).toBe(1);
      expect(await redisUp(b)).toBe(1);
    });
    // Keys from before the outage and from during it were written again by their replicas.
    expect((await cancelThrough(b, before))?.code).toBe("57014");
    expect((await cancelThrough(a, during))?.code).toBe("57014");
    // A's session on the capped endpoint counts again in Redis: B admits one more, then refuses.
    const probe = new Redis(redis.url);
    await eventually(async () => expect(await probe.zcard(redisKeys.sessions(EP.capped))).toBe(1));
    probe.disconnect();
    const cappedOnB = await connected(b, EP.capped);
    expect((await connectError(client(b, EP.capped)))?.code).toBe("53300");

    for (const c of [before, during, cappedOnA, cappedOnB]) expect((await c.query("select 1 as one")).rows[0].one).toBe(1);
    const fallbacks = (await a.server.metrics.redis!.errors.get()).values;
    expect(fallbacks.find((v) => v.labels.operation === "connect_rate")?.value).toBeGreaterThan(0);
    await Promise.all([before, during, cappedOnA, cappedOnB].map((c) => c.end()));
  });
});
