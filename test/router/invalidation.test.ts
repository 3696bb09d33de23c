import "../controlplane/quiet-logs.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEphemeralRedis, type EphemeralRedis } from "../../common/ephemeral-redis.js";
import { publishInvalidations, type InvalidationPublisher } from "../../controlplane/index.js";
import { silentLogger, startTestControlPlane, startTestStore, type TestControlPlane, type TestStore } from "../controlplane/harness.js";
import { startTestScheduler, type TestScheduler } from "../controlplane/scheduler-harness.js";
import { eventually } from "../harness/eventually.js";
import { tempDir } from "../harness/tempdir.js";
import { connectError, metricValue, startReplica, type Replica } from "./replica-fixture.js";

/**
 * The real control plane publishing its endpoint changes to Redis, two proxy replicas reading
 * routes from it through the shared cache: a rotated password stops working on both at once, and
 * a replica that never asked the control plane serves a cached endpoint while it is down.
 */
describe("control-plane invalidations across replicas", () => {
  let store: TestStore;
  let scheduler: TestScheduler;
  let redis: EphemeralRedis;
  let t: TestControlPlane;
  let invalidations: InvalidationPublisher;
  const replicas: Replica[] = [];
  let replicaArgs: string[];
  const dir = tempDir("orochi-invalidation-");
  let cluster: { id: string; endpoint: string; password: string };

  beforeAll(async () => {
    [store, scheduler, redis] = await Promise.all([startTestStore(), startTestScheduler(), startEphemeralRedis()]);
    t = await startTestControlPlane(store, { scheduler: scheduler.port, pooler: { kind: "none" } });
    invalidations = publishInvalidations({ events: t.cp.events, url: redis.url, log: silentLogger });
    // The default route cache TTL (60 s): only an invalidation can make a change show within the test.
    replicaArgs = ["--control-plane", t.cp.url, "--control-plane-token", t.cp.internalToken, "--scheduler", scheduler.server.address, "--redis", redis.url, "--state-dir", dir.path];
    replicas.push(await startReplica(replicaArgs), await startReplica(replicaArgs));
    const created = await t.api.post("/v1/clusters", { name: "rotor", size: "dev" });
    expect(created.status).toBe(201);
    cluster = created.body as typeof cluster;
  });
  afterAll(async () => {
    for (const r of replicas) await r.proc.kill("SIGINT");
    await invalidations?.close();
    await t?.close().catch(() => undefined);
    await scheduler?.close();
    await redis?.stop();
    await store?.stop();
    dir.remove();
  });

  const login = async (r: Replica, password: string) => {
    const c = r.client(cluster.endpoint, { user: "app", password, database: "app" });
    const error = await connectError(c);
    if (!error) await c.end();
    return error;
  };

  it("a password rotated through the control plane stops working on both replicas at once; the new one works", async () => {
    for (const r of replicas) expect(await login(r, cluster.password)).toBeNull();
    const rotated = await t.api.post(`/v1/clusters/${cluster.id}/password/rotate`);
    expect(rotated.status).toBe(200);
    const newPassword = (rotated.body as { connection: { password: string } }).connection.password;
    for (const r of replicas) {
      await eventually(async () => expect((await login(r, cluster.password))?.code).toBe("28P01"), 5_000, 50);
      expect(await login(r, newPassword)).toBeNull();
    }
    // The replicas shared their lookups: some answers came from the other's.
    let sharedHits = 0;
    for (const r of replicas) sharedHits += metricValue(await r.metrics(), "orochi_route_cache_requests_total", { result: "l2_hit" });
    expect(sharedHits).toBeGreaterThan(0);
    cluster = { ...cluster, password: newPassword };
  });

  it("control plane down: cached endpoints keep working, also on a replica that only ever read the shared cache", async () => {
    await t.close();
    for (const r of replicas) expect(await login(r, cluster.password)).toBeNull();
    const fresh = await startReplica(replicaArgs);
    replicas.push(fresh);
    expect(await login(fresh, cluster.password)).toBeNull();
    const metrics = await fresh.metrics();
    expect(metricValue(metrics, "orochi_route_cache_requests_total", { result: "l2_hit" })).toBe(1);
    expect(metricValue(metrics, "orochi_route_cache_requests_total", { result: "l2_miss" })).toBe(0);
  });
});
